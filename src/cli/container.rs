//! `run`, `create`, `start`, `stop`, `restart`, `rm`, `rename`, `ps`, `inspect`, as
//! docker/cli v28 (`cli/command/container/*.go`, `opts.go`, `formatter/container.go`) parses
//! and prints them.

use super::format::{self, Format, ellipsis};
use super::inspect::print_inspect;
use super::opts::{parse_links, parse_publish};
use super::{Outcome, Want, arity};
use crate::docker::container::{PortBinding, port_sort_key, proto_of};
use crate::docker::network::EndpointIpamConfig;
use crate::docker::{Container, ContainerCreateRequest, Daemon, EndpointSettings};
use crate::store::Scope;
use crate::time::human_duration;
use clap::Args;
use indexmap::IndexMap;
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// `run` and `create` flags.
#[derive(Args, Debug)]
#[command(trailing_var_arg = true, args_override_self = true)]
pub struct RunArgs {
    /// Run container in background and print container ID
    #[arg(short, long)]
    detach: bool,
    /// Keep STDIN open even if not attached
    #[arg(short, long)]
    interactive: bool,
    /// Allocate a pseudo-TTY
    #[arg(short, long)]
    tty: bool,
    /// Assign a name to the container
    #[arg(long, allow_hyphen_values = true)]
    name: Option<String>,
    /// Connect a container to a network
    #[arg(long = "network", alias = "net", action = clap::ArgAction::Append)]
    network: Vec<String>,
    /// IPv4 address (e.g., 172.30.100.104)
    #[arg(long)]
    ip: Option<String>,
    /// IPv6 address (e.g., 2001:db8::33)
    #[arg(long)]
    ip6: Option<String>,
    /// Container IPv4/IPv6 link-local addresses
    #[arg(long = "link-local-ip", value_name = "list")]
    link_local_ip: Vec<String>,
    /// Container MAC address (e.g., 92:d0:c6:0a:29:33)
    #[arg(long = "mac-address", value_name = "string")]
    mac_address: Option<String>,
    /// Add network-scoped alias for the container
    #[arg(long = "network-alias", alias = "net-alias")]
    network_alias: Vec<String>,
    /// Add link to another container
    #[arg(long)]
    link: Vec<String>,
    /// Publish all exposed ports to random ports
    #[arg(short = 'P', long = "publish-all")]
    publish_all: bool,
    /// Publish a container's port(s) to the host
    #[arg(short = 'p', long)]
    publish: Vec<String>,
    /// Container host name
    #[arg(short = 'h', long)]
    hostname: Option<String>,
    /// Set environment variables
    #[arg(short = 'e', long)]
    env: Vec<String>,
    /// Expose a port or a range of ports
    #[arg(long)]
    expose: Vec<String>,
    /// Add Linux capabilities
    #[arg(long = "cap-add")]
    cap_add: Vec<String>,
    /// Drop Linux capabilities
    #[arg(long = "cap-drop")]
    cap_drop: Vec<String>,
    /// Sysctl options
    #[arg(long)]
    sysctl: Vec<String>,
    /// Give extended privileges to this container
    #[arg(long)]
    privileged: bool,
    /// Automatically remove the container and its associated anonymous volumes when it exits
    #[arg(long)]
    rm: bool,
    /// Set meta data on a container
    #[arg(short = 'l', long)]
    label: Vec<String>,
    /// Read in a line delimited file of labels
    #[arg(long = "label-file")]
    label_file: Vec<String>,
    /// Username or UID (format: <name|uid>[:<group|gid>])
    #[arg(short = 'u', long, allow_hyphen_values = true)]
    user: Option<String>,
    /// IMAGE
    image: Option<String>,
    /// [COMMAND] [ARG...]
    #[arg(allow_hyphen_values = true)]
    command: Vec<String>,
}

impl RunArgs {
    /// What `run`/`create` loads: the networks it joins, the container it shares a stack
    /// with, its links' targets and its own name (a conflict shows at once). Publishing a
    /// port looks at every container's ports: that loads the whole state.
    pub(super) fn scope(&self) -> Scope {
        if self.publish_all || !self.publish.is_empty() {
            return Scope::All;
        }
        let mut containers: Vec<String> = self.name.iter().cloned().collect();
        let mut networks = Vec::new();
        for n in &self.network {
            match n.strip_prefix("container:") {
                Some(c) => containers.push(c.to_string()),
                None if n == "default" => networks.push("bridge".to_string()),
                None => networks.push(n.clone()),
            }
        }
        if self.network.is_empty() {
            networks.push("bridge".to_string());
        }
        for l in &self.link {
            containers.push(l.split(':').next().unwrap_or_default().to_string());
        }
        Scope::of(&containers, &networks)
    }

    /// IMAGE and the command after it, as positional arguments.
    fn positional(&self) -> Vec<String> {
        self.image.iter().chain(&self.command).cloned().collect()
    }
}

/// Commands that take container names only.
#[derive(Args, Debug)]
#[command(args_override_self = true)]
pub struct NamesArgs {
    /// CONTAINER...
    args: Vec<String>,
}

