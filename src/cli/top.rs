//! `docker top CONTAINER [ps OPTIONS]`: docker/cli `cli/command/container/top.go` (the
//! daemon's `ps` titles and rows through a `tabwriter` of minimum width 20, padding 3), on
//! [`Daemon::container_top`].

use super::{Outcome, Want, arity};
use crate::docker::Daemon;
use crate::golang::tabwriter;
use clap::Args;

/// `top` arguments: the container, then ps's options as they come.
#[derive(Args, Debug)]
#[command(args_override_self = true)]
pub struct TopArgs {
    /// CONTAINER [ps OPTIONS]
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    args: Vec<String>,
}

impl TopArgs {
    /// The container named.
    pub(super) fn scope(&self) -> crate::store::Scope {
        crate::store::Scope::of(super::network::first(&self.args), &[])
    }
}

/// `runTop`.
pub(super) fn top(a: &TopArgs, prog: &str, d: &Daemon, o: &mut Outcome) {
    if !arity(prog, "top", a.args.len(), Want::AtLeast(1), o) {
        return;
    }
    let Some((term, ps)) = a.args.split_first() else {
        return;
    };
    match d.container_top(term, &ps.join(" ")) {
        Ok(t) => {
            let mut text = t.titles.join("\t") + "\n";
            for row in &t.processes {
                text.push_str(&row.join("\t"));
                text.push('\n');
            }
            o.out(tabwriter::align(&text, 20, 3));
        }
        Err(e) => o.daemon_error(&e),
    }
}
