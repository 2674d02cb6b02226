//! `docker container prune` and `docker system prune`: docker/cli
//! `cli/command/container/prune.go` and `cli/command/system/prune.go` (the warning, then
//! each pruner's report: `Deleted Containers:`, `Deleted Networks:`, and the space
//! reclaimed, always `0B` here: no container writes bytes, no image is dangling, there is
//! no build cache).

use super::{Outcome, confirm};
use crate::docker::Daemon;
use clap::Args;
use std::io::BufRead;

/// `container prune` flags.
#[derive(Args, Debug)]
#[command(args_override_self = true)]
pub struct ContainerPruneArgs {
    /// Provide filter values (e.g. "until=<timestamp>")
    #[arg(long, value_name = "filter")]
    filter: Vec<String>,
    /// Do not prompt for confirmation
    #[arg(short, long)]
    force: bool,
}

/// `system prune` flags.
#[derive(Args, Debug)]
#[command(args_override_self = true)]
pub struct SystemPruneArgs {
    /// Remove all unused images not just dangling ones
    #[arg(short, long)]
    all: bool,
    /// Provide filter values (e.g. "label=<key>=<value>")
    #[arg(long, value_name = "filter")]
    filter: Vec<String>,
    /// Do not prompt for confirmation
    #[arg(short, long)]
    force: bool,
    /// Prune anonymous volumes
    #[arg(long)]
    volumes: bool,
}

/// A pruner's report, as docker/cli words it: the title, then each item a line (nothing
/// when none went).
pub(super) fn deleted(title: &str, items: &[String]) -> String {
    let mut s = String::new();
    if !items.is_empty() {
        s.push_str(title);
        s.push('\n');
        for i in items {
            s.push_str(i);
            s.push('\n');
        }
    }
    s
}

/// `docker container prune`.
pub(super) fn container_prune(
    a: &ContainerPruneArgs,
    prog: &str,
    d: &mut Daemon,
    input: &mut dyn BufRead,
    o: &mut Outcome,
) {
    let filters = match super::opts::filter_terms(&a.filter) {
        Ok(f) => f,
        Err(e) => return super::usage_error(o, prog, "container prune", &e),
    };
    if !a.force
        && !confirm(
            o,
            input,
            "WARNING! This will remove all stopped containers.\nAre you sure you want to continue?",
        )
    {
        return;
    }
    match d.container_prune(&filters) {
        Ok(ids) => {
            let out = deleted("Deleted Containers:", &ids);
            if !out.is_empty() {
                o.outln(out);
            }
            o.outln("Total reclaimed space: 0B");
        }
        Err(e) => o.daemon_error(&e),
    }
}

/// `docker system prune`: containers, then networks, then images and the build cache.
pub(super) fn system_prune(
    a: &SystemPruneArgs,
    prog: &str,
    d: &mut Daemon,
    input: &mut dyn BufRead,
    o: &mut Outcome,
) {
    let filters = match super::opts::filter_terms(&a.filter) {
        Ok(f) => f,
        Err(e) => return super::usage_error(o, prog, "system prune", &e),
    };
    if !a.force {
        // confirmationMessage: the warnings, then the filters the prune applies.
        let mut warning = String::from(
            "WARNING! This will remove:\n  - all stopped containers\n  - all networks not used by at least one container\n",
        );
        if a.volumes {
            warning.push_str("  - all anonymous volumes not used by at least one container\n");
        }
        warning.push_str(if a.all {
            "  - all images without at least one container associated to them\n  - all build cache\n"
        } else {
            "  - all dangling images\n  - unused build cache\n"
        });
        let mut shown: Vec<String> = ["label", "label!", "until"]
            .iter()
            .flat_map(|name| {
                filters
                    .iter()
                    .filter(move |(k, _)| k == name)
                    .map(move |(_, v)| format!("{name}={v}"))
            })
            .collect();
        shown.sort_by(|a, b| crate::golang::sortorder::natural_cmp(a, b));
        if !shown.is_empty() {
            warning.push_str("\n  Items to be pruned will be filtered with:\n");
            for f in &shown {
                warning.push_str(&format!("  - {f}\n"));
            }
        }
        warning.push_str("\nAre you sure you want to continue?");
        if !confirm(o, input, &warning) {
            return;
        }
    }
    let ids = match d.container_prune(&filters) {
        Ok(ids) => ids,
        Err(e) => return o.daemon_error(&e),
    };
    let labels: Vec<(String, String)> = filters
        .iter()
        .filter(|(k, _)| k == "label" || k == "label!")
        .cloned()
        .collect();
    let names = match d.network_prune(&labels) {
        Ok(n) => n,
        Err(e) => return o.daemon_error(&e),
    };
    for out in [
        deleted("Deleted Containers:", &ids),
        deleted("Deleted Networks:", &names),
    ] {
        if !out.is_empty() {
            o.outln(out);
        }
    }
    o.outln("Total reclaimed space: 0B");
}