/// `stop` and `restart` flags.
#[derive(Args, Debug)]
#[command(args_override_self = true)]
pub struct StopArgs {
    /// Seconds to wait before killing the container
    #[arg(
        short = 't',
        long = "timeout",
        alias = "time",
        allow_negative_numbers = true
    )]
    timeout: Option<i64>,
    /// CONTAINER...
    args: Vec<String>,
}

/// `rm` flags.
#[derive(Args, Debug)]
#[command(args_override_self = true)]
pub struct RmArgs {
    /// Force the removal of a running container (uses SIGKILL)
    #[arg(short, long)]
    force: bool,
    /// CONTAINER...
    args: Vec<String>,
}

/// `ps` flags.
impl StopArgs {
    /// The containers named.
    pub(super) fn scope(&self) -> Scope {
        Scope::of(&self.args, &[])
    }

    /// `restart`: the containers named, or everything if one publishes ports.
    pub(super) fn restart_scope(&self) -> Scope {
        Scope::starting(&self.args)
    }
}

impl NamesArgs {
    /// `start`: the containers named, or everything if one publishes ports.
    pub(super) fn start_scope(&self) -> Scope {
        Scope::starting(&self.args)
    }
}

impl RmArgs {
    /// The containers named.
    pub(super) fn scope(&self) -> Scope {
        Scope::of(&self.args, &[])
    }
}

impl PsArgs {
    /// `ps --filter name=…` loads the containers whose names match; any other listing
    /// reads them all.
    pub(super) fn scope(&self) -> Scope {
        let names: Option<Vec<String>> = self
            .filter
            .iter()
            .map(|f| f.strip_prefix("name=").map(str::to_string))
            .collect();
        match names {
            Some(names) if !names.is_empty() && !self.latest && self.last.is_none() => {
                Scope::Part(crate::store::Want {
                    name_patterns: names,
                    ..Default::default()
                })
            }
            _ => Scope::All,
        }
    }
}

impl InspectArgs {
    /// Each name, as a container's and as a network's.
    pub(super) fn scope(&self) -> Scope {
        Scope::of(&self.args, &self.args)
    }
}

#[derive(Args, Debug)]
#[command(args_override_self = true)]
pub struct PsArgs {
    /// Show all containers (default shows just running)
    #[arg(short, long)]
    all: bool,
    /// Filter output based on conditions provided
    #[arg(short, long)]
    filter: Vec<String>,
    /// Only display container IDs
    #[arg(short, long)]
    quiet: bool,
    /// Don't truncate output
    #[arg(long = "no-trunc")]
    no_trunc: bool,
    /// Format output using a custom template
    #[arg(long)]
    format: Option<String>,
    /// Show the latest created container (includes all states)
    #[arg(short, long)]
    latest: bool,
    /// Show n last created containers (includes all states)
    #[arg(short = 'n', long = "last", allow_negative_numbers = true)]
    last: Option<i64>,
    /// Display total file sizes
    #[arg(short, long)]
    size: bool,
    /// (none accepted)
    #[arg(hide = true)]
    args: Vec<String>,
}

/// `inspect` flags.
#[derive(Args, Debug)]
#[command(args_override_self = true)]
pub struct InspectArgs {
    /// Format output using a custom template
    #[arg(short, long)]
    format: Option<String>,
    /// Return JSON for specified type
    #[arg(long = "type")]
    kind: Option<String>,
    /// NAME|ID...
    args: Vec<String>,
}

/// How `docker run` reports an error: `docker: <err>` and a pointer to --help, status 125.
fn run_error(o: &mut Outcome, prog: &str, verb: &str, msg: &str) {
    o.errln(format!(
        "{prog}: {msg}\n\nRun '{prog} {verb} --help' for more information"
    ));
    o.code = 125;
}

