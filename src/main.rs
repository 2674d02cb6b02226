//! The `vnet` binary: parse, load the state directory, run, save, print.

// As in the library: no panics on any input.
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::io::{self, IsTerminal, Write};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::AtomicU8;
use std::sync::atomic::{AtomicBool, Ordering};
use vnet::busybox::applet::{Console, Terminal};
use vnet::cli::StateCommand;
use vnet::cli::{self, Command, Outcome, SystemCommand};
use vnet::store::{self, Scope, Store};

/// The command line as text. An argument that is not UTF-8 (the OS hands bytes) is refused,
/// named by its place (the program is argument 0) and shown with its bytes escaped.
fn utf8_args(args: impl Iterator<Item = std::ffi::OsString>) -> Result<Vec<String>, Outcome> {
    args.enumerate()
        .map(|(i, a)| {
            a.into_string().map_err(|a| Outcome {
                stderr: format!(
                    "vnet: argument {i} is not valid UTF-8: \"{}\"\n",
                    a.as_encoded_bytes().escape_ascii()
                ),
                code: 125,
                ..Outcome::default()
            })
        })
        .collect()
}

fn main() -> ExitCode {
    let parsed = utf8_args(std::env::args_os()).and_then(|mut argv| {
        if let Some(first) = argv.first_mut() {
            *first = "vnet".to_string();
        }
        cli::parse(&argv)
    });
    let outcome = match parsed {
        Ok(mut parsed) => {
            // `-H` wins over VNET_HOST, as it does over DOCKER_HOST.
            if parsed.host.is_none() {
                parsed.host = std::env::var("VNET_HOST").ok().filter(|h| !h.is_empty());
            }
            run(&mut parsed).unwrap_or_else(|e| Outcome {
                stderr: format!("vnet: {e:#}\n"),
                code: 1,
                ..Outcome::default()
            })
        }
        Err(o) => o,
    };
    // A closed pipe (`vnet ps | head`) is not an error worth a message.
    let _ = io::stdout().write_all(outcome.stdout.as_bytes());
    let _ = io::stderr().write_all(outcome.stderr.as_bytes());
    for line in &outcome.trace {
        eprintln!("{line}");
    }
    ExitCode::from(outcome.code.clamp(0, 255) as u8)
}

/// What one command's simulation may spend: vnet's defaults, or `VNET_MAX_EVENTS`,
/// `VNET_MAX_IN_FLIGHT` (whole numbers) and `VNET_MAX_VIRTUAL_TIME` (a duration: `48h`).
fn budget() -> anyhow::Result<vnet::engine::budget::Budget> {
    let mut b = vnet::engine::budget::Budget::default();
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let whole = |name: &str, v: String| {
        v.parse::<u64>()
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| anyhow::anyhow!("{name} must be a whole number above 0, not {v:?}"))
    };
    if let Some(v) = var("VNET_MAX_EVENTS") {
        b.events = whole("VNET_MAX_EVENTS", v)?;
    }
    if let Some(v) = var("VNET_MAX_IN_FLIGHT") {
        b.in_flight = usize::try_from(whole("VNET_MAX_IN_FLIGHT", v)?).unwrap_or(usize::MAX);
    }
    if let Some(v) = var("VNET_MAX_VIRTUAL_TIME") {
        b.time = vnet::time::parse_duration(&v)
            .filter(|d| !d.is_zero())
            .ok_or_else(|| {
                anyhow::anyhow!(
                    "VNET_MAX_VIRTUAL_TIME must be a duration above 0 such as 24h or 90m, not {v:?}"
                )
            })?;
    }
    Ok(b)
}

/// `vnet scenario run`: colour on a terminal, and a progress bar on stderr while several files
/// replay.
fn scenario_run(args: &cli::ScenarioArgs) -> Outcome {
    let bar = io::stderr().is_terminal();
    let drawn = AtomicBool::new(false);
    let progress = |done: usize, total: usize| {
        if bar && total > 1 {
            drawn.store(true, Ordering::Relaxed);
            let width = 30;
            let filled = done * width / total;
            eprint!(
                "\r[{}{}] {done}/{total}",
                "#".repeat(filled),
                " ".repeat(width - filled)
            );
        }
    };
    let outcome = vnet::scenario::main(args, io::stdout().is_terminal(), &progress);
    if drawn.load(Ordering::Relaxed) {
        eprintln!();
    }
    outcome
}

