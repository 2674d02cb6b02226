//! Docker's command line over the [`docker`](crate::docker) layer.
//!
//! The clap structs are syntax only (docker/cli's flags, short and long, combined `-itd`);
//! each handler turns them into a Docker request, as the docker CLI turns flags into an API
//! body, and renders the answer the way the docker CLI prints it: tables, JSON, Go templates,
//! `Error response from daemon: ` before the daemon's message, exit status 1 (125 for `run`
//! and `create`). Nothing here touches files or the terminal: [`execute`] takes the
//! arguments and an input for prompts and returns an [`Outcome`], so the `vnet` binary and an
//! in-process replay produce the same bytes.

mod cluster;
mod container;
pub mod events;
pub mod format;
mod help;
mod host;
mod image;
mod inspect;
mod link;
pub mod logs;
mod network;
mod opts;
pub use opts::parse_kv;
mod df;
mod port;
mod prune;
mod stats;
pub mod templates;
mod top;

use crate::cluster::{Cluster, DEFAULT_HOST};
use crate::docker::{Daemon, Error as DaemonError};
use crate::store::Scope;
use clap::{Parser, Subcommand};
use std::io::BufRead;
use std::path::PathBuf;

/// What a command printed and how it exited.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Outcome {
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
    /// Exit status.
    pub code: i32,
    /// A pcapng capture of the frames the command moved (`--capture`).
    pub capture: Option<Vec<u8>>,
    /// One line per frame the command moved (`--trace`).
    pub trace: Vec<String>,
    /// A `logs --follow` that goes on: the `vnet` binary asks for more
    /// ([`logs::follow`]).
    pub follow: Option<Box<logs::Follow>>,
    /// An `events` stream that goes on ([`events::follow`]).
    pub follow_events: Option<Box<events::FollowEvents>>,
}

impl Outcome {
    fn out(&mut self, s: impl AsRef<str>) {
        self.stdout.push_str(s.as_ref());
    }
    fn outln(&mut self, s: impl AsRef<str>) {
        self.stdout.push_str(s.as_ref());
        self.stdout.push('\n');
    }
    fn errln(&mut self, s: impl AsRef<str>) {
        self.stderr.push_str(s.as_ref());
        self.stderr.push('\n');
    }
    /// A daemon error as the docker CLI prints it (status 1).
    fn daemon_error(&mut self, e: &DaemonError) {
        self.errln(daemon_msg(e));
        self.code = 1;
    }
    /// A client-side error: the message alone (status 1).
    fn fail(&mut self, msg: impl AsRef<str>) {
        self.errln(msg);
        self.code = 1;
    }
}

/// `Error response from daemon: <message>`, the message trimmed of surrounding white space
/// as the docker CLI's API client does (`checkResponseErr`).
pub fn daemon_msg(e: &DaemonError) -> String {
    format!("Error response from daemon: {}", e.message.trim())
}

/// `vnet`'s command line: Docker's commands plus vnet's own (`system reset`).
#[derive(Parser, Debug)]
#[command(
    name = "vnet",
    about = "Docker's networking, simulated in userspace",
    disable_help_subcommand = true,
    disable_help_flag = true,
    disable_version_flag = true
)]
pub struct Cli {
    /// Print usage
    #[arg(long, global = true)]
    pub help: bool,
    /// Print version information and quit
    #[arg(short = 'v', long = "version")]
    pub version: bool,
    /// State directory (default: $VNET_STATE_DIR, $XDG_STATE_HOME/vnet, ~/.local/state/vnet).
    #[arg(long, global = true, value_name = "DIR")]
    pub state_dir: Option<PathBuf>,
    /// Seed for a new state: IDs, MACs and addresses follow from it (default: $VNET_SEED).
    #[arg(long, global = true, value_name = "N")]
    pub seed: Option<u64>,
    /// Print one tcpdump-like line per frame the command moves (on stderr)
    #[arg(long, global = true)]
    pub trace: bool,
    /// Write the frames the command moves to a pcapng file
    #[arg(long, global = true, value_name = "FILE")]
    pub capture: Option<PathBuf>,
    /// With --capture: add this command's frames to the file (a new pcapng section) rather
    /// than replace it
    #[arg(long, global = true)]
    pub append: bool,
    /// The simulated host to talk to (default: $VNET_HOST, else "default")
    #[arg(short = 'H', long = "host", global = true, value_name = "NAME")]
    pub host: Option<String>,
    /// Pace every command to the wall clock, one virtual second a second (commands without
    /// an end, such as `ping` without -c, always are)
    #[arg(long, global = true)]
    pub realtime: bool,
    /// The user's terminal, set by the front end that has one: a running command's output
    /// goes there as it comes, and its interrupt ends the command.
    #[arg(skip)]
    pub terminal: Option<crate::busybox::applet::Console>,
    /// The command.
    #[command(subcommand)]
    pub command: Option<Command>,
}