pub(super) fn run(
    a: &RunArgs,
    cli: &super::Cli,
    prog: &str,
    start: bool,
    d: &mut Daemon,
    input: &mut dyn std::io::BufRead,
    o: &mut Outcome,
) {
    let verb = if start { "run" } else { "create" };
    // pflag validates a flag's value as it parses it.
    for l in &a.label {
        if let Err(why) = super::opts::validate_label(l) {
            let msg = format!("invalid argument \"{l}\" for \"-l, --label\" flag: {why}");
            return super::usage_error(o, prog, verb, &msg);
        }
    }
    let args = a.positional();
    if !arity(prog, verb, args.len(), Want::AtLeast(1), o) {
        return;
    }
    let Some((image, cmd)) = args.split_first() else {
        return;
    };
    // distribution/reference's checks, made by the client before anything is sent.
    if image.is_empty() || image.contains(char::is_whitespace) || image.starts_with(['-', ':', '/'])
    {
        return run_error(o, prog, verb, "invalid reference format");
    }
    let repo = image.split([':', '@']).next().unwrap_or(image);
    if repo.chars().any(|c| c.is_ascii_uppercase()) {
        let full = if repo.contains('/') {
            repo.to_string()
        } else {
            format!("library/{repo}")
        };
        return run_error(
            o,
            prog,
            verb,
            &format!("invalid reference format: repository name ({full}) must be lowercase"),
        );
    }
    // readKVStrings: the files' lines, then the flags, later keys winning.
    let mut labels = BTreeMap::new();
    for f in &a.label_file {
        match super::opts::read_kv_file(f) {
            Ok(lines) => labels.extend(lines.iter().map(|l| crate::docker::split_kv(l))),
            Err(e) => return run_error(o, prog, verb, &e),
        }
    }
    // opts.ConvertKVStringsToMap: `k=v`, or `k` with an empty value.
    labels.extend(a.label.iter().map(|l| crate::docker::split_kv(l)));
    let foreground = start && !a.detach;
    if foreground && crate::busybox::serves_until_stopped(d, image, cmd) {
        return run_error(
            o,
            prog,
            verb,
            "vnet does not wait in the foreground for a container whose servers run until it is stopped: add -d",
        );
    }
    let links = match parse_links(&a.link) {
        Ok(l) => l,
        Err(e) => return super::usage_error(o, prog, verb, &e),
    };
    for e in &a.env {
        if e.is_empty() || e.starts_with('=') {
            let msg = format!(
                "invalid argument \"{e}\" for \"-e, --env\" flag: invalid environment variable: {e}"
            );
            return super::usage_error(o, prog, verb, &msg);
        }
    }
    // opts.ValidateSysctl, then MapOpts splits at the first `=`.
    let mut sysctls = BTreeMap::new();
    for s in &a.sysctl {
        let key = s.split('=').next().unwrap_or_default();
        let allowed = [
            "kernel.msgmax",
            "kernel.msgmnb",
            "kernel.msgmni",
            "kernel.sem",
            "kernel.shmall",
            "kernel.shmmax",
            "kernel.shmmni",
            "kernel.shm_rmid_forced",
        ]
        .contains(&key)
            || key.starts_with("net.")
            || key.starts_with("fs.mqueue.");
        if !s.contains('=') || !allowed {
            let msg = format!(
                "invalid argument \"{s}\" for \"--sysctl\" flag: sysctl '{s}' is not allowed"
            );
            return super::usage_error(o, prog, verb, &msg);
        }
        let (k, v) = s.split_once('=').unwrap_or((s.as_str(), ""));
        sysctls.insert(k.to_string(), v.to_string());
    }
    let mut exposed = Vec::new();
    for e in &a.expose {
        let (port, proto) = e.split_once('/').unwrap_or((e.as_str(), "tcp"));
        match port.parse::<u16>() {
            Ok(n) if n > 0 => exposed.push(format!("{n}/{proto}")),
            _ => {
                return run_error(
                    o,
                    prog,
                    verb,
                    &format!(
                        "invalid range format for --expose: {e}, error: strconv.ParseUint: parsing \"{port}\": invalid syntax"
                    ),
                );
            }
        }
    }
    let mut bindings: BTreeMap<String, Vec<PortBinding>> = BTreeMap::new();
    for p in &a.publish {
        match parse_publish(p) {
            Ok((port, b)) => bindings.entry(port).or_default().push(b),
            Err(e) => return run_error(o, prog, verb, &e),
        }
    }
    let mut env = Vec::new();
    for e in &a.env {
        if e.contains('=') {
            env.push(e.clone());
        } else if let Ok(v) = std::env::var(e) {
            env.push(format!("{e}={v}"));
        }
    }
    let network_mode = a
        .network
        .first()
        .cloned()
        .unwrap_or_else(|| "default".to_string());
    let user = |n: &String| crate::docker::is_user_defined(n);
    if a.network.iter().any(user) && !a.network.iter().all(user) {
        return run_error(
            o,
            prog,
            verb,
            "conflicting options: cannot attach both user-defined and non-user-defined network-modes",
        );
    }
    // docker/cli `parse`: opts.ValidateMACAddress.
    if let Some(m) = a.mac_address.as_deref()
        && m.parse::<crate::docker::network::Mac>().is_err()
    {
        return run_error(o, prog, verb, &format!("{m} is not a valid mac address"));
    }
    if !a.network_alias.is_empty() && !crate::docker::is_user_defined(&network_mode) {
        return run_error(
            o,
            prog,
            verb,
            "network-scoped aliases are only supported for user-defined networks",
        );
    }
    // The first network gets the non-advanced options (--ip, --alias, --link).
    let asked = a.ip.is_some() || a.ip6.is_some() || !a.link_local_ip.is_empty();
    let ipam = asked.then(|| EndpointIpamConfig {
        ipv4_address: a.ip.clone().unwrap_or_default(),
        ipv6_address: a.ip6.clone().unwrap_or_default(),
        link_local_ips: a.link_local_ip.clone(),
    });
    let mut endpoints = IndexMap::new();
    endpoints.insert(
        network_mode.clone(),
        EndpointSettings {
            ipam_config: ipam,
            links: if crate::docker::is_user_defined(&network_mode) {
                links.clone()
            } else {
                Vec::new()
            },
            aliases: a.network_alias.clone(),
            mac_address: a.mac_address.clone().unwrap_or_default(),
            ..EndpointSettings::default()
        },
    );
    // Further --network flags attach more networks (API 1.44+), without the options.
    for n in a.network.iter().skip(1) {
        endpoints.entry(n.clone()).or_default();
    }
    let req = ContainerCreateRequest {
        name: a.name.clone(),
        image: image.clone(),
        cmd: cmd.to_vec(),
        hostname: a.hostname.clone().unwrap_or_default(),
        env,
        tty: a.tty,
        open_stdin: a.interactive,
        attach: !a.detach,
        network_mode,
        port_bindings: bindings,
        publish_all_ports: a.publish_all,
        exposed_ports: exposed,
        links,
        endpoints,
        cap_add: a.cap_add.clone(),
        cap_drop: a.cap_drop.clone(),
        sysctls,
        privileged: a.privileged,
        labels,
        auto_remove: a.rm,
        user: a.user.clone().unwrap_or_default(),
    };
    let id = match d.container_create(req) {
        Ok(id) => id,
        Err(e) => {
            // docker-cli's createContainer: an image the daemon lacks is pulled first, and
            // the simulated host has no registry to pull from.
            let e = if e.kind == crate::docker::Kind::NotFound
                && e.message.starts_with("No such image: ")
            {
                let name = crate::docker::image::familiar_tagged(image);
                o.errln(format!("Unable to find image '{name}' locally"));
                crate::docker::Error::registry_unreachable(crate::docker::image::registry(image))
            } else {
                e
            };
            if start {
                return run_error(o, prog, verb, &super::daemon_msg(&e));
            }
            return o.daemon_error(&e);
        }
    };
    if !foreground {
        // `run -d` prints the ID before it starts the container.
        o.outln(&id);
        if !start {
            return;
        }
        if let Err(e) = d.container_start_attached(&id) {
            return run_error(o, prog, verb, &super::daemon_msg(&e));
        }
        if let Some(e) = crate::busybox::start_detached(d, &id) {
            run_error(o, prog, verb, &format!("Error response from daemon: {e}"));
            o.code = 127;
        }
        return;
    }
    // In the foreground: the command's output, then its status as vnet's.
    if let Err(e) = d.container_start_attached(&id) {
        return run_error(o, prog, verb, &super::daemon_msg(&e));
    }
    if crate::busybox::main_reads_input(d, &id) {
        // `run -i` attaches with StdinOnce: the end of the input ends the shell.
        attach_session(&id, a.tty, true, cli, d, input, o);
        return;
    }
    match crate::busybox::run_main(d, &id, &exec_options(cli, a.tty)) {
        Some(r) if r.start_error.is_some() => {
            let e = r.start_error.unwrap_or_default();
            run_error(o, prog, verb, &format!("Error response from daemon: {e}"));
            o.code = 127;
        }
        Some(r) => {
            o.code = r.code;
            take_exec_result(r, o);
        }
        None => o.code = d.container(&id).map_or(0, |c| c.state.exit_code),
    }
}