fn run(parsed: &mut cli::Cli) -> anyhow::Result<Outcome> {
    if let Some(Command::Scenario {
        command: Some(cli::ScenarioCommand::Run(args)),
    }) = &parsed.command
        && !parsed.help
    {
        return Ok(scenario_run(args));
    }
    let dir = store::resolve_dir(parsed.state_dir.as_deref())?;
    let seed = match parsed.seed {
        Some(s) => Some(s),
        None => match std::env::var("VNET_SEED") {
            Ok(v) if !v.is_empty() => Some(
                v.parse()
                    .map_err(|_| anyhow::anyhow!("VNET_SEED must be a whole number, not {v:?}"))?,
            ),
            _ => None,
        },
    };
    let budget = budget()?;
    if let Some(Command::Daemon(args)) = &parsed.command
        && !parsed.help
    {
        // The daemon takes the state directory's lock per request, never for its lifetime.
        let opts = vnet::daemon::Options {
            state_dir: dir,
            seed,
            socket: args.socket.clone(),
            host: parsed
                .host
                .clone()
                .unwrap_or_else(|| vnet::cluster::DEFAULT_HOST.to_string()),
            budget,
            limits: vnet::daemon::Limits::from_env()?,
            cluster: args
                .cluster_store
                .as_ref()
                .map(|url| vnet::cluster::HostConfig {
                    cluster_store: Some(url.clone()),
                    cluster_store_opts: args.cluster_store_opt.clone(),
                    cluster_advertise: args.cluster_advertise.clone(),
                    icc_off: false,
                }),
        };
        if args.cluster_store.is_none() && args.cluster_advertise.is_some() {
            anyhow::bail!(
                "invalid cluster configuration. --cluster-advertise must be accompanied by --cluster-store configuration"
            );
        }
        vnet::daemon::run(opts, |socket| {
            println!("API listen on {}", socket.display());
            let _ = io::stdout().flush();
        })?;
        return Ok(Outcome::default());
    }
    if !parsed.needs_state() && !matches!(parsed.command, Some(Command::State { .. })) {
        let mut c = vnet::cluster::Cluster::new(0);
        return Ok(cli::execute(parsed, "vnet", &mut c, &mut io::empty()));
    }
    let reset = matches!(
        &parsed.command,
        Some(Command::System {
            command: Some(SystemCommand::Reset { .. })
        })
    );
    let mut store = match Store::open(&dir, seed) {
        // A state this vnet cannot read is still one `system reset` can remove.
        Err(store::StoreError::Corrupt { .. } | store::StoreError::TooNew { .. }) if reset => {
            store::remove(&dir)?;
            Store::open(&dir, seed)?
        }
        r => r?,
    };
    if let Some(Command::State { command: Some(c) }) = &parsed.command
        && !parsed.help
    {
        return state_command(c, &mut store, seed);
    }
    if let Some(Command::System {
        command: Some(SystemCommand::Reset { force }),
    }) = &parsed.command
    {
        let mut o = Outcome::default();
        if !force {
            print!(
                "WARNING! This will remove every network, container and the virtual clock in {}.\nAre you sure you want to continue? [y/N] ",
                dir.display()
            );
            io::stdout().flush()?;
            let mut line = String::new();
            io::stdin().read_line(&mut line)?;
            if !matches!(line.trim(), "y" | "Y") {
                return Ok(o);
            }
        }
        store.reset(seed)?;
        o.stdout = format!("Removed the state in {}\n", dir.display());
        return Ok(o);
    }
    // Opened before the command runs, so that a capture that cannot be written stops it
    // before it changes anything.
    // With --append, the command's frames go after what the file holds, as a new pcapng
    // section (a file may hold several; readers take them in order).
    let capture = match &parsed.capture {
        Some(path) => Some((
            path.clone(),
            std::fs::File::options()
                .write(true)
                .create(true)
                .append(parsed.append)
                .truncate(!parsed.append)
                .open(path)
                .map_err(|e| anyhow::anyhow!("cannot write the capture {}: {e}", path.display()))?,
        )),
        None => None,
    };
    let stdin = io::stdin();
    let mut input = stdin.lock();
    let mut outcome = if parsed.detached() {
        // An exec or an attach: no lock held while it runs, its output on the terminal as it
        // comes, Ctrl-C ends it.
        // An attach's prompts and echo are gathered with its output, in order.
        if matches!(parsed.command, Some(Command::Exec(_))) {
            parsed.terminal = Some(Console(Arc::new(Tty::open()?)));
        }
        let parsed = &*parsed;
        let (mut outcome, saved) = store.run_detached(&parsed.scope(), seed, |cluster| {
            cluster.budget = budget;
            cli::execute(parsed, "vnet", cluster, &mut input)
        })?;
        if let Err(e) = saved {
            outcome.stderr.push_str(&format!("vnet: {e}\n"));
            if outcome.code == 0 {
                outcome.code = 1;
            }
        }
        outcome
    } else {
        // A command that runs again (another daemon changed a live cluster store under it)
        // reads the same input again: what its first run read is kept and replayed.
        let mut input = Replay::new(input);
        store.run(&parsed.scope(), parsed.writes(), seed, |cluster| {
            cluster.budget = budget;
            input.rewind();
            cli::execute(parsed, "vnet", cluster, &mut input)
        })?
    };
    if let Some(mut f) = outcome.follow.take() {
        let scope = Scope::of(std::slice::from_ref(&f.container), &[]);
        let host = parsed.host.clone();
        follow(
            &mut store,
            seed,
            host.as_deref(),
            &scope,
            &mut outcome,
            |d, o| match cli::logs::follow(&f, d, o) {
                Some(n) => {
                    *f = n;
                    true
                }
                None => false,
            },
        )?;
    }
    if let Some(mut f) = outcome.follow_events.take()
        && f.until.is_none_or(|u| u > wall_now())
    {
        let host = parsed.host.clone();
        follow(
            &mut store,
            seed,
            host.as_deref(),
            &Scope::of(&[], &[]),
            &mut outcome,
            |d, o| match cli::events::follow(&f, d, o) {
                Some(n) => {
                    *f = n;
                    f.until.is_none_or(|u| u > wall_now())
                }
                None => false,
            },
        )?;
    }
    if let Some((path, mut file)) = capture {
        // Written even when the command moved no frame, so the file always opens.
        let bytes = outcome
            .capture
            .take()
            .unwrap_or_else(|| vnet::engine::trace::Pcapng::default().bytes());
        if let Err(e) = file.write_all(&bytes).and_then(|_| file.sync_all()) {
            outcome.stderr.push_str(&format!(
                "vnet: the command's changes were saved, but the capture {} failed: {e}\n",
                path.display()
            ));
            outcome.code = outcome.code.max(1);
        }
    }
    Ok(outcome)
}