impl Cli {
    /// Whether the command reads or writes state (help and usage texts do not).
    pub fn needs_state(&self) -> bool {
        !self.help
            && matches!(
                &self.command,
                Some(Command::Network { command: Some(_) })
                    | Some(Command::System { command: Some(_) })
                    | Some(Command::Run(_) | Command::Create(_) | Command::Start(_))
                    | Some(Command::Stop(_) | Command::Restart(_) | Command::Rm(_))
                    | Some(Command::Rename(_) | Command::Ps(_) | Command::Inspect(_))
                    | Some(Command::Kill(_) | Command::Stats(_) | Command::Top(_))
                    | Some(Command::Images(_))
                    | Some(Command::Container { command: Some(_) })
                    | Some(Command::Exec(_) | Command::Attach(_) | Command::Port(_))
                    | Some(Command::Logs(_) | Command::Events(_))
                    | Some(Command::Link { command: Some(_) })
                    | Some(Command::Host { command: Some(_) })
                    | Some(Command::Cluster { command: Some(_) })
                    | Some(Command::Image { command: Some(_) })
            )
    }

    /// Whether the command may run as long as its user wants (`exec`, `attach`): it then
    /// runs without the state's write lock and saves its changes at the end, merged with
    /// what other commands saved meanwhile ([`crate::store::Store::run_detached`]).
    pub fn detached(&self) -> bool {
        !self.help
            && match &self.command {
                Some(Command::Exec(a)) => !a.detach(),
                Some(Command::Attach(_)) => true,
                Some(Command::Host {
                    command: Some(host::HostCommand::Exec(_)),
                }) => true,
                _ => false,
            }
    }

    /// What the command loads of the state ([`Scope::All`] unless it names what it
    /// touches). A narrow load that turns out too narrow costs a second run, never a wrong
    /// answer (see [`crate::store::scope`]). A traced `exec` loads everything: its trace
    /// names the drops at the host, and a packet for a network the command does not load
    /// is Docker's isolation only if that network's subnet is known (a partial load knows
    /// other networks' gateways, not their subnets).
    pub fn scope(&self) -> Scope {
        if self.help {
            return Scope::All;
        }
        match &self.command {
            Some(Command::Network { command: Some(c) }) => c.scope(),
            Some(Command::Run(a) | Command::Create(a)) => a.scope(),
            Some(Command::Stop(a)) => a.scope(),
            Some(Command::Restart(a)) => a.restart_scope(),
            Some(Command::Start(a)) => a.start_scope(),
            Some(Command::Rm(a)) => a.scope(),
            Some(Command::Ps(a)) => a.scope(),
            Some(Command::Inspect(a)) => a.scope(),
            Some(Command::Exec(a)) if !self.trace => a.scope(),
            Some(Command::Port(a)) => a.scope(),
            Some(Command::Logs(a)) => a.scope(),
            Some(Command::Kill(a)) => a.scope(),
            Some(Command::Stats(a)) => a.scope(),
            Some(Command::Top(a)) => a.scope(),
            // The events are the host's own: no object needs loading.
            Some(Command::Events(_)) => Scope::of(&[], &[]),
            _ => Scope::All,
        }
    }

    /// Whether the command may change the state (a reader never waits for a writer).
    pub fn writes(&self) -> bool {
        use network::NetworkCommand as N;
        !matches!(
            &self.command,
            Some(Command::Ps(_) | Command::Inspect(_) | Command::Port(_))
                | Some(Command::Logs(_) | Command::Events(_) | Command::Stats(_))
                | Some(Command::Top(_) | Command::Images(_))
                | Some(Command::Network {
                    command: Some(N::Ls(_) | N::Inspect(_))
                })
                | Some(Command::Link {
                    command: Some(link::LinkCommand::Ls)
                })
                | Some(Command::Image {
                    command: Some(image::ImageCommand::Ls(_) | image::ImageCommand::Inspect(_))
                })
                | Some(Command::System {
                    command: Some(SystemCommand::Df(_))
                })
                | Some(Command::Host {
                    command: Some(host::HostCommand::Ls | host::HostCommand::Inspect(_))
                })
                | Some(Command::Cluster { .. })
        )
    }
}