pub(super) fn start(a: &NamesArgs, prog: &str, d: &mut Daemon, o: &mut Outcome) {
    if !arity(prog, "start", a.args.len(), Want::AtLeast(1), o) {
        return;
    }
    let mut failed = Vec::new();
    for name in &a.args {
        let started = d.find_container(name).and_then(|id| {
            if d.container(&id)?.is_running() {
                return Ok(());
            }
            d.container_start_attached(&id)?;
            match crate::busybox::start_detached(d, &id) {
                Some(e) => Err(crate::docker::Error::new(
                    crate::docker::Kind::InvalidParameter,
                    e,
                )),
                None => Ok(()),
            }
        });
        match started {
            Ok(()) => o.outln(name),
            Err(e) => {
                o.errln(super::daemon_msg(&e));
                failed.push(name.as_str());
            }
        }
    }
    if !failed.is_empty() {
        o.fail(format!(
            "Error: failed to start containers: {}",
            failed.join(", ")
        ));
    }
}

pub(super) fn stop(a: &StopArgs, prog: &str, restart: bool, d: &mut Daemon, o: &mut Outcome) {
    let path = if restart { "restart" } else { "stop" };
    if !arity(prog, path, a.args.len(), Want::AtLeast(1), o) {
        return;
    }
    let timeout = a.timeout;
    let mut errs = Vec::new();
    // The CLI stops its arguments in parallel; restarts go one by one here.
    let results: Vec<_> = if restart {
        a.args
            .iter()
            .map(|name| {
                d.container_restart(name, timeout)?;
                let id = d.find_container(name)?;
                match crate::busybox::start_detached(d, &id) {
                    Some(e) => Err(crate::docker::Error::new(
                        crate::docker::Kind::InvalidParameter,
                        e,
                    )),
                    None => Ok(()),
                }
            })
            .collect()
    } else {
        d.container_stop_many(&a.args, timeout)
    };
    for (name, r) in a.args.iter().zip(results) {
        match r {
            Ok(()) => o.outln(name),
            Err(e) => errs.push(super::daemon_msg(&e)),
        }
    }
    if !errs.is_empty() {
        o.fail(errs.join("\n"));
    }
}