/// The wall clock, as the instant type events carry (for `events --until`: streaming
/// stops when the wall clock passes it, as docker's does).
fn wall_now() -> vnet::time::Instant {
    let micros = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_micros());
    vnet::time::Instant(u64::try_from(micros).unwrap_or(u64::MAX))
}

/// `vnet logs --follow` and `vnet events`: what comes, printed as it comes (the state
/// read again every quarter of a second, `scope` of it), as long as `step` says the stream
/// goes on (a followed container runs, `--until` is ahead), or until Ctrl-C.
fn follow(
    store: &mut Store,
    seed: Option<u64>,
    host: Option<&str>,
    scope: &Scope,
    outcome: &mut Outcome,
    mut step: impl FnMut(&vnet::docker::Daemon, &mut Outcome) -> bool,
) -> anyhow::Result<()> {
    let tty = Tty::open()?;
    let host = host.unwrap_or(vnet::cluster::DEFAULT_HOST).to_string();
    loop {
        // A reader gone (`vnet events | head -1`) ends the stream.
        let out = std::mem::take(&mut outcome.stdout);
        if io::stdout()
            .write_all(out.as_bytes())
            .and_then(|()| io::stdout().flush())
            .is_err()
        {
            return Ok(());
        }
        let _ = io::stderr().write_all(std::mem::take(&mut outcome.stderr).as_bytes());
        let until = std::time::Instant::now() + std::time::Duration::from_millis(250);
        while std::time::Instant::now() < until {
            if tty.interrupted() {
                return Ok(());
            }
            std::thread::sleep(std::time::Duration::from_millis(25));
        }
        let (more, o) = store.run(scope, false, seed, |cluster| {
            let mut o = Outcome::default();
            let more = cluster
                .with_host(&host, |d| step(d, &mut o))
                .unwrap_or(false);
            (more, o)
        })?;
        outcome.stdout.push_str(&o.stdout);
        outcome.stderr.push_str(&o.stderr);
        if !more {
            return Ok(());
        }
    }
}

/// `vnet state export|import|check`.
fn state_command(
    c: &StateCommand,
    store: &mut Store,
    seed: Option<u64>,
) -> anyhow::Result<Outcome> {
    let mut o = Outcome::default();
    match c {
        StateCommand::Export => {
            let loaded = store.load(&Scope::All, false, seed)?;
            o.stdout = String::from_utf8(Store::encode(&loaded.cluster))?;
        }
        StateCommand::Import { file } => {
            let bytes = if file.as_os_str() == "-" {
                let mut b = Vec::new();
                io::Read::read_to_end(&mut io::stdin(), &mut b)?;
                b
            } else {
                std::fs::read(file)
                    .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?
            };
            store.import(&bytes, file)?;
        }
        StateCommand::Check => {
            store.check()?;
            o.stdout = "ok\n".to_string();
        }
    }
    Ok(o)
}