/// Top-level commands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Manage networks
    Network {
        /// The network command.
        #[command(subcommand)]
        command: Option<network::NetworkCommand>,
    },
    /// Create and run a new container from an image
    Run(container::RunArgs),
    /// Create a new container
    Create(container::RunArgs),
    /// Start one or more stopped containers
    Start(container::NamesArgs),
    /// Stop one or more running containers
    Stop(container::StopArgs),
    /// Restart one or more containers
    Restart(container::StopArgs),
    /// Remove one or more containers
    Rm(container::RmArgs),
    /// Rename a container
    Rename(container::NamesArgs),
    /// Kill one or more running containers
    Kill(container::KillArgs),
    /// Display a live stream of container(s) resource usage statistics
    Stats(stats::StatsArgs),
    /// Display the running processes of a container
    Top(top::TopArgs),
    /// List images
    Images(image::ImagesArgs),
    /// Manage containers
    Container {
        /// The container command.
        #[command(subcommand)]
        command: Option<ContainerCommand>,
    },
    /// List containers
    Ps(container::PsArgs),
    /// Return low-level information on Docker objects
    Inspect(container::InspectArgs),
    /// Execute a command in a running container
    Exec(container::ExecArgs),
    /// Attach local standard input, output, and error streams to a running container
    Attach(container::AttachArgs),
    /// List port mappings or a specific mapping for the container
    Port(port::PortArgs),
    /// Fetch the logs of a container
    Logs(logs::LogsArgs),
    /// Get real time events from the server
    Events(events::EventsArgs),
    /// Show the Docker version information
    Version(VersionArgs),
    /// Set loss, delay and jitter on a network's links (vnet's own)
    Link {
        /// The link command.
        #[command(subcommand)]
        command: Option<link::LinkCommand>,
    },
    /// Manage the images of a simulated host (vnet's own)
    Image {
        /// The image command.
        #[command(subcommand)]
        command: Option<image::ImageCommand>,
    },
    /// Manage simulated Docker hosts (vnet's own)
    Host {
        /// The host command.
        #[command(subcommand)]
        command: Option<host::HostCommand>,
    },
    /// Replay YAML scenarios (vnet's own)
    Scenario {
        /// The scenario command.
        #[command(subcommand)]
        command: Option<ScenarioCommand>,
    },
    /// Serve the Docker Engine API on a unix socket (vnet's own)
    Daemon(DaemonArgs),
    /// Show a host's cluster store: nodes and global networks (vnet's own)
    Cluster {
        /// The cluster command.
        #[command(subcommand)]
        command: Option<cluster::ClusterCommand>,
    },
    /// Export, import or check the state database (vnet's own)
    State {
        /// The state command.
        #[command(subcommand)]
        command: Option<StateCommand>,
    },
    /// Manage vnet itself
    System {
        /// The system command.
        #[command(subcommand)]
        command: Option<SystemCommand>,
    },
}

/// `vnet daemon` flags.
#[derive(clap::Args, Debug)]
#[command(args_override_self = true)]
pub struct DaemonArgs {
    /// The unix socket to listen on (default: vnet.sock in the state directory)
    #[arg(long, value_name = "PATH")]
    pub socket: Option<PathBuf>,
    /// URL of a real etcd to keep global networks in (etcd://HOST:PORT)
    #[arg(long = "cluster-store", value_name = "URL")]
    pub cluster_store: Option<String>,
    /// Set cluster store options (discovery.heartbeat=S, discovery.ttl=S)
    #[arg(long = "cluster-store-opt", value_name = "KEY=VALUE")]
    pub cluster_store_opt: Vec<String>,
    /// Address or interface name to advertise (IP:PORT or IFACE:PORT)
    #[arg(long = "cluster-advertise", value_name = "ADDR")]
    pub cluster_advertise: Option<String>,
}

/// `vnet container ...`: the commands of the same names (`container ls` is `ps`), and
/// those only the management command has.
#[derive(Subcommand, Debug)]
pub enum ContainerCommand {
    /// Remove all stopped containers
    Prune(prune::ContainerPruneArgs),
}

/// `vnet scenario ...`.
#[derive(Subcommand, Debug)]
pub enum ScenarioCommand {
    /// Replay scenario files, or every .yaml file under directories
    Run(ScenarioArgs),
}

/// `vnet scenario run` flags.
#[derive(clap::Args, Debug)]
#[command(args_override_self = true)]
pub struct ScenarioArgs {
    /// Write a JUnit XML report to FILE
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Print the report as JSON
    #[arg(long)]
    pub json: bool,
    /// Replay this many files at once
    #[arg(short, long, default_value_t = 1)]
    pub jobs: usize,
    /// Replay each file twice and compare everything printed and every frame moved
    #[arg(long)]
    pub check_determinism: bool,
    /// FILE|DIR...
    pub paths: Vec<PathBuf>,
}

