//! Multi-host overlay networks through the real binary: hosts and the cluster store persist
//! between commands, `VNET_HOST` picks a host, the stale-endpoint story prints the seed's
//! error, and a cross-host ping's capture decodes in tshark as VXLAN around the inner ICMP.

mod common;

use common::Vnet;

/// Two hosts on one store, an overlay network, a container on each.
fn two_hosts(tag: &str) -> Vnet {
    let v = Vnet::new(tag);
    common::two_hosts_on_an_overlay(&v, &[]);
    v.ok(&[
        "-H",
        "host2",
        "run",
        "-itd",
        "--name",
        "c2",
        "--net",
        "multihost",
        "busybox",
    ]);
    v
}

#[test]
fn hosts_and_the_store_persist_and_vnet_host_picks_one() {
    let v = two_hosts("ov-persist");
    let ls = v.ok(&["host", "ls"]);
    assert_eq!(
        ls,
        "NAME      ADDRESS      CLUSTER STORE            CONTAINERS\n\
         default   198.18.0.1                            0\n\
         host1     198.18.0.2   consul://10.0.0.5:8500   1\n\
         host2     198.18.0.3   consul://10.0.0.5:8500   1\n"
    );
    // VNET_HOST stands for -H; -H wins over it.
    let by_env = v
        .cmd(&["ps", "--format", "{{.Names}}"])
        .env("VNET_HOST", "host2")
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&by_env.stdout), "c2\n");
    let by_flag = v
        .cmd(&["-H", "host1", "ps", "--format", "{{.Names}}"])
        .env("VNET_HOST", "host2")
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&by_flag.stdout), "c1\n");
    // The default host is in no cluster: no overlay there.
    assert_eq!(
        v.ok(&["network", "ls", "-q", "--filter", "driver=overlay"]),
        ""
    );
    assert_eq!(
        v.ok(&[
            "-H",
            "host2",
            "network",
            "ls",
            "--format",
            "{{.Name}} {{.Scope}}",
            "--filter",
            "driver=overlay"
        ]),
        "multihost global\n"
    );
}

#[test]
fn a_failed_command_on_a_host_changes_nothing() {
    // Straight after the hosts join the store: the first command writes nothing to it.
    let v = Vnet::new("ov-failed-fresh");
    v.ok(&["host", "create", "--cluster-store", "etcd://e:2379", "h1"]);
    let before = v.state_bytes();
    v.fails(
        &["-H", "h1", "network", "rm", "nope"],
        "Error response from daemon: network nope not found\nexit status 1\n",
        1,
    );
    assert_eq!(v.state_bytes(), before);

    let v = two_hosts("ov-failed");
    // After a command that took time on one host, the clock is every host's.
    v.ok(&["-H", "host2", "exec", "c2", "ping", "-c", "3", "c1"]);
    let before = v.state_bytes();
    v.fails(
        &["-H", "host1", "network", "rm", "nope"],
        "Error response from daemon: network nope not found\nexit status 1\n",
        1,
    );
    assert_eq!(v.state_bytes(), before);
    v.fails(
        &[
            "-H",
            "host2",
            "network",
            "create",
            "-d",
            "overlay",
            "multihost",
        ],
        "Error response from daemon: network with name multihost already exists\n",
        1,
    );
    v.fails(&["-H", "host9", "ps"], "no such host: host9\n", 1);
    assert_eq!(v.state_bytes(), before);
}

/// The guide's `docker run -d --name redis_db --net multihost redis`, on host1.
const RUN_REDIS: &[&str] = &[
    "-H",
    "host1",
    "run",
    "-d",
    "--name",
    "redis_db",
    "--net",
    "multihost",
    "redis",
];

#[test]
fn stale_endpoint_story_prints_the_seeds_error() {
    let v = two_hosts("ov-stale");
    v.ok(RUN_REDIS);
    v.ok(&["host", "restart", "--unclean", "host1"]);
    v.ok(&["-H", "host1", "rm", "redis_db"]);
    let r = v.run(RUN_REDIS);
    assert_eq!(r.code, 125);
    assert!(
        r.stderr.starts_with(
            "vnet: Error response from daemon: failed to set up container networking: container already connected to network multihost\n"
        ),
        "{}",
        r.stderr
    );
    v.ok(&["-H", "host1", "rm", "-f", "redis_db"]);
    v.ok(&[
        "-H",
        "host1",
        "network",
        "disconnect",
        "-f",
        "multihost",
        "redis_db",
    ]);
    v.ok(RUN_REDIS);
    let out = v.ok(&["-H", "host2", "exec", "c2", "ping", "-c", "1", "redis_db"]);
    assert!(out.contains("1 packets received"), "{out}");
}

#[test]
fn cross_host_capture_decodes_as_vxlan_in_tshark() {
    let v = two_hosts("ov-capture");
    let file = v.dir.join("overlay.pcapng");
    let out = v.ok(&[
        "-H",
        "host1",
        "--capture",
        file.to_str().unwrap(),
        "exec",
        "c1",
        "ping",
        "-c",
        "2",
        "c2",
    ]);
    assert!(out.contains("2 packets received"), "{out}");
    let Ok(out) = std::process::Command::new("tshark")
        .args(["-r", file.to_str().unwrap(), "-Y", "vxlan && icmp"])
        .args([
            "-T",
            "fields",
            "-e",
            "vxlan.vni",
            "-e",
            "ip.src",
            "-e",
            "ip.dst",
            "-e",
            "icmp.type",
        ])
        .output()
    else {
        eprintln!("tshark is not installed here: the capture was not decoded");
        return;
    };
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    // Two requests and two replies crossed the underlay, each an outer IPv4 header between
    // the hosts' addresses around the containers' ICMP (8 = request, 0 = reply).
    assert_eq!(
        text,
        "256\t198.18.0.2,10.0.0.2\t198.18.0.3,10.0.0.3\t8\n\
         256\t198.18.0.3,10.0.0.3\t198.18.0.2,10.0.0.2\t0\n\
         256\t198.18.0.2,10.0.0.2\t198.18.0.3,10.0.0.3\t8\n\
         256\t198.18.0.3,10.0.0.3\t198.18.0.2,10.0.0.2\t0\n"
    );
    let all = std::process::Command::new("tshark")
        .args(["-r", file.to_str().unwrap()])
        .output()
        .unwrap();
    let all = String::from_utf8_lossy(&all.stdout);
    assert!(!all.to_lowercase().contains("malformed"), "{all}");
}