/// The terminal `vnet exec` runs on: output written and flushed as the simulation produces
/// it; SIGINT (Ctrl-C), SIGTERM, SIGHUP or a closed standard output interrupt the command, which
/// then ends as the real one would (ping prints its statistics). A second signal kills vnet.
struct Tty {
    opened: std::time::Instant,
    /// 0: running; 1: interrupted by a signal; 2: standard output is gone.
    interrupt: Arc<AtomicU8>,
    signalled: Arc<AtomicBool>,
}

impl Tty {
    fn open() -> anyhow::Result<Tty> {
        use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
        let signalled = Arc::new(AtomicBool::new(false));
        for sig in [SIGINT, SIGTERM, SIGHUP] {
            // The second signal ends vnet at once (status 128+N as the shell reports it).
            signal_hook::flag::register_conditional_shutdown(sig, 128 + sig, signalled.clone())
                .and_then(|_| signal_hook::flag::register(sig, signalled.clone()))
                .map_err(|e| anyhow::anyhow!("cannot handle signal {sig}: {e}"))?;
        }
        Ok(Tty {
            opened: std::time::Instant::now(),
            interrupt: Arc::new(AtomicU8::new(0)),
            signalled,
        })
    }
}

impl Terminal for Tty {
    fn write(&self, s: &str) {
        let mut out = io::stdout().lock();
        if out
            .write_all(s.as_bytes())
            .and_then(|_| out.flush())
            .is_err()
        {
            self.interrupt.store(2, Ordering::Relaxed);
        }
    }

    fn interrupted(&self) -> bool {
        self.signalled.load(Ordering::Relaxed) || self.interrupt.load(Ordering::Relaxed) != 0
    }

    fn pace(&self, elapsed: vnet::time::Duration) {
        vnet::busybox::applet::pace_wall_clock(self.opened, elapsed, &|| self.interrupted());
    }
}

/// The most input [`Replay`] keeps.
const REPLAY_MAX: usize = 1 << 20;

/// An input read again from its start by each run of a command that runs more than once:
/// what the runs before read is kept (a prompt's answer, at most what a person types), the
/// rest comes from the inner reader.
struct Replay<R> {
    inner: R,
    seen: Vec<u8>,
    at: usize,
}

impl<R: io::BufRead> Replay<R> {
    fn new(inner: R) -> Replay<R> {
        Replay {
            inner,
            seen: Vec::new(),
            at: 0,
        }
    }

    fn rewind(&mut self) {
        self.at = 0;
    }
}

impl<R: io::BufRead> io::Read for Replay<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = {
            let avail = io::BufRead::fill_buf(self)?;
            let n = avail.len().min(buf.len());
            if let (Some(to), Some(from)) = (buf.get_mut(..n), avail.get(..n)) {
                to.copy_from_slice(from);
            }
            n
        };
        io::BufRead::consume(self, n);
        Ok(n)
    }
}

impl<R: io::BufRead> io::BufRead for Replay<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if let Some(kept) = self.seen.get(self.at..).filter(|k| !k.is_empty()) {
            return Ok(kept);
        }
        self.inner.fill_buf()
    }

    fn consume(&mut self, n: usize) {
        if self.at < self.seen.len() {
            self.at = (self.at + n).min(self.seen.len());
            return;
        }
        // Kept as it is consumed from the inner reader, up to a bound (a run again past it
        // reads on from where the first stopped).
        if let Ok(avail) = self.inner.fill_buf() {
            let n = n.min(REPLAY_MAX.saturating_sub(self.seen.len()));
            self.seen.extend_from_slice(avail.get(..n).unwrap_or(avail));
        }
        self.inner.consume(n);
        self.at = self.seen.len();
    }
}

#[cfg(test)]
mod tests {
    use super::Replay;
    use std::io::BufRead;

    #[test]
    fn a_run_again_reads_the_same_input() {
        let mut r = Replay::new(&b"y\nmore\n"[..]);
        let mut line = String::new();
        r.read_line(&mut line).unwrap();
        assert_eq!(line, "y\n");
        r.rewind();
        let mut again = String::new();
        r.read_line(&mut again).unwrap();
        assert_eq!(again, "y\n");
        let mut next = String::new();
        r.read_line(&mut next).unwrap();
        assert_eq!(next, "more\n");
        r.rewind();
        let mut all = String::new();
        std::io::Read::read_to_string(&mut r, &mut all).unwrap();
        assert_eq!(all, "y\nmore\n");
    }
}
