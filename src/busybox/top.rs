//! `top` (busybox procps/top.c, 1.36.1's default configuration): a screenful of the
//! container's processes every `-d` seconds (5 by default), `-n` times or until interrupted;
//! `-b` writes plain lines, else each screen starts with the terminal's home-and-clear and
//! shows the header in reverse video, 80 columns by 24 lines. The processes are the
//! container's own as its PID namespace numbers them ([`Sandbox::processes`]: PID 1 its
//! command, then what was started in it, `top` itself among them). vnet models no memory,
//! CPU time or load, so the screen shows an idle machine that uses no memory: `0K`, `0.0`,
//! `100% idle`, loads `0.00`, and each process's VSZ 0 (which busybox marks `W`).
//!
//! As PID 1, top ends on the signals libbb counts fatal (TERM, INT, HUP, QUIT, ...) with
//! status 128 + the signal (`kill_myself_with_sig`, whose `raise` PID 1 ignores): `docker
//! stop` ends it at once with 143 (see [`crate::docker::container::Container::main_exits_on`]).

use super::applet::{ExecOptions, ExecResult, Getopt, Output, count};
use crate::docker::sandbox::Sandbox;
use crate::engine::budget::Exceeded;
use crate::time::Duration;

/// top's usage text after `Usage: top `.
const USAGE: &str = "[-bmH] [-n COUNT] [-d SECONDS]\n\nShow a view of process activity in real time.\nRead the status of all processes from /proc each SECONDS\nand show a screenful of them.\nKeys:\n\tN/M/P/T: show CPU usage, sort by pid/mem/cpu/time\n\tS: show memory\n\tR: reverse sort\n\tH: toggle threads, 1: toggle SMP\n\tQ,^C: exit\nOptions:\n\t-b\tBatch mode\n\t-n N\tExit after N iterations\n\t-d SEC\tDelay between updates\n\t-m\tSame as 's' key\n\t-H\tShow threads";

/// The first screen waits this long for a second CPU sample (`usleep(100000)`).
const FIRST_SAMPLE: Duration = Duration(100_000);

/// What `get_terminal_width_height` gives without a terminal size (`COLUMNS`, `LINES` unset).
const COLUMNS: usize = 80;
const LINES: usize = 24;

/// top's options.
#[derive(Debug, PartialEq)]
struct Options {
    batch: bool,
    interval: Duration,
    iterations: Option<u64>,
}

fn parse(args: &[&str]) -> Result<Options, Box<ExecResult>> {
    // make_all_argv_opts: every argument is an option, with its dash or without.
    let dashed: Vec<String> = args
        .iter()
        .map(|a| {
            if a.starts_with('-') {
                a.to_string()
            } else {
                format!("-{a}")
            }
        })
        .collect();
    let refs: Vec<&str> = dashed.iter().map(String::as_str).collect();
    let g = Getopt::parse("top", &refs, "bHm", "dn", false, USAGE)?;
    if g.has('m') {
        return Err(Box::new(ExecResult::err(
            "top: -m: arguments not simulated\n".into(),
            1,
        )));
    }
    let mut o = Options {
        batch: g.has('b'),
        interval: Duration::from_secs(5),
        iterations: None,
    };
    for (c, v) in &g.values {
        // "-d 1" became "-d -1": the dash goes.
        let v = v.strip_prefix('-').unwrap_or(v);
        let bad = || Box::new(ExecResult::err(format!("top: invalid number '{v}'\n"), 1));
        match c {
            'd' => {
                let secs = super::sleep::duration(v).ok_or_else(bad)?;
                // Limited so as not to overflow poll's timeout.
                let secs = secs.min(f64::from(i32::MAX / 1000));
                o.interval = Duration::from_micros((secs * 1e6) as u64);
            }
            // `-n 0` counts down past zero: no end, as without `-n`.
            _ => o.iterations = Some(count("top", v)?).filter(|n| *n > 0),
        }
    }
    Ok(o)
}

/// One screen: the header lines, the column titles, a line per process (PID, command).
fn screen(procs: &[(u32, String, String)], me: u32, last_pid: u32, batch: bool) -> String {
    let width = if batch { usize::MAX } else { COLUMNS };
    let cut = |s: String, n: usize| -> String { s.chars().take(n).collect() };
    let mut s = String::new();
    if !batch {
        s.push_str("\x1b[H\x1b[J");
    }
    // snprintf into a buffer of the screen's width keeps one character less.
    let narrow = width.saturating_sub(1);
    let mem = "Mem: 0K used, 0K free, 0K shrd, 0K buff, 0K cached".to_string();
    s.push_str(&cut(mem, narrow.min(99)));
    s.push('\n');
    let cpu = "CPU:  0.0% usr  0.0% sys  0.0% nic  100% idle  0.0% io  0.0% irq  0.0% sirq";
    s.push_str(&cut(cpu.to_string(), narrow.min(99)));
    s.push('\n');
    let load = format!("Load average: 0.00 0.00 0.00 1/{} {last_pid}", procs.len());
    s.push_str(&cut(load, narrow.min(99)));
    s.push('\n');
    let titles = "  PID  PPID USER     STAT   VSZ %VSZ CPU %CPU COMMAND".to_string();
    if batch {
        s.push_str(&titles);
    } else {
        s.push_str("\x1b[7m");
        s.push_str(&cut(titles, width));
        s.push_str("\x1b[m");
    }
    let rows = if batch { procs.len() } else { LINES - 4 };
    for (pid, user, command) in procs.iter().take(rows) {
        // Running is top itself; the rest sleep. VSZ 0 reads as swapped out: `W`.
        let state = if *pid == me { "RW " } else { "SW " };
        let user: String = user.chars().take(8).collect();
        let line = format!("{pid:5} {:5} {user:<8}", 0);
        let line = format!("{line} {state}      0  0.0   0  0.0 {command}");
        s.push('\n');
        s.push_str(&cut(line, width));
    }
    s.push(if batch { '\n' } else { '\r' });
    s
}