/// `vnet state ...`: the state database as one JSON document.
#[derive(Subcommand, Debug)]
pub enum StateCommand {
    /// Print the whole state as one JSON document
    Export,
    /// Replace the state with a document's (from `vnet state export` or a state.json)
    Import {
        /// The document (`-` for standard input)
        file: PathBuf,
    },
    /// Check the database's integrity and the state's cross-references
    Check,
}

/// `vnet version`.
#[derive(clap::Args, Debug)]
#[command(args_override_self = true)]
pub struct VersionArgs {
    /// Format output using a custom template
    #[arg(short, long)]
    format: Option<String>,
}

/// `vnet system ...`.
#[derive(Subcommand, Debug)]
pub enum SystemCommand {
    /// Show or set the order of a shared name's addresses: `registration` (the first
    /// container to take the name answers first) or `shuffle` (Docker's, seeded)
    DnsOrder {
        /// registration|shuffle
        order: Option<String>,
    },
    /// Show docker disk usage
    Df(df::DfArgs),
    /// Remove unused data
    Prune(prune::SystemPruneArgs),
    /// Remove all state (networks, containers, the clock) and start over
    Reset {
        /// Do not prompt for confirmation
        #[arg(short, long)]
        force: bool,
    },
}

/// Parses a command line. `argv[0]` is the program name (`vnet`, or `docker` in a
/// scenario); errors come back as the [`Outcome`] to show.
pub fn parse(argv: &[String]) -> Result<Cli, Outcome> {
    let prog = argv.first().map_or("vnet", |s| s.as_str()).to_string();
    let argv = &help::docker_aliases(argv);
    let cli = Cli::try_parse_from(argv).map_err(|e| clap_outcome(&prog, argv, e))?;
    if cli.append && cli.capture.is_none() {
        let mut o = Outcome::default();
        usage_error(
            &mut o,
            &prog,
            &help::path_of(argv),
            "--append needs --capture FILE",
        );
        return Err(o);
    }
    Ok(cli)
}

/// docker/cli's flag errors: the problem, the usage line, a pointer to --help, status 125.
fn usage_error(o: &mut Outcome, prog: &str, path: &str, msg: &str) {
    let p = if path.is_empty() {
        prog.to_string()
    } else {
        format!("{prog} {path}")
    };
    o.errln(format!(
        "{msg}\n\nUsage:  {}\n\nRun '{p} --help' for more information",
        help::use_line(path, prog)
    ));
    o.code = 125;
}

fn clap_outcome(prog: &str, argv: &[String], e: clap::Error) -> Outcome {
    use clap::error::{ContextKind, ErrorKind};
    let mut o = Outcome::default();
    let path = help::path_of(argv);
    let ctx = |k: ContextKind| e.get(k).map(|v| v.to_string()).unwrap_or_default();
    match e.kind() {
        ErrorKind::UnknownArgument => {
            let arg = ctx(ContextKind::InvalidArg);
            let arg = arg.split('=').next().unwrap_or_default();
            let msg = if arg.starts_with("--") {
                format!("unknown flag: {arg}")
            } else if arg.starts_with('-') {
                let ch = arg.trim_start_matches('-').chars().next().unwrap_or('?');
                format!("unknown shorthand flag: '{ch}' in {arg}")
            } else {
                return unknown_command(prog, &path, arg);
            };
            usage_error(&mut o, prog, &path, &msg);
        }
        ErrorKind::InvalidSubcommand => {
            return unknown_command(prog, &path, &ctx(ContextKind::InvalidSubcommand));
        }
        ErrorKind::ValueValidation | ErrorKind::InvalidValue => {
            let flag = ctx(ContextKind::InvalidArg);
            let long = flag.split([' ', '[']).next().unwrap_or_default();
            let flag = help::flag_display(&path, long.trim_start_matches('-'));
            let value = ctx(ContextKind::InvalidValue);
            let digits = value.strip_prefix('-').unwrap_or(&value);
            let why = if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
                "value out of range"
            } else {
                "invalid syntax"
            };
            // Our own value parsers give pflag's words; numbers fail as strconv.ParseInt.
            let detail = std::error::Error::source(&e)
                .map(|s| s.to_string())
                .filter(|s| s.starts_with("strconv."))
                .unwrap_or_else(|| format!("strconv.ParseInt: parsing \"{value}\": {why}"));
            let msg = format!("invalid argument \"{value}\" for \"{flag}\" flag: {detail}");
            usage_error(&mut o, prog, &path, &msg);
        }
        ErrorKind::NoEquals | ErrorKind::InvalidUtf8 | ErrorKind::TooManyValues => {
            usage_error(
                &mut o,
                prog,
                &path,
                &format!("invalid argument: {}", e.kind()),
            );
        }
        _ => {
            // Flags that need a value and got none: cobra's words.
            let arg = ctx(ContextKind::InvalidArg);
            let flag = arg.split(" <").next().unwrap_or_default();
            let flag = flag.rsplit(", ").next().unwrap_or(flag);
            let name = flag.trim_start_matches('-');
            usage_error(
                &mut o,
                prog,
                &path,
                &format!(
                    "flag needs an argument: {}",
                    if flag.starts_with("--") {
                        format!("--{name}")
                    } else {
                        format!("'{name}' in -{name}")
                    }
                ),
            );
        }
    }
    o
}

