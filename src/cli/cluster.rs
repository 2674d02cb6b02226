//! `vnet cluster status`: vnet's own view of a host's cluster store, for the teacher or the
//! operator of a multi-host overlay. Docker 20.10 showed only the store's URL and the
//! advertise address (`docker info`'s `Cluster Store`, `Cluster Advertise`); this shows what
//! the store holds: the nodes that registered (pkg/discovery's `docker/nodes/` keys, with
//! what their lease has left on a real etcd), the nodes only stale endpoints still name, and
//! the global networks with their endpoint counts.

use super::Outcome;
use crate::cluster::Cluster;
use crate::golang::tabwriter;
use clap::Subcommand;

/// `vnet cluster ...`.
#[derive(Subcommand, Debug)]
pub enum ClusterCommand {
    /// Show the nodes and global networks of the host's cluster store
    Status,
}

/// Runs `cmd` for host `name`.
pub(super) fn run(cmd: &ClusterCommand, c: &Cluster, name: &str, o: &mut Outcome) {
    match cmd {
        ClusterCommand::Status => match c.status(name) {
            Ok(s) => {
                let kind = if s.live { "etcd" } else { "simulated" };
                o.outln(format!("Cluster store: {} ({kind})", s.url));
                let mut t = String::from("NODE\tHOST\tLAST SEEN\tEXPIRES IN\tENDPOINTS\n");
                for n in &s.nodes {
                    let (seen, expires) = match (n.registered, n.node.ttl, n.node.ttl_left) {
                        (false, _, _) => ("gone".to_string(), "-".to_string()),
                        (true, Some(ttl), Some(left)) if left >= 0 => {
                            (format!("{}s ago", (ttl - left).max(0)), format!("{left}s"))
                        }
                        (true, Some(_), Some(_)) => ("gone".to_string(), "expired".to_string()),
                        (true, _, _) => ("-".to_string(), "never".to_string()),
                    };
                    t.push_str(&format!(
                        "{}\t{}\t{seen}\t{expires}\t{}\n",
                        n.node.advertise,
                        n.host.as_deref().unwrap_or(""),
                        n.endpoints
                    ));
                }
                o.outln("");
                o.out(tabwriter::align(&t, 0, 3));
                let mut t = String::from("NETWORK ID\tNAME\tDRIVER\tSUBNET\tVNI\tENDPOINTS\n");
                for net in &s.networks {
                    let subnets: Vec<String> = net
                        .ipam
                        .pools
                        .iter()
                        .map(|p| p.subnet.to_string())
                        .collect();
                    let vnis: Vec<String> = net.vnis.iter().map(u32::to_string).collect();
                    t.push_str(&format!(
                        "{}\t{}\t{}\t{}\t{}\t{}\n",
                        crate::docker::short(&net.id),
                        net.name,
                        net.driver,
                        subnets.join(","),
                        vnis.join(","),
                        net.endpoints.len()
                    ));
                }
                o.outln("");
                o.out(tabwriter::align(&t, 0, 3));
            }
            Err(e) => o.fail(e.to_string()),
        },
    }
}