pub(super) fn rm(a: &RmArgs, prog: &str, d: &mut Daemon, o: &mut Outcome) {
    if !arity(prog, "rm", a.args.len(), Want::AtLeast(1), o) {
        return;
    }
    let mut errs = Vec::new();
    for name in &a.args {
        let trimmed = name.trim_matches('/');
        if trimmed.is_empty() {
            errs.push("Container name cannot be empty".to_string());
            continue;
        }
        match d.container_remove(trimmed, a.force) {
            Ok(()) => o.outln(name),
            Err(e) if a.force && e.kind == crate::docker::Kind::NotFound => {
                o.errln(super::daemon_msg(&e));
            }
            Err(e) => errs.push(super::daemon_msg(&e)),
        }
    }
    if !errs.is_empty() {
        o.fail(errs.join("\n"));
    }
}

/// `kill` flags.
#[derive(Args, Debug)]
#[command(args_override_self = true)]
pub struct KillArgs {
    /// Signal to send to the container
    #[arg(short = 's', long = "signal", value_name = "string")]
    signal: Option<String>,
    /// CONTAINER...
    args: Vec<String>,
}

impl KillArgs {
    /// The containers named.
    pub(super) fn scope(&self) -> crate::store::Scope {
        crate::store::Scope::of(&self.args, &[])
    }
}

/// docker/cli `runKill`: each container's name once it got the signal; the daemon's errors
/// together at the end.
pub(super) fn kill(a: &KillArgs, prog: &str, d: &mut Daemon, o: &mut Outcome) {
    if !arity(prog, "kill", a.args.len(), Want::AtLeast(1), o) {
        return;
    }
    let mut failed = false;
    for name in &a.args {
        match d.container_kill(name, a.signal.as_deref()) {
            Ok(()) => o.outln(name),
            Err(e) => {
                o.errln(super::daemon_msg(&e));
                failed = true;
            }
        }
    }
    if failed {
        o.code = 1;
    }
}

pub(super) fn rename(a: &super::container::NamesArgs, prog: &str, d: &mut Daemon, o: &mut Outcome) {
    if !arity(prog, "rename", a.args.len(), Want::Exactly(2), o) {
        return;
    }
    let [old, new] = a.args.as_slice() else {
        return;
    };
    let (old, new) = (old.trim(), new.trim());
    if old.is_empty() || new.is_empty() {
        return o.fail("Error: Neither old nor new names may be empty");
    }
    if let Err(e) = d.container_rename(old, new) {
        o.fail(format!(
            "{}\nError: failed to rename container named {old}",
            super::daemon_msg(&e)
        ));
    }
}

/// docker/cli `DisplayablePorts`: sorted, consecutive ports grouped into ranges.
fn displayable_ports(c: &Container) -> String {
    struct Port {
        ip: String,
        private: u16,
        public: u16,
        proto: String,
    }
    let mut ports: Vec<Port> = Vec::new();
    for (p, bs) in &c.ports {
        let private = port_sort_key(p).0 as u16;
        let proto = proto_of(p).to_string();
        if bs.is_empty() {
            ports.push(Port {
                ip: String::new(),
                private,
                public: 0,
                proto: proto.clone(),
            });
        }
        for b in bs {
            ports.push(Port {
                ip: b.host_ip.clone(),
                private,
                public: b.host_port.parse().unwrap_or(0),
                proto: proto.clone(),
            });
        }
    }
    ports.sort_by(|a, b| {
        (a.private, &a.ip, a.public, &a.proto).cmp(&(b.private, &b.ip, b.public, &b.proto))
    });
    let form = |key: &str, first: u16, last: u16| -> String {
        let (ip, proto) = match key.split_once('/') {
            Some((ip, p)) => (ip, p),
            None => ("", key),
        };
        let mut g = first.to_string();
        if first != last {
            g = format!("{g}-{last}");
        }
        if !ip.is_empty() {
            g = format!("{}->{g}", super::port::join_host_port(ip, &g));
        }
        format!("{g}/{proto}")
    };
    let mut groups: IndexMap<String, (u16, u16)> = IndexMap::new();
    let mut result = Vec::new();
    let mut mappings = Vec::new();
    for p in &ports {
        let mut key = p.proto.clone();
        if !p.ip.is_empty() {
            if p.public != p.private {
                let host = super::port::join_host_port(&p.ip, &p.public.to_string());
                mappings.push(format!("{host}->{}/{}", p.private, p.proto));
                continue;
            }
            key = format!("{}/{}", p.ip, p.proto);
        }
        match groups.get_mut(&key) {
            None => {
                groups.insert(key, (p.private, p.private));
            }
            Some(g) if p.private == g.1 + 1 => g.1 = p.private,
            Some(g) => {
                result.push(form(&key, g.0, g.1));
                *g = (p.private, p.private);
            }
        }
    }
    for (k, (f, l)) in &groups {
        result.push(form(k, *f, *l));
    }
    result.extend(mappings);
    result.join(", ")
}

const PS_TABLE: &str =
    "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}";

