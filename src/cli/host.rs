//! `vnet host create|ls|inspect|rm|restart|partition|heal|exec`: vnet's own commands for the
//! simulated Docker hosts of a state. Docker has no such command: each host is a `dockerd`
//! started with `--cluster-store`, `--cluster-store-opt` and `--cluster-advertise` (classic
//! multi-host mode), and a client picks one with `-H`.

use super::{Outcome, Want, arity};
use crate::cluster::{Cluster, HostConfig};
use crate::golang::json::encode_indent;
use crate::golang::tabwriter;
use clap::{Args, Subcommand};
use serde_json::json;

/// `vnet host ...`.
#[derive(Subcommand, Debug)]
pub enum HostCommand {
    /// Create a host
    Create(CreateArgs),
    /// List hosts
    #[command(alias = "list")]
    Ls,
    /// Display detailed information on one or more hosts
    Inspect(NamesArgs),
    /// Remove one or more hosts
    #[command(alias = "remove")]
    Rm(RmArgs),
    /// Restart a host's engine
    Restart(RestartArgs),
    /// Cut the underlay between two hosts
    Partition(NamesArgs),
    /// Restore the underlay between two hosts, or everywhere
    Heal(NamesArgs),
    /// Run a command on a host itself
    Exec(ExecArgs),
}

/// `host exec` arguments: the command and its arguments (`-H NAME` before them picks the
/// host).
#[derive(Args, Debug)]
#[command(trailing_var_arg = true)]
pub struct ExecArgs {
    /// COMMAND [ARG...]
    #[arg(allow_hyphen_values = true)]
    pub args: Vec<String>,
}

/// `host create` flags: the daemon's own.
#[derive(Args, Debug)]
#[command(args_override_self = true)]
pub struct CreateArgs {
    /// URL of the distributed storage backend (consul://, etcd://, zk://)
    #[arg(long = "cluster-store")]
    cluster_store: Option<String>,
    /// Set cluster store options
    #[arg(long = "cluster-store-opt")]
    cluster_store_opt: Vec<String>,
    /// Address or interface name to advertise
    #[arg(long = "cluster-advertise")]
    cluster_advertise: Option<String>,
    /// Enable inter-container communication (default true)
    #[arg(long = "icc", num_args = 0..=1, require_equals = true, default_missing_value = "true",
          value_parser = clap::builder::BoolishValueParser::new())]
    icc: Option<bool>,
    /// NAME
    args: Vec<String>,
}

/// Host names.
#[derive(Args, Debug)]
pub struct NamesArgs {
    /// NAME...
    args: Vec<String>,
}

/// `host rm` flags.
#[derive(Args, Debug)]
pub struct RmArgs {
    /// Remove a host with running containers (they die with it)
    #[arg(short, long)]
    force: bool,
    /// NAME...
    args: Vec<String>,
}

/// `host restart` flags.
#[derive(Args, Debug)]
pub struct RestartArgs {
    /// Crash instead of stopping cleanly: containers die, and their endpoints on global
    /// networks stay in the cluster store
    #[arg(long)]
    unclean: bool,
    /// NAME
    args: Vec<String>,
}

pub(super) fn run(cmd: &HostCommand, prog: &str, c: &mut Cluster, o: &mut Outcome) {
    match cmd {
        HostCommand::Create(a) => {
            if !arity(prog, "host create", a.args.len(), Want::Exactly(1), o) {
                return;
            }
            let cfg = HostConfig {
                cluster_store: a.cluster_store.clone(),
                cluster_store_opts: a.cluster_store_opt.clone(),
                cluster_advertise: a.cluster_advertise.clone(),
                icc_off: a.icc == Some(false),
            };
            let [name] = a.args.as_slice() else {
                return;
            };
            match c.host_create(name, &cfg) {
                Ok(()) => o.outln(name),
                Err(e) => o.fail(e.to_string()),
            }
        }
        HostCommand::Ls => {
            let mut t = String::from("NAME\tADDRESS\tCLUSTER STORE\tCONTAINERS\n");
            for h in c.hosts.values() {
                let running = h.running();
                t.push_str(&format!(
                    "{}\t{}\t{}\t{running}\n",
                    h.name,
                    h.address,
                    h.cluster_store.as_deref().unwrap_or("")
                ));
            }
            o.out(tabwriter::align(&t, 0, 3));
        }
        HostCommand::Inspect(a) => {
            if !arity(prog, "host inspect", a.args.len(), Want::AtLeast(1), o) {
                return;
            }
            let mut found = Vec::new();
            for name in &a.args {
                match c.host(name) {
                    Ok(h) => {
                        let networks: Vec<&str> = h
                            .engine
                            .networks
                            .values()
                            .map(|n| n.name.as_str())
                            .collect();
                        found.push(json!({
                            "Name": h.name,
                            "Address": h.address.to_string(),
                            "ClusterStore": h.cluster_store.clone().unwrap_or_default(),
                            "ClusterStoreOpts": h.cluster_store_opts,
                            "ClusterAdvertise": h.cluster_advertise.clone().unwrap_or_default(),
                            "Containers": h.engine.containers.len(),
                            "ContainersRunning": h.running(),
                            "Networks": networks,
                        }));
                    }
                    Err(e) => {
                        o.errln(e.to_string());
                        o.code = 1;
                    }
                }
            }
            if !found.is_empty() || o.code == 0 {
                o.outln(encode_indent(&serde_json::Value::Array(found)));
            }
        }
        HostCommand::Rm(a) => {
            if !arity(prog, "host rm", a.args.len(), Want::AtLeast(1), o) {
                return;
            }
            for name in &a.args {
                match c.host_remove(name, a.force) {
                    Ok(()) => o.outln(name),
                    Err(e) => {
                        o.errln(e.to_string());
                        o.code = 1;
                    }
                }
            }
        }
        HostCommand::Restart(a) => {
            if !arity(prog, "host restart", a.args.len(), Want::Exactly(1), o) {
                return;
            }
            let [name] = a.args.as_slice() else {
                return;
            };
            match c.host_restart(name, a.unclean) {
                Ok(()) => o.outln(name),
                Err(e) => o.fail(e.to_string()),
            }
        }
        HostCommand::Partition(a) => {
            if !arity(prog, "host partition", a.args.len(), Want::Exactly(2), o) {
                return;
            }
            let [h1, h2] = a.args.as_slice() else {
                return;
            };
            if let Err(e) = c.partition(h1, h2) {
                o.fail(e.to_string());
            }
        }
        HostCommand::Heal(a) => {
            let between = match a.args.as_slice() {
                [] => None,
                [x, y] => Some((x.as_str(), y.as_str())),
                _ => {
                    o.fail("host heal takes two hosts, or none to heal every cut");
                    return;
                }
            };
            if let Err(e) = c.heal(between) {
                o.fail(e.to_string());
            }
        }
        // Runs on one host's engine: `execute` takes it before the cluster's commands.
        HostCommand::Exec(_) => o.fail("vnet host exec runs on a host; give it a command"),
    }
}