fn unknown_command(prog: &str, path: &str, word: &str) -> Outcome {
    let mut o = Outcome::default();
    if path.is_empty() {
        o.errln(format!(
            "{prog}: unknown command: {prog} {word}\n\nRun '{prog} --help' for more information"
        ));
    } else {
        // cobra's use line of a management command has no `COMMAND`.
        let use_line = help::use_line(path, prog);
        o.errln(format!(
            "{prog}: unknown command: {prog} {path} {word}\n\nUsage:  {}\n\nRun '{prog} {path} --help' for more information",
            use_line.trim_end_matches(" COMMAND")
        ));
    }
    o.code = 1;
    o
}

/// Runs one parsed command on a cluster of simulated hosts: `host` commands on the cluster,
/// the rest on the host `-H` names (else `default`). `prog` names the program in messages
/// (`vnet`, or `docker` when a scenario types `docker ...`); `input` answers prompts.
pub fn execute(cli: &Cli, prog: &str, cluster: &mut Cluster, input: &mut dyn BufRead) -> Outcome {
    let mut o = Outcome::default();
    if cli.help {
        o.out(help::render(&command_path(cli), prog));
        return o;
    }
    if cli.version && cli.command.is_none() {
        o.outln(format!(
            "{prog} version {}, Docker Engine {}",
            env!("CARGO_PKG_VERSION"),
            crate::docker::ENGINE_VERSION
        ));
        return o;
    }
    if let Some(Command::Version(a)) = &cli.command {
        version(a, &mut o);
        return o;
    }
    match &cli.command {
        Some(Command::Host { command: None }) => {
            o.stderr.push_str(&help::render("host", prog));
            return o;
        }
        Some(Command::Host {
            command: Some(host::HostCommand::Exec(a)),
        }) => {
            let name = cli.host.as_deref().unwrap_or(DEFAULT_HOST);
            if a.args.is_empty() {
                o.fail(format!(
                    "\"{prog} host exec\" requires at least 1 argument.\nSee '{prog} host exec --help'.\n\nUsage:  {prog} host exec [-H NAME] COMMAND [ARG...]\n\nRun a command on a host itself"
                ));
                return o;
            }
            let opts = container::exec_options(cli, false);
            match cluster.with_host(name, |d| crate::busybox::host_exec(d, &a.args, &opts)) {
                Ok(r) => {
                    o.code = r.code;
                    container::take_exec_result(r, &mut o);
                }
                Err(e) => o.fail(e.to_string()),
            }
            return o;
        }
        Some(Command::Host { command: Some(c) }) => {
            host::run(c, prog, cluster, &mut o);
            return o;
        }
        Some(Command::Cluster { command: None }) => {
            o.stderr.push_str(&help::render("cluster", prog));
            return o;
        }
        Some(Command::Cluster { command: Some(c) }) => {
            let name = cli.host.as_deref().unwrap_or(DEFAULT_HOST);
            cluster::run(c, cluster, name, &mut o);
            return o;
        }
        _ => {}
    }
    // Help and usage texts touch no host.
    let name = match &cli.host {
        Some(h) if cli.needs_state() => h.as_str(),
        _ => DEFAULT_HOST,
    };
    match cluster.with_host(name, |d| execute_on(cli, prog, d, input)) {
        Ok(o) => o,
        Err(e) => {
            o.fail(e.to_string());
            o
        }
    }
}