/// `top ARGS` in the container.
pub fn run(sb: &mut Sandbox, args: &[&str], opts: &ExecOptions) -> ExecResult {
    let o = match parse(args) {
        Ok(o) => o,
        Err(r) => return *r,
    };
    // Without a terminal nothing could interrupt it.
    if o.iterations.is_none() && opts.terminal.is_none() {
        return ExecResult::err(
            "vnet: top would run until interrupted; give -n COUNT\n".into(),
            1,
        );
    }
    let paced = opts.realtime || o.iterations.is_none();
    let budget = sb.budget().time;
    let start = sb.now();
    let mut out = Output::new(opts);
    let mut elapsed = FIRST_SAMPLE;
    let mut shown = 0u64;
    let interrupted = loop {
        if paced {
            out.pace(elapsed);
        } else if elapsed > budget {
            sb.advance_to(start + budget);
            let (stdout, _) = out.finish();
            return ExecResult {
                stdout,
                stderr: format!("vnet: {}\n", Exceeded::Time(budget)),
                code: 1,
                ..Default::default()
            };
        }
        if out.stopped() {
            break true;
        }
        sb.advance_to(start + elapsed);
        let (mut procs, next) = sb.processes();
        // top run by `exec` is a process of its own, numbered next.
        let me = if sb.is_main() { 1 } else { next };
        if !sb.is_main() {
            procs.push((
                me,
                sb.user_label_of_self(),
                std::iter::once("top")
                    .chain(args.iter().copied())
                    .collect::<Vec<_>>()
                    .join(" "),
            ));
        }
        let last = procs.iter().map(|(p, _, _)| *p).max().unwrap_or(1);
        out.push(&screen(&procs, me, last, o.batch));
        shown += 1;
        if o.iterations.is_some_and(|n| shown >= n) {
            break false;
        }
        elapsed = elapsed + o.interval;
    };
    // SIGINT, unless on its terminal (raw mode: ^C is a key that quits).
    let by_signal = o.batch || !opts.tty;
    if interrupted && by_signal {
        // SIGINT reaches sig_catcher: status 128 + 2 (unless the output's bound stopped it).
        return out.result(130);
    }
    // Q or ^C on its terminal, or the last iteration: a newline, status 0.
    out.push("\n");
    out.result(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options() {
        let o = parse(&["-b", "-n", "1"]).unwrap();
        assert_eq!((o.batch, o.iterations), (true, Some(1)));
        // Without dashes, and "-d 1" read as "-d -1".
        let o = parse(&["bn2", "d", "1"]).unwrap();
        assert_eq!(
            (o.batch, o.iterations, o.interval),
            (true, Some(2), Duration::from_secs(1))
        );
        assert_eq!(
            parse(&["-n", "x"]).unwrap_err().stderr,
            "top: invalid number 'x'\n"
        );
        assert_eq!(parse(&["-n", "0"]).unwrap().iterations, None);
        assert!(
            parse(&["-q"])
                .unwrap_err()
                .stderr
                .starts_with("top: invalid option -- 'q'\nBusyBox v1.36.1")
        );
    }

    #[test]
    fn batch_screen() {
        let procs = vec![
            (1, "root".to_string(), "sleep 3600".to_string()),
            (7, "www-data-long".to_string(), "top -b -n 1".to_string()),
        ];
        assert_eq!(
            screen(&procs, 7, 7, true),
            "Mem: 0K used, 0K free, 0K shrd, 0K buff, 0K cached\n\
             CPU:  0.0% usr  0.0% sys  0.0% nic  100% idle  0.0% io  0.0% irq  0.0% sirq\n\
             Load average: 0.00 0.00 0.00 1/2 7\n  \
             PID  PPID USER     STAT   VSZ %VSZ CPU %CPU COMMAND\n    \
             1     0 root     SW       0  0.0   0  0.0 sleep 3600\n    \
             7     0 www-data RW       0  0.0   0  0.0 top -b -n 1\n"
        );
    }

    #[test]
    fn terminal_screen_is_80_columns() {
        let long = "x".repeat(200);
        let s = screen(&[(1, "root".into(), long)], 1, 1, false);
        assert!(s.starts_with("\x1b[H\x1b[JMem: "));
        assert!(s.ends_with('\r'));
        let row = s.lines().last().unwrap().trim_end_matches('\r');
        assert_eq!(row.chars().count(), 80);
    }
}