pub(super) fn ps(a: &PsArgs, prog: &str, d: &Daemon, o: &mut Outcome) {
    if !arity(prog, "ps", a.args.len(), Want::Exactly(0), o) {
        return;
    }
    // -n N (N > 0) and -l list every state; -n 0 or less is no limit.
    let limit = if a.latest {
        Some(1)
    } else {
        a.last.filter(|n| *n > 0).map(|n| n as usize)
    };
    let terms = match super::opts::filter_terms(&a.filter) {
        Ok(t) => t,
        Err(msg) => return super::usage_error(o, prog, "ps", &msg),
    };
    let list = match d.container_ps(a.all, limit, &terms) {
        Ok(l) => l,
        Err(e) => return o.daemon_error(&e),
    };
    let trunc = !a.no_trunc;
    // docker/cli `buildContainerListOptions`: sizes are asked of the daemon with -s, or when
    // the template uses `.Size` (`{{json .}}` marshals every field, `.Size` included); the
    // keyword `--format json` is parsed as plain text there, so it asks for none. Without
    // sizes the daemon sends no SizeRootFs and Size shows no virtual part.
    let sized = a.size
        || a.format.as_deref().is_some_and(|f| {
            f.contains(".Size")
                || regex::Regex::new(r"json\s+\.\s*[})]").is_ok_and(|r| r.is_match(f))
        });
    if a.quiet {
        for c in list {
            o.outln(if trunc { c.short_id() } else { &c.id });
        }
        return;
    }
    let now = d.now();
    let rows: Vec<Value> = list
        .iter()
        .map(|c| {
            let command = c
                .config
                .entrypoint
                .iter()
                .chain(&c.config.cmd)
                .cloned()
                .collect::<Vec<_>>()
                .join(" ");
            let command = if trunc {
                ellipsis(&command, 20)
            } else {
                command
            };
            let status = d.container_status_text(c);
            // Legacy link names (`parent/alias`) follow the name, shown with --no-trunc.
            let mut names = vec![c.name.clone()];
            if !trunc {
                names.extend(d.link_names(c));
            }
            let mut nets: Vec<&String> = c.networks.keys().collect();
            nets.sort();
            json!({
                "Command": format!("{command:?}"),
                "CreatedAt": c.created.go_string(),
                "ID": if trunc { c.short_id().to_string() } else { c.id.clone() },
                "Image": c.config.image,
                // Go joins the map in its random order; vnet in key order.
                "Labels": c
                    .config
                    .labels
                    .iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>()
                    .join(","),
                // `Label(name)`: a lookup method (see the template engine).
                "Label()": c.config.labels,
                "LocalVolumes": "0",
                "Mounts": "",
                "Names": names.join(","),
                "Networks": nets.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(","),
                // No image manifest descriptor: `Platform()` is nil.
                "Platform": null,
                "Ports": displayable_ports(c),
                "RunningFor": format!("{} ago", human_duration(now - c.created)),
                "Size": format::container_size(
                    0,
                    if sized { crate::docker::image::size(&c.config.image) } else { 0 },
                ),
                "State": c.state.status.as_str(),
                "Status": status,
            })
        })
        .collect();
    let header = json!({
        "Command": "COMMAND", "CreatedAt": "CREATED AT", "ID": "CONTAINER ID", "Image": "IMAGE",
        "Labels": "LABELS", "Label()": "header", "LocalVolumes": "LOCAL VOLUMES", "Mounts": "MOUNTS", "Names": "NAMES",
        "Networks": "NETWORKS", "Platform": "PLATFORM", "Ports": "PORTS", "RunningFor": "CREATED",
        "Size": "SIZE", "State": "STATE", "Status": "STATUS",
    });
    // NewContainerFormat: -s adds the SIZE column to the default table.
    let table = if a.size {
        format!("{PS_TABLE}\t{{{{.Size}}}}")
    } else {
        PS_TABLE.to_string()
    };
    let fmt = Format::parse(a.format.as_deref(), &table);
    let row_type = format::RowType {
        name: "*formatter.ContainerContext",
        prefix: "failed to execute template: ",
        typed_columns: true,
    };
    match format::render(&fmt, &header, &rows, Some(row_type), a.format.as_deref()) {
        Ok(s) => o.out(s),
        Err(e) => o.fail(e),
    }
}

pub(super) fn inspect(a: &InspectArgs, prog: &str, d: &Daemon, o: &mut Outcome) {
    if !arity(prog, "inspect", a.args.len(), Want::AtLeast(1), o) {
        return;
    }
    let kind = a.kind.as_deref().unwrap_or("");
    if !["", "container", "image", "network"].contains(&kind) {
        return o.fail(format!(
            "unknown type: \"{kind}\": must be one of \"container\", \"image\", \"network\""
        ));
    }
    // Without --type: a container first, then an image, then a network (docker/cli's
    // order, less the object types vnet does not have).
    let found = a
        .args
        .iter()
        .map(|name| {
            if (kind.is_empty() || kind == "container")
                && let Ok(id) = d.find_container(name)
            {
                return d
                    .container(&id)
                    .map(|c| d.container_inspect(c))
                    .map_err(|e| super::daemon_msg(&e));
            }
            if (kind.is_empty() || kind == "image")
                && let Some(v) = d.image_inspect(name)
            {
                return Ok(v);
            }
            if (kind.is_empty() || kind == "network")
                && let Ok(id) = d.find_network(name)
            {
                return d
                    .network(&id)
                    .map(|n| d.network_inspect(n))
                    .map_err(|e| super::daemon_msg(&e));
            }
            Err(match kind {
                "" => format!("Error: No such object: {name}"),
                "container" => super::daemon_msg(&crate::docker::Error::no_such_container(name)),
                "image" => super::daemon_msg(&crate::docker::Error::no_such_image(
                    &crate::docker::image::familiar_tagged(name),
                )),
                _ => super::daemon_msg(&crate::docker::Error::network_not_found(name)),
            })
        })
        .collect();
    print_inspect(found, a.format.as_deref(), o);
}