/// Runs one parsed command on one host's engine.
fn execute_on(cli: &Cli, prog: &str, daemon: &mut Daemon, input: &mut dyn BufRead) -> Outcome {
    let mut o = Outcome::default();
    match &cli.command {
        Some(Command::Host { .. } | Command::Cluster { .. }) => {
            unreachable!("host and cluster commands run on the cluster")
        }
        None => o.out(help::render("", prog)),
        Some(Command::Network { command: None }) => {
            // docker prints a management command's usage to stderr, status 0.
            o.stderr.push_str(&help::render("network", prog));
        }
        Some(Command::Network { command: Some(c) }) => network::run(c, prog, daemon, input, &mut o),
        Some(Command::Run(a)) => container::run(a, cli, prog, true, daemon, input, &mut o),
        Some(Command::Create(a)) => container::run(a, cli, prog, false, daemon, input, &mut o),
        Some(Command::Start(a)) => container::start(a, prog, daemon, &mut o),
        Some(Command::Stop(a)) => container::stop(a, prog, false, daemon, &mut o),
        Some(Command::Restart(a)) => container::stop(a, prog, true, daemon, &mut o),
        Some(Command::Rm(a)) => container::rm(a, prog, daemon, &mut o),
        Some(Command::Rename(a)) => container::rename(a, prog, daemon, &mut o),
        Some(Command::Kill(a)) => container::kill(a, prog, daemon, &mut o),
        Some(Command::Stats(a)) => stats::stats(a, daemon, &mut o),
        Some(Command::Top(a)) => top::top(a, prog, daemon, &mut o),
        Some(Command::Images(a)) => image::images(a, prog, "images", daemon, &mut o),
        Some(Command::Ps(a)) => container::ps(a, prog, daemon, &mut o),
        Some(Command::Inspect(a)) => container::inspect(a, prog, daemon, &mut o),
        Some(Command::Exec(a)) => container::exec(a, cli, prog, daemon, input, &mut o),
        Some(Command::Attach(a)) => container::attach(a, cli, prog, daemon, input, &mut o),
        Some(Command::Port(a)) => port::port(a, prog, daemon, &mut o),
        Some(Command::Logs(a)) => logs::logs(a, prog, daemon, &mut o),
        Some(Command::Events(a)) => events::events(a, prog, daemon, &mut o),
        Some(Command::Version(a)) => version(a, &mut o),
        Some(Command::Link { command: None }) => {
            o.stderr.push_str(&help::render("link", prog));
        }
        Some(Command::Scenario { command: None }) => {
            o.stderr.push_str(&help::render("scenario", prog));
        }
        Some(Command::Scenario { command: Some(_) }) => {
            o.fail("vnet scenario run reads files; run it with the vnet binary");
        }
        Some(Command::Daemon(_)) => {
            o.fail("vnet daemon serves a socket; run it with the vnet binary");
        }
        Some(Command::Link { command: Some(c) }) => link::run(c, prog, daemon, &mut o),
        Some(Command::Image { command: None }) => {
            o.stderr.push_str(&help::render("image", prog));
        }
        Some(Command::Image { command: Some(c) }) => image::run(c, prog, daemon, &mut o),
        Some(Command::System { command: None }) => {
            o.stderr.push_str(&help::render("system", prog));
        }
        Some(Command::System {
            command: Some(SystemCommand::DnsOrder { order }),
        }) => match order.as_deref() {
            None => o.outln(if daemon.dns_shuffle() {
                "shuffle"
            } else {
                "registration"
            }),
            Some("shuffle") => daemon.set_dns_shuffle(true),
            Some("registration") => daemon.set_dns_shuffle(false),
            Some(other) => o.fail(format!(
                "unknown DNS order {other:?}: give registration or shuffle"
            )),
        },
        Some(Command::System {
            command: Some(SystemCommand::Prune(a)),
        }) => prune::system_prune(a, prog, daemon, input, &mut o),
        Some(Command::System {
            command: Some(SystemCommand::Df(a)),
        }) => df::df(a, daemon, &mut o),
        Some(Command::Container { command: None }) => {
            o.stderr.push_str(&help::render("container", prog));
        }
        Some(Command::Container {
            command: Some(ContainerCommand::Prune(a)),
        }) => prune::container_prune(a, prog, daemon, input, &mut o),
        Some(Command::System { command: Some(_) }) => {
            o.fail("vnet system reset acts on the state directory; run it with the vnet binary");
        }
        Some(Command::State { command: None }) => {
            o.stderr.push_str(&help::render("state", prog));
        }
        Some(Command::State { command: Some(_) }) => {
            o.fail("vnet state acts on the state directory; run it with the vnet binary");
        }
    }
    o
}

