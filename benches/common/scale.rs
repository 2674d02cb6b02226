//! A large synthetic topology: the workload of the `scale` bench, of `examples/scale.rs` and of
//! `tests/scale.rs`.
//!
//! N running busybox containers over N/100 user-defined bridge networks (`10.H.L.0/24`, so the
//! default pools' 31 networks are not the limit), then one `ping -c 1` from every container to
//! its network's gateway, each one frames on the simulated wire. Everything goes through the
//! [`docker`](vnet::docker) layer as the CLI's commands do, minus the command-line parsing.

use vnet::busybox::{self, ExecOptions};
use vnet::docker::{ContainerCreateRequest, Daemon, IpamConfig, NetworkCreateRequest};

/// Containers per network.
pub const PER_NETWORK: usize = 100;

/// What one run did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// Networks created.
    pub networks: usize,
    /// Containers created and started.
    pub containers: usize,
    /// Pings answered (of one per container).
    pub answered: usize,
}

/// The subnet of the `i`-th network.
fn subnet(i: usize) -> (String, String) {
    let (h, l) = (i / 256, i % 256);
    (format!("10.{h}.{l}.0/24"), format!("10.{h}.{l}.1"))
}

/// Builds the networks and containers on `d`. Returns the container IDs.
pub fn build(d: &mut Daemon, containers: usize) -> Vec<String> {
    let networks = containers.div_ceil(PER_NETWORK);
    assert!(
        networks <= 256 * 256,
        "at most {} containers",
        256 * 256 * PER_NETWORK
    );
    for n in 0..networks {
        let (subnet, gateway) = subnet(n);
        d.network_create(NetworkCreateRequest {
            name: format!("net{n}"),
            ipam_config: vec![IpamConfig {
                subnet,
                gateway,
                ..IpamConfig::default()
            }],
            ..NetworkCreateRequest::default()
        })
        .expect("network create");
    }
    let mut ids = Vec::with_capacity(containers);
    for c in 0..containers {
        let id = d
            .container_create(ContainerCreateRequest {
                name: Some(format!("c{c}")),
                image: "busybox".to_string(),
                tty: true,
                open_stdin: true,
                network_mode: format!("net{}", c / PER_NETWORK),
                ..ContainerCreateRequest::default()
            })
            .expect("container create");
        d.container_start(&id).expect("container start");
        ids.push(id);
    }
    ids
}

/// `ping -c 1` from each container to its network's gateway. Returns how many were answered.
pub fn ping_gateways(d: &mut Daemon, ids: &[String]) -> usize {
    let mut answered = 0;
    for (c, id) in ids.iter().enumerate() {
        let (_, gateway) = subnet(c / PER_NETWORK);
        let argv = ["ping", "-c", "1", gateway.as_str()].map(String::from);
        let r = busybox::exec(d, id, &argv, &ExecOptions::default())
            .expect("exec in a running container");
        if r.code == 0 {
            answered += 1;
        }
    }
    answered
}

/// Both steps on a fresh host.
pub fn run(seed: u64, containers: usize) -> Report {
    let mut d = Daemon::new(seed);
    let ids = build(&mut d, containers);
    let answered = ping_gateways(&mut d, &ids);
    Report {
        networks: containers.div_ceil(PER_NETWORK),
        containers,
        answered,
    }
}