/// `exec` flags.
#[derive(Args, Debug)]
#[command(trailing_var_arg = true, args_override_self = true)]
pub struct ExecArgs {
    /// Detached mode: run command in the background
    #[arg(short, long)]
    detach: bool,
    /// Keep STDIN open even if not attached
    #[arg(short, long)]
    interactive: bool,
    /// Allocate a pseudo-TTY
    #[arg(short, long)]
    tty: bool,
    /// Set environment variables
    #[arg(short = 'e', long)]
    env: Vec<String>,
    /// Read in a file of environment variables
    #[arg(long = "env-file")]
    env_file: Vec<String>,
    /// Working directory inside the container
    #[arg(short = 'w', long)]
    workdir: Option<String>,
    /// Username or UID (format: "<name|uid>[:<group|gid>]")
    #[arg(short = 'u', long, allow_hyphen_values = true)]
    user: Option<String>,
    /// Give extended privileges to the command
    #[arg(long)]
    privileged: bool,
    /// CONTAINER (a flag before it is the exec's, in docker's words when unknown)
    container: Option<String>,
    /// COMMAND [ARG...]
    #[arg(allow_hyphen_values = true)]
    command: Vec<String>,
}

/// `attach` flags.
impl ExecArgs {
    /// `-d`: a background program, started and left (no long run to detach from the lock).
    pub(super) fn detach(&self) -> bool {
        self.detach
    }

    /// The container (and what its frames can reach). With `-i` the command reads standard
    /// input, which a second run could not read again: the whole state.
    pub(super) fn scope(&self) -> Scope {
        match &self.container {
            Some(c) if !self.interactive => Scope::of(std::slice::from_ref(c), &[]),
            _ => Scope::All,
        }
    }
}

#[derive(Args, Debug)]
#[command(args_override_self = true)]
pub struct AttachArgs {
    /// CONTAINER
    args: Vec<String>,
}

pub(super) fn exec_options(cli: &super::Cli, tty: bool) -> crate::busybox::ExecOptions {
    crate::busybox::ExecOptions {
        tty,
        trace: cli.trace,
        capture: cli.capture.is_some(),
        terminal: cli.terminal.clone(),
        realtime: cli.realtime,
        depth: 0,
        exec: crate::busybox::ExecConfig::default(),
        background: false,
    }
}

pub(super) fn take_exec_result(r: crate::busybox::ExecResult, o: &mut Outcome) {
    o.out(&r.stdout);
    // The daemon's start error comes on the output stream, CRLF-ended, and the CLI copies it
    // to its standard output (see `ExecResult::start_error`).
    if let Some(e) = &r.start_error {
        o.out(format!("{e}\r\n"));
    }
    o.stderr.push_str(&r.stderr);
    o.trace.extend(r.trace);
    if let Some(c) = r.capture {
        o.capture.get_or_insert_with(Vec::new).extend_from_slice(&c);
    }
}

pub(super) fn exec(
    a: &ExecArgs,
    cli: &super::Cli,
    prog: &str,
    d: &mut Daemon,
    input: &mut dyn std::io::BufRead,
    o: &mut Outcome,
) {
    let args: Vec<String> = a.container.iter().chain(&a.command).cloned().collect();
    if !arity(prog, "exec", args.len(), Want::AtLeast(2), o) {
        return;
    }
    let Some((container, argv)) = args.split_first() else {
        return;
    };
    // docker/cli exec: `--env-file`'s lines, then `-e`'s; a bare `KEY` takes the client's
    // value, or unsets it.
    let mut env = Vec::new();
    for f in &a.env_file {
        match super::opts::read_env_file(f) {
            Ok(lines) => env.extend(lines),
            Err(e) => return o.fail(e),
        }
    }
    for e in &a.env {
        if e.is_empty() || e.starts_with('=') {
            let msg = format!(
                "invalid argument \"{e}\" for \"-e, --env\" flag: invalid environment variable: {e}"
            );
            return super::usage_error(o, prog, "exec", &msg);
        }
        match std::env::var(e) {
            Ok(v) if !e.contains('=') => env.push(format!("{e}={v}")),
            _ => env.push(e.clone()),
        }
    }
    let mut opts = crate::busybox::ExecOptions {
        exec: crate::busybox::ExecConfig {
            env,
            workdir: a.workdir.clone(),
            user: a.user.clone().filter(|u| !u.is_empty()),
            privileged: a.privileged,
            id: String::new(),
        },
        ..exec_options(cli, a.tty)
    };
    if let Some(e) = crate::busybox::exec_config_error(d, container, &opts.exec) {
        return o.daemon_error(&crate::docker::Error::new(
            crate::docker::Kind::InvalidParameter,
            e,
        ));
    }
    // The exec instance the CLI creates, then starts (its events).
    let cid = d.exec_target(container).ok();
    if let Some(cid) = &cid {
        opts.exec.id = d.exec_create(cid, argv);
    }
    if a.detach {
        // What the detached program would print goes nowhere; what vnet refuses comes back
        // as the daemon's error, as through the Engine API.
        match crate::busybox::exec_detached(d, container, argv, &opts.exec) {
            Ok(r) if r.code != 0 && r.start_error.is_none() => {
                o.daemon_error(&crate::docker::Error::exec_failed(r.stderr.trim_end()));
            }
            Ok(r) => {
                o.code = r.code;
                take_exec_result(r, o);
            }
            Err(e) => o.daemon_error(&e),
        }
        return;
    }
    if a.interactive && crate::busybox::is_interactive_shell(argv) {
        if let Some(cid) = &cid {
            d.exec_start(cid, &opts.exec.id, argv);
        }
        exec_shell(container, &opts, d, input, o);
        if let Some(cid) = &cid {
            d.exec_die(cid, &opts.exec.id, o.code);
        }
        return;
    }
    match crate::busybox::exec(d, container, argv, &opts) {
        Ok(r) => {
            o.code = r.code;
            take_exec_result(r, o);
        }
        Err(e) => o.daemon_error(&e),
    }
}