/// The help path of a parsed command.
fn command_path(cli: &Cli) -> String {
    use network::NetworkCommand as N;
    match &cli.command {
        None => "",
        Some(Command::Network { command }) => match command {
            None => "network",
            Some(N::Create(_)) => "network create",
            Some(N::Ls(_)) => "network ls",
            Some(N::Inspect(_)) => "network inspect",
            Some(N::Rm(_)) => "network rm",
            Some(N::Prune(_)) => "network prune",
            Some(N::Connect(_)) => "network connect",
            Some(N::Disconnect(_)) => "network disconnect",
        },
        Some(Command::Run(_)) => "run",
        Some(Command::Create(_)) => "create",
        Some(Command::Start(_)) => "start",
        Some(Command::Stop(_)) => "stop",
        Some(Command::Restart(_)) => "restart",
        Some(Command::Rm(_)) => "rm",
        Some(Command::Rename(_)) => "rename",
        Some(Command::Kill(_)) => "kill",
        Some(Command::Stats(_)) => "stats",
        Some(Command::Top(_)) => "top",
        Some(Command::Images(_)) => "images",
        Some(Command::Ps(_)) => "ps",
        Some(Command::Inspect(_)) => "inspect",
        Some(Command::Exec(_)) => "exec",
        Some(Command::Attach(_)) => "attach",
        Some(Command::Port(_)) => "port",
        Some(Command::Logs(_)) => "logs",
        Some(Command::Events(_)) => "events",
        Some(Command::Version(_)) => "version",
        Some(Command::Link { command }) => match command {
            None => "link",
            Some(link::LinkCommand::Set(_)) => "link set",
            Some(link::LinkCommand::Clear(_)) => "link clear",
            Some(link::LinkCommand::Ls) => "link ls",
        },
        Some(Command::Image { command }) => match command {
            None => "image",
            Some(image::ImageCommand::Create(_)) => "image create",
            Some(image::ImageCommand::Ls(_)) => "image ls",
            Some(image::ImageCommand::Inspect(_)) => "image inspect",
        },
        Some(Command::System { command: None }) => "system",
        Some(Command::System {
            command: Some(SystemCommand::DnsOrder { .. }),
        }) => "system dns-order",
        Some(Command::Scenario { command: None }) => "scenario",
        Some(Command::Scenario { command: Some(_) }) => "scenario run",
        Some(Command::Host { command }) => match command {
            None => "host",
            Some(host::HostCommand::Create(_)) => "host create",
            Some(host::HostCommand::Ls) => "host ls",
            Some(host::HostCommand::Inspect(_)) => "host inspect",
            Some(host::HostCommand::Rm(_)) => "host rm",
            Some(host::HostCommand::Restart(_)) => "host restart",
            Some(host::HostCommand::Partition(_)) => "host partition",
            Some(host::HostCommand::Heal(_)) => "host heal",
            Some(host::HostCommand::Exec(_)) => "host exec",
        },
        Some(Command::Daemon(_)) => "daemon",
        Some(Command::Cluster { command: None }) => "cluster",
        Some(Command::Cluster { command: Some(_) }) => "cluster status",
        Some(Command::System {
            command: Some(SystemCommand::Prune(_)),
        }) => "system prune",
        Some(Command::System {
            command: Some(SystemCommand::Df(_)),
        }) => "system df",
        Some(Command::Container { command: None }) => "container",
        Some(Command::Container { command: Some(_) }) => "container prune",
        Some(Command::System { command: Some(_) }) => "system reset",
        Some(Command::State { command: None }) => "state",
        Some(Command::State {
            command: Some(StateCommand::Export),
        }) => "state export",
        Some(Command::State {
            command: Some(StateCommand::Import { .. }),
        }) => "state import",
        Some(Command::State {
            command: Some(StateCommand::Check),
        }) => "state check",
    }
    .to_string()
}

/// Parses and runs a command line in one go (in-process replays).
pub fn run_line(argv: &[String], cluster: &mut Cluster, input: &mut dyn BufRead) -> Outcome {
    let prog = argv.first().map_or("vnet", |s| s.as_str()).to_string();
    match parse(argv) {
        Ok(cli) => execute(&cli, &prog, cluster, input),
        Err(o) => o,
    }
}

/// How many positional arguments a command takes.
enum Want {
    /// Exactly this many.
    Exactly(usize),
    /// At least this many.
    AtLeast(usize),
    /// From the first to the second (`cli.RequiresRangeArgs`).
    Range(usize, usize),
    /// At most this many (`cli.RequiresMaxArgs`).
    AtMost(usize),
}