/// `exec -i CONTAINER sh`: a shell reading the input line by line, as `attach` does but in
/// a process of its own: `exit N` (or the end of the input, with the last status) ends it,
/// not the container. With `-t` the prompt and the echo of each line show, and a syntax
/// error does not end it.
fn exec_shell(
    container: &str,
    opts: &crate::busybox::ExecOptions,
    d: &mut Daemon,
    input: &mut dyn std::io::BufRead,
    o: &mut Outcome,
) {
    use crate::busybox::PROMPT;
    let tty = opts.tty;
    let mut shell = None;
    let mut line = String::new();
    loop {
        if tty {
            o.out(PROMPT);
        }
        line.clear();
        if input.read_line(&mut line).unwrap_or(0) == 0 {
            if tty {
                o.out("\n");
            }
            o.code = shell.as_ref().map_or(0, crate::busybox::Shell::status);
            match crate::busybox::exec_shell_end(d, container, &mut shell) {
                Ok(r) => take_exec_result(r, o),
                Err(e) => o.daemon_error(&e),
            }
            return;
        }
        let text = line.trim_end_matches(['\n', '\r']);
        if tty {
            o.outln(text);
        }
        match crate::busybox::exec_shell_line(d, container, &mut shell, text, opts) {
            Ok((r, exit)) => {
                o.code = r.code;
                take_exec_result(r, o);
                if let Some(code) = exit {
                    o.code = code;
                    return;
                }
            }
            Err(e) => return o.daemon_error(&e),
        }
    }
}

/// `attach`: the container's shell reads the input line by line. With a TTY the prompt and
/// the echo of each line show, as on a terminal. `exit` ends the shell (the container stops);
/// ctrl-p ctrl-q, or the end of the input, detaches.
pub(super) fn attach(
    a: &AttachArgs,
    cli: &super::Cli,
    prog: &str,
    d: &mut Daemon,
    input: &mut dyn std::io::BufRead,
    o: &mut Outcome,
) {
    if !arity(prog, "attach", a.args.len(), Want::Exactly(1), o) {
        return;
    }
    let [container] = a.args.as_slice() else {
        return;
    };
    let cid = match d.find_container(container) {
        Ok(c) => c,
        Err(e) => return o.daemon_error(&e),
    };
    // The docker CLI's own check, before it asks the daemon.
    let (running, tty) = match d.container(&cid) {
        Ok(c) => (c.is_running(), c.config.tty),
        Err(e) => return o.daemon_error(&e),
    };
    if !running {
        return o.fail(crate::docker::Error::attach_stopped().message);
    }
    attach_session(&cid, tty, false, cli, d, input, o);
}

/// The attached session with container `cid`'s shell (`attach`, `run -i`). With
/// `stdin_once` (`run -i`) the end of the input ends the shell with its last status, else
/// it detaches.
fn attach_session(
    cid: &str,
    tty: bool,
    stdin_once: bool,
    cli: &super::Cli,
    d: &mut Daemon,
    input: &mut dyn std::io::BufRead,
    o: &mut Outcome,
) {
    use crate::busybox::{AttachLine, DETACH_KEYS, PROMPT};
    let mut line = String::new();
    let mut shell = None;
    loop {
        if tty {
            o.out(PROMPT);
        }
        line.clear();
        let n = input.read_line(&mut line).unwrap_or(0);
        if n == 0 || line.contains(DETACH_KEYS) {
            if tty {
                o.out("\n");
            }
            if n == 0 && stdin_once {
                let (code, r) = crate::busybox::attach_end(d, cid, &mut shell);
                take_exec_result(r, o);
                o.code = code;
            }
            return;
        }
        let text = line.trim_end_matches(['\n', '\r']);
        if tty {
            o.outln(text);
        }
        match crate::busybox::attach_line(d, cid, &mut shell, text, &exec_options(cli, tty)) {
            AttachLine::Ran(r) => take_exec_result(r, o),
            AttachLine::Exit(code, r) => {
                take_exec_result(r, o);
                o.code = code;
                return;
            }
            AttachLine::Detach => return,
        }
    }
}