/// cobra's argument-count errors as docker/cli 28 prints them (`cli/required.go`).
fn arity(prog: &str, path: &str, n: usize, want: Want, o: &mut Outcome) -> bool {
    let plural = |k: usize| if k == 1 { "argument" } else { "arguments" };
    let (ok, what, tail) = match want {
        Want::Exactly(0) => (n == 0, "accepts no arguments".to_string(), "Run"),
        Want::Exactly(k) => (n == k, format!("requires {k} {}", plural(k)), "Run"),
        Want::AtLeast(k) => (
            n >= k,
            format!("requires at least {k} {}", plural(k)),
            "See",
        ),
        // docker/cli 28's `RequiresMaxArgs` prints a stray `S` before `Run` (its format
        // string's leftover of "See"); word for word, so does vnet.
        Want::AtMost(k) => (
            n <= k,
            format!("requires at most {k} {}", plural(k)),
            "SRun",
        ),
        Want::Range(lo, hi) => (
            (lo..=hi).contains(&n),
            format!("requires at least {lo} and at most {hi} {}", plural(hi)),
            "Run",
        ),
    };
    if !ok {
        o.errln(format!(
            "{prog}: '{prog} {path}' {what}\n\nUsage:  {}\n\n{tail} '{prog} {path} --help' for more information",
            help::use_line(path, prog)
        ));
        o.code = 1;
    }
    ok
}

/// Reads a yes/no answer to a prompt (docker/cli `command.PromptForConfirmation`).
fn confirm(o: &mut Outcome, input: &mut dyn BufRead, prompt: &str) -> bool {
    o.out(format!("{prompt} [y/N] "));
    let mut line = String::new();
    if input.read_line(&mut line).is_err() {
        return false;
    }
    // docker/cli accepts only `y` or `Y`.
    matches!(line.trim(), "y" | "Y")
}

/// `docker version`: the client's and the engine's versions, in docker/cli's default
/// template (its tabwriter: cells padded to 20), or `--format`'s over the same fields (the
/// Go names: `.Client.Version`, `.Server.APIVersion`, `.Server.Components`). vnet is both.
fn version(a: &VersionArgs, o: &mut Outcome) {
    use serde_json::{Value, json};
    let server = crate::docker::version();
    let s = |k: &str| server.get(k).cloned().unwrap_or(Value::Null);
    let data = json!({
        "Client": {
            "Platform": {"Name": "vnet"},
            "Version": env!("CARGO_PKG_VERSION"),
            "APIVersion": crate::docker::API_VERSION,
            "DefaultAPIVersion": crate::docker::API_VERSION,
            "GitCommit": "",
            "GoVersion": "",
            "Os": "linux",
            "Arch": crate::docker::go_arch(),
            "BuildTime": "",
            "Context": "default",
        },
        "Server": {
            "Platform": s("Platform"),
            "Components": s("Components"),
            "Version": s("Version"),
            "APIVersion": s("ApiVersion"),
            "MinAPIVersion": s("MinAPIVersion"),
            "GitCommit": "",
            "GoVersion": "",
            "Os": s("Os"),
            "Arch": s("Arch"),
            "KernelVersion": "",
            "Experimental": false,
            "BuildTime": "",
        },
    });
    if let Some(f) = &a.format {
        let f = format::unescape_tabs(f);
        match crate::golang::template::Template::parse(&f).and_then(|t| t.execute(&data)) {
            Ok(out) => o.outln(out),
            Err(e) => o.fail(format!("Template parsing error: {}", e.0)),
        }
        return;
    }
    let cell = |indent: &str, label: &str, value: &str| {
        let c = format!("{indent}{label}:");
        format!("{c:<19} {value}")
    };
    let client = [
        ("Version", env!("CARGO_PKG_VERSION").to_string()),
        ("API version", crate::docker::API_VERSION.to_string()),
        ("Go version", String::new()),
        ("Git commit", String::new()),
        ("Built", String::new()),
        ("OS/Arch", format!("linux/{}", crate::docker::go_arch())),
        ("Context", "default".to_string()),
    ];
    let mut lines = vec!["Client: vnet".to_string()];
    lines.extend(client.iter().map(|(k, v)| cell(" ", k, v)));
    lines.push(String::new());
    lines.push(format!("Server: vnet {}", env!("CARGO_PKG_VERSION")));
    lines.push(" Engine:".to_string());
    let engine = [
        ("Version", crate::docker::ENGINE_VERSION.to_string()),
        (
            "API version",
            format!(
                "{} (minimum version {})",
                crate::docker::API_VERSION,
                crate::docker::MIN_API_VERSION
            ),
        ),
        ("Go version", String::new()),
        ("Git commit", String::new()),
        ("Built", String::new()),
        ("OS/Arch", format!("linux/{}", crate::docker::go_arch())),
        ("Experimental", "false".to_string()),
    ];
    lines.extend(engine.iter().map(|(k, v)| cell("  ", k, v)));
    for l in lines {
        o.outln(l);
    }
}
