//! The real `vnet` binary against Docker's exact output: tables, JSON, errors, exit codes,
//! and the state directory's promises (locking, atomic writes, determinism).

mod common;

use common::Vnet;
use serde_json::Value;

#[test]
fn network_ls_default_table() {
    let v = Vnet::new("ls");
    let (b, h, n) = (v.id("bridge"), v.id("host"), v.id("none"));
    assert_eq!(
        v.ok(&["network", "ls"]),
        format!(
            "NETWORK ID     NAME      DRIVER    SCOPE\n{}   bridge    bridge    local\n{}   host      host      local\n{}   none      null      local\n",
            &b[..12],
            &h[..12],
            &n[..12]
        )
    );
    v.ok(&["network", "create", "isolated_nw"]);
    let i = v.id("isolated_nw");
    assert_eq!(
        v.ok(&["network", "ls", "-q"]),
        format!("{}\n{}\n{}\n{}\n", &b[..12], &h[..12], &i[..12], &n[..12])
    );
    assert_eq!(
        v.ok(&[
            "network",
            "ls",
            "--filter",
            "driver=bridge",
            "--format",
            "{{.Name}}"
        ]),
        "bridge\nisolated_nw\n"
    );
    assert_eq!(
        v.ok(&[
            "network",
            "ls",
            "-f",
            "type=custom",
            "--no-trunc",
            "--format",
            "{{.ID}} {{.Name}}"
        ]),
        format!("{i} isolated_nw\n")
    );
    assert_eq!(
        v.ok(&[
            "network",
            "ls",
            "--format",
            "table {{.Name}}\\t{{.Driver}}",
            "-f",
            "name=iso"
        ]),
        "NAME          DRIVER\nisolated_nw   bridge\n"
    );
}

#[test]
fn network_inspect_shape() {
    let v = Vnet::new("inspect");
    v.ok(&["run", "-itd", "--name=container2", "busybox"]);
    let id = v
        .ok(&[
            "network",
            "create",
            "-d",
            "bridge",
            "--subnet",
            "172.25.0.0/16",
            "isolated_nw",
        ])
        .trim()
        .to_string();
    v.ok(&["network", "connect", "isolated_nw", "container2"]);
    let c2 = v.id("container2");
    let ep = v
        .ok(&[
            "inspect",
            "-f",
            "{{(index .NetworkSettings.Networks \"isolated_nw\").EndpointID}}",
            "container2",
        ])
        .trim()
        .to_string();
    let expected = format!(
        r#"[
    {{
        "Name": "isolated_nw",
        "Id": "{id}",
        "Created": "2026-01-01T00:00:00Z",
        "Scope": "local",
        "Driver": "bridge",
        "EnableIPv4": true,
        "EnableIPv6": false,
        "IPAM": {{
            "Driver": "default",
            "Options": {{}},
            "Config": [
                {{
                    "Subnet": "172.25.0.0/16"
                }}
            ]
        }},
        "Internal": false,
        "Attachable": false,
        "Ingress": false,
        "ConfigFrom": {{
            "Network": ""
        }},
        "ConfigOnly": false,
        "Containers": {{
            "{c2}": {{
                "Name": "container2",
                "EndpointID": "{ep}",
                "MacAddress": "02:42:ac:19:00:02",
                "IPv4Address": "172.25.0.2/16",
                "IPv6Address": ""
            }}
        }},
        "Options": {{}},
        "Labels": {{}}
    }}
]
"#
    );
    assert_eq!(v.ok(&["network", "inspect", "isolated_nw"]), expected);
}

#[test]
fn seed_control_plane_facts() {
    let v = common::seed_topology("seed");
    let c3: Value = serde_json::from_str(&v.ok(&[
        "inspect",
        "--format={{json .NetworkSettings.Networks}}",
        "container3",
    ]))
    .unwrap();
    assert_eq!(c3["isolated_nw"]["IPAMConfig"]["IPv4Address"], "172.25.3.3");
    assert_eq!(c3["isolated_nw"]["IPAddress"], "172.25.3.3");
    assert_eq!(c3["isolated_nw"]["MacAddress"], "02:42:ac:19:03:03");
    assert_eq!(c3["isolated_nw"]["Gateway"], "172.25.0.1");
    let out = v.ok(&[
        "inspect",
        "--format={{json .NetworkSettings.Networks}}",
        "container2",
    ]);
    let c2: Value = serde_json::from_str(&out).unwrap();
    let keys: Vec<&String> = c2.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["bridge", "isolated_nw"]);
    assert_eq!(c2["bridge"]["IPAddress"], "172.17.0.3");
    assert_eq!(c2["bridge"]["MacAddress"], "02:42:ac:11:00:03");
    assert_eq!(c2["bridge"]["IPAMConfig"], Value::Null);
    assert_eq!(c2["isolated_nw"]["IPAddress"], "172.25.0.2");
    assert_eq!(c2["isolated_nw"]["IPPrefixLen"], 16);
    // Field order of an endpoint, as Engine 28 sends it.
    let fields: Vec<&String> = c2["bridge"].as_object().unwrap().keys().collect();
    assert_eq!(
        fields,
        [
            "IPAMConfig",
            "Links",
            "Aliases",
            "MacAddress",
            "DriverOpts",
            "GwPriority",
            "NetworkID",
            "EndpointID",
            "Gateway",
            "IPAddress",
            "IPPrefixLen",
            "IPv6Gateway",
            "GlobalIPv6Address",
            "GlobalIPv6PrefixLen",
            "DNSNames"
        ]
    );
    // Lowest free: the next container on isolated_nw takes .3, not .4.
    v.ok(&[
        "run",
        "--net=isolated_nw",
        "-itd",
        "--name=container4",
        "busybox",
    ]);
    assert_eq!(
        v.ok(&[
            "inspect",
            "-f",
            "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}",
            "container4"
        ]),
        "172.25.0.3\n"
    );
}

#[test]
fn ps_table_and_ports() {
    let v = Vnet::new("ps");
    // 172.23.0.1 is the network's own gateway: an address the host has.
    v.ok(&[
        "network",
        "create",
        "--subnet",
        "172.23.0.0/16",
        "-o",
        "com.docker.network.bridge.host_binding_ipv4=172.23.0.1",
        "my-network",
    ]);
    v.ok(&[
        "run",
        "-d",
        "-P",
        "--name",
        "redis",
        "--net",
        "my-network",
        "redis",
    ]);
    v.ok(&["run", "-itd", "--name=web", "-p", "8080:80", "nginx"]);
    v.ok(&["create", "--name=idle", "busybox"]);
    let id = |n: &str| v.id(n)[..12].to_string();
    assert_eq!(
        v.ok(&["ps"]),
        format!(
            "CONTAINER ID   IMAGE     COMMAND                  CREATED                  STATUS                  PORTS                                     NAMES\n\
             {}   nginx     \"/docker-entrypoint.…\"   Less than a second ago   Up Less than a second   0.0.0.0:8080->80/tcp, [::]:8080->80/tcp   web\n\
             {}   redis     \"docker-entrypoint.s…\"   Less than a second ago   Up Less than a second   172.23.0.1:32768->6379/tcp                redis\n",
            id("web"),
            id("redis")
        )
    );
    assert_eq!(
        v.ok(&["ps", "-a", "--format", "{{.Names}}\t{{.Status}}"]),
        "idle\tCreated\nweb\tUp Less than a second\nredis\tUp Less than a second\n"
    );
    // Stopping a shell waits out the 10 s grace period and kills it.
    v.ok(&["stop", "web", "idle"]);
    v.ok(&["run", "-itd", "--name=sh1", "busybox"]);
    v.ok(&["stop", "sh1"]);
    assert_eq!(
        v.ok(&["ps", "-a", "--format", "{{.Names}} {{.Status}}"]),
        "sh1 Exited (137) Less than a second ago\nidle Created\nweb Exited (0) 10 seconds ago\nredis Up 10 seconds\n"
    );
    assert_eq!(v.ok(&["ps", "-q"]), format!("{}\n", id("redis")));
}

/// `(args, stderr, exit code)` for errors Docker prints word for word.
#[test]
fn docker_errors_word_for_word() {
    let v = Vnet::new("errors");
    v.ok(&["network", "create", "--subnet", "192.168.0.0/16", "n1"]);
    v.ok(&["run", "-itd", "--name", "c1", "busybox"]);
    v.ok(&["run", "-itd", "--name", "c2", "--net", "n1", "busybox"]);
    v.ok(&["create", "--name", "stopped", "busybox"]);
    let c1 = v.id("c1");
    let stopped = v.id("stopped");
    let cases: Vec<(Vec<&str>, String, i32)> = vec![
        (vec!["network", "create", "bridge"], "Error response from daemon: operation is not permitted on predefined bridge network\n".into(), 1),
        (vec!["network", "create", "default"], "Error response from daemon: operation is not permitted on predefined default network\n".into(), 1),
        (vec!["network", "create", "n1"], "Error response from daemon: network with name n1 already exists\n".into(), 1),
        (vec!["network", "create", "--subnet", "192.168.128.0/17", "n2"], "Error response from daemon: invalid pool request: Pool overlaps with other one on this address space\n".into(), 1),
        (vec!["network", "create", "--subnet", "10.10.10.0/8", "n2"], "Error response from daemon: invalid network config:\ninvalid subnet 10.10.10.0/8: it should be 10.0.0.0/8\n".into(), 1),
        (vec!["network", "create", "--subnet", "abc", "n2"], "Error response from daemon: invalid network config:\ninvalid subnet abc: invalid CIDR block notation\n".into(), 1),
        (vec!["network", "create", "--subnet", "10.0.0.0/16", "--ip-range", "10.0.5.0/8", "--gateway", "10.1.0.1", "n2"], "no matching subnet for gateway 10.1.0.1\n".into(), 1),
        (vec!["network", "create", "--subnet", "10.0.0.0/16", "--ip-range", "10.5.0.0/24", "n2"], "no matching subnet for range 10.5.0.0/24\n".into(), 1),
        (vec!["network", "create", "--subnet", "10.0.0.0/16", "--ip-range", "10.0.0.0/8", "n2"], "Error response from daemon: invalid network config:\ninvalid ip-range 10.0.0.0/8: CIDR block is bigger than its parent subnet 10.0.0.0/16\n".into(), 1),
        (vec!["network", "create", "--subnet", "10.0.0.0/16", "--gateway", "10.0.0.1", "--gateway", "10.0.0.2", "n2"], "every ip-range or gateway must have a corresponding subnet\n".into(), 1),
        (vec!["network", "create", "--subnet", "10.0.0.0/8", "--subnet", "10.1.0.0/16", "n2"], "multiple overlapping subnet configuration is not supported\n".into(), 1),
        (vec!["network", "create", "--subnet", "10.0.0.0/16", "--gateway", "10.9.0.1", "n2"], "no matching subnet for gateway 10.9.0.1\n".into(), 1),
        (vec!["network", "create", "--subnet", "10.0.0.0/16", "--aux-address", "a=10.9.0.1", "n2"], "no matching subnet for aux-address 10.9.0.1\n".into(), 1),
        (vec!["network", "create", "--subnet", "10.0.0.0/16", "--subnet", "10.1.0.0/16", "n2"], "Error response from daemon: bridge driver doesn't support multiple subnets\n".into(), 1),
        (vec!["network", "create", "-d", "foo", "n2"], "Error response from daemon: plugin \"foo\" not found\n".into(), 1),
        (vec!["network", "create", "-d", "host", "n2"], "Error response from daemon: only one instance of \"host\" network is allowed\n".into(), 1),
        (vec!["network", "create", "-d", "overlay", "n2"], "Error response from daemon: This node is not a swarm manager. Use \"docker swarm init\" or \"docker swarm join\" to connect this node to swarm and try again.\n".into(), 1),
        (vec!["network", "rm", "bridge"], "Error response from daemon: bridge is a pre-defined network and cannot be removed\nexit status 1\n".into(), 1),
        (vec!["network", "rm", "nope"], "Error response from daemon: network nope not found\nexit status 1\n".into(), 1),
        (vec!["network", "inspect", "nope"], "Error response from daemon: network nope not found\n".into(), 1),
        (vec!["network", "connect", "nope", "c1"], "Error response from daemon: network nope not found\n".into(), 1),
        (vec!["network", "connect", "n1", "nope"], "Error response from daemon: No such container: nope\n".into(), 1),
        (vec!["network", "connect", "n1", "c2"], "Error response from daemon: endpoint with name c2 already exists in network n1\n".into(), 1),
        (vec!["network", "connect", "host", "c1"], "Error response from daemon: container cannot be disconnected from host network or connected to host network\n".into(), 1),
        (vec!["network", "connect", "--ip", "172.17.0.9", "bridge", "stopped"], "Error response from daemon: invalid endpoint settings:\nuser specified IP address is supported on user defined networks only\n".into(), 1),
        (vec!["network", "connect", "--alias", "x", "bridge", "stopped"], "Error response from daemon: invalid endpoint settings:\nnetwork-scoped alias is supported only for containers in user defined networks\n".into(), 1),
        (vec!["network", "disconnect", "n1", "c1"], format!("Error response from daemon: container {c1} is not connected to network n1\n"), 1),
        (vec!["network", "disconnect", "n1", "stopped"], format!("Error response from daemon: container {stopped} is not connected to the network n1\n"), 1),
        (vec!["run", "-d", "--ip", "172.17.0.9", "busybox"], "vnet: Error response from daemon: invalid config for network bridge: invalid endpoint settings:\nuser specified IP address is supported on user defined networks only\n\nRun 'vnet run --help' for more information\n".into(), 125),
        (vec!["run", "-d", "--net", "n1", "--ip", "10.0.0.9", "busybox"], "vnet: Error response from daemon: invalid config for network n1: invalid endpoint settings:\nno configured subnet or ip-range contain the IP address 10.0.0.9\n\nRun 'vnet run --help' for more information\n".into(), 125),
        (vec!["run", "-d", "--net", "n1", "--ip", "1.2.3", "busybox"], "vnet: Error response from daemon: invalid config for network n1: invalid endpoint settings:\ninvalid IPv4 address: 1.2.3\n\nRun 'vnet run --help' for more information\n".into(), 125),
        (vec!["run", "-d", "--name", "c1", "busybox"], format!("vnet: Error response from daemon: Conflict. The container name \"/c1\" is already in use by container \"{c1}\". You have to remove (or rename) that container to be able to reuse that name.\n\nRun 'vnet run --help' for more information\n"), 125),
        (vec!["run", "-d", "--name", "bad name", "busybox"], "vnet: Error response from daemon: Invalid container name (bad name), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed\n\nRun 'vnet run --help' for more information\n".into(), 125),
        (vec!["run", "-d", "--link", "nope:alias", "busybox"], "vnet: Error response from daemon: could not get container for nope: No such container: nope\n\nRun 'vnet run --help' for more information\n".into(), 125),
        (vec!["run", "-d", "--network-alias", "x", "busybox"], "vnet: network-scoped aliases are only supported for user-defined networks\n\nRun 'vnet run --help' for more information\n".into(), 125),
        (vec!["run", "-d", "--link", "a:b:c", "busybox"], "invalid argument \"a:b:c\" for \"--link\" flag: bad format for links: a:b:c\n\nUsage:  vnet run [OPTIONS] IMAGE [COMMAND] [ARG...]\n\nRun 'vnet run --help' for more information\n".into(), 125),
        (vec!["create", "--name", "c1", "busybox"], format!("Error response from daemon: Conflict. The container name \"/c1\" is already in use by container \"{c1}\". You have to remove (or rename) that container to be able to reuse that name.\n"), 1),
        (vec!["rm", "c1"], "Error response from daemon: cannot remove container \"c1\": container is running: stop the container before removing or force remove\n".into(), 1),
        (vec!["start", "nope"], "Error response from daemon: No such container: nope\nError: failed to start containers: nope\n".into(), 1),
        (vec!["rename", "c1", "c2"], format!("Error response from daemon: Error when allocating new name: Conflict. The container name \"/c2\" is already in use by container \"{}\". You have to remove (or rename) that container to be able to reuse that name.\nError: failed to rename container named c1\n", v.id("c2")), 1),
        (vec!["rename", "c1", "c1"], "Error response from daemon: Renaming a container with the same name as its current name\nError: failed to rename container named c1\n".into(), 1),
        (vec!["inspect", "nope"], "Error: No such object: nope\n".into(), 1),
        (vec!["network", "create"], "vnet: 'vnet network create' requires 1 argument\n\nUsage:  vnet network create [OPTIONS] NETWORK\n\nRun 'vnet network create --help' for more information\n".into(), 1),
        (vec!["network", "rm"], "vnet: 'vnet network rm' requires at least 1 argument\n\nUsage:  vnet network rm NETWORK [NETWORK...]\n\nSee 'vnet network rm --help' for more information\n".into(), 1),
        (vec!["network", "create", "--bogus", "x"], "unknown flag: --bogus\n\nUsage:  vnet network create [OPTIONS] NETWORK\n\nRun 'vnet network create --help' for more information\n".into(), 125),
        (vec!["network", "ls", "--filter", "foo"], "invalid argument \"foo\" for \"-f, --filter\" flag: bad format of filter (expected name=value)\n\nUsage:  vnet network ls [OPTIONS]\n\nRun 'vnet network ls --help' for more information\n".into(), 125),
        (vec!["network", "ls", "--filter", "foo=bar"], "Error response from daemon: invalid filter 'foo'\n".into(), 1),
    ];
    for (args, stderr, code) in cases {
        let before = v.state_bytes();
        v.fails(&args, &stderr, code);
        // A refused command changes nothing.
        assert!(before == v.state_bytes(), "vnet {args:?} changed the state");
    }
}

#[test]
fn rm_with_active_endpoints_and_partial_success() {
    let v = Vnet::new("rm");
    v.ok(&["network", "create", "n0"]);
    v.ok(&["network", "create", "n1"]);
    v.ok(&["network", "create", "n2"]);
    v.ok(&["run", "-itd", "--name", "ctr", "--net", "n2", "busybox"]);
    let ep = v
        .ok(&[
            "inspect",
            "-f",
            "{{(index .NetworkSettings.Networks \"n2\").EndpointID}}",
            "ctr",
        ])
        .trim()
        .to_string();
    let r = v.run(&["network", "rm", "n0", "n1", "n2"]);
    assert_eq!(r.stdout, "n0\nn1\n");
    assert_eq!(
        r.stderr,
        format!(
            "Error response from daemon: error while removing network: network n2 has active endpoints (name:\"ctr\" id:\"{}\")\nexit status 1\n",
            &ep[..12]
        )
    );
    assert_eq!(r.code, 1);
    // Stopped containers do not hold a network.
    v.ok(&["stop", "ctr"]);
    assert_eq!(v.ok(&["network", "rm", "n2"]), "n2\n");
    // ... and their next start says so.
    v.fails(
        &["start", "ctr"],
        &format!(
            "Error response from daemon: failed to set up container networking: network {} not found\nError: failed to start containers: ctr\n",
            serde_json::from_str::<Value>(&v.ok(&["inspect", "-f", "{{json .NetworkSettings.Networks}}", "ctr"]))
                .unwrap()["n2"]["NetworkID"]
                .as_str()
                .unwrap()
        ),
        1,
    );
}

#[test]
fn help_is_dockers() {
    let v = Vnet::new("help");
    let out = v.ok(&["network", "create", "--help"]);
    assert!(out.starts_with(
        "Usage:  vnet network create [OPTIONS] NETWORK\n\nCreate a network\n\nOptions:\n"
    ));
    assert!(out.contains(
        "  -d, --driver string        Driver to manage the Network (default \"bridge\")\n"
    ));
    assert!(
        v.ok(&["run", "--help"])
            .contains("  -h, --hostname string                  Container host name\n")
    );
}

#[test]
fn version_help_and_container_aliases_are_dockers() {
    let v = Vnet::new("version");
    let short = format!(
        "vnet version {}, Docker Engine 28.2.2\n",
        env!("CARGO_PKG_VERSION")
    );
    assert_eq!(v.ok(&["--version"]), short);
    assert_eq!(v.ok(&["-v"]), short);
    let long = v.ok(&["version"]);
    assert!(long.starts_with("Client: vnet\n Version:           "));
    assert!(long.contains("\nServer: vnet "));
    assert!(long.contains("\n  API version:      1.50 (minimum version 1.24)\n"));
    assert_eq!(
        v.ok(&[
            "version",
            "--format",
            "{{.Server.Version}}/{{.Client.APIVersion}}"
        ]),
        "28.2.2/1.50\n"
    );
    // `help COMMAND` is `COMMAND --help`.
    assert_eq!(
        v.ok(&["help", "network", "ls"]),
        v.ok(&["network", "ls", "--help"])
    );
    assert_eq!(v.ok(&["help"]), v.ok(&["--help"]));
    // `container X` is the command X.
    v.ok(&["run", "-itd", "--name", "box", "-l", "k=v", "busybox"]);
    assert_eq!(
        v.ok(&["container", "ls", "--format", "{{.Names}} {{.Labels}}"]),
        "box k=v\n"
    );
    assert_eq!(v.ok(&["container", "rm", "-f", "box"]), "box\n");
    assert_eq!(v.ok(&["container", "list", "-aq"]), "");
}

#[test]
fn network_mode_and_link_errors() {
    let v = Vnet::new("modes");
    v.ok(&["run", "-d", "--name", "hostc", "--net", "host", "busybox"]);
    v.ok(&["run", "-d", "--name", "nonec", "--net", "none", "busybox"]);
    v.ok(&["create", "-i", "--name", "db1", "busybox"]);
    v.ok(&["network", "create", "abc1"]);
    let cases: Vec<(Vec<&str>, &str, i32)> = vec![
        (
            vec!["network", "connect", "bridge", "hostc"],
            "Error response from daemon: container sharing network namespace with another container or host cannot be connected to any other network\n",
            1,
        ),
        (
            vec!["network", "disconnect", "host", "hostc"],
            "Error response from daemon: cannot disconnect container from host network - container was created in host network mode\n",
            1,
        ),
        (
            vec!["network", "connect", "bridge", "nonec"],
            "Error response from daemon: container cannot be connected to multiple networks with one of the networks in private (none) mode\n",
            1,
        ),
        (
            vec![
                "run", "-d", "--name", "web2", "--link", "hostc:h", "busybox",
            ],
            "vnet: Error response from daemon: conflicting options: host type networking can't be used with links. This would result in undefined behavior\n\nRun 'vnet run --help' for more information\n",
            125,
        ),
        (
            vec![
                "network",
                "create",
                "--subnet",
                "10.0.0.0/16",
                "--gateway",
                "10.0.0.1",
                "--gateway",
                "10.0.0.2",
                "--subnet",
                "10.1.0.0/16",
                "x1",
            ],
            "cannot configure multiple gateways (10.0.0.2, 10.0.0.1) for the same subnet (10.0.0.0/16)\n",
            1,
        ),
        (
            vec![
                "network",
                "create",
                "--subnet",
                "10.0.0.0/16",
                "--subnet",
                "10.1.0.0/16",
                "--ip-range",
                "10.0.1.0/24",
                "--ip-range",
                "10.0.2.0/24",
                "x1",
            ],
            "cannot configure multiple ranges (10.0.2.0/24, 10.0.1.0/24) on the same subnet (10.0.0.0/16)\n",
            1,
        ),
        (
            vec![
                "network",
                "create",
                "--subnet",
                "10.0.0.0/16",
                "--gateway",
                "10.0.0.0/8",
                "x1",
            ],
            "Error response from daemon: invalid network config:\ninvalid gateway 10.0.0.0/8: invalid address\n",
            1,
        ),
        (
            vec![
                "network",
                "create",
                "--subnet",
                "10.0.0.0/16",
                "--ip-range",
                "10.0.1.0/24",
                "--gateway",
                "10.0.0.1",
                "--aux-address",
                "a=10.0.0.1",
                "x1",
            ],
            "Error response from daemon: failed to allocate secondary ip address (a:10.0.0.1): Address already in use\n",
            1,
        ),
        (
            vec![
                "network",
                "create",
                "--ipv6",
                "--subnet",
                "fd00::/64",
                "--gateway",
                "10.0.0.1",
                "x1",
            ],
            "no matching subnet for gateway 10.0.0.1\n",
            1,
        ),
        (
            vec!["network", "disconnect", "-f", "bridge", "nosuch"],
            "Error response from daemon: endpoint nosuch not found\n",
            1,
        ),
        (
            vec!["network", "inspect", "abc"],
            "Error response from daemon: network abc not found\n",
            1,
        ),
    ];
    for (args, stderr, code) in cases {
        let before = v.state_bytes();
        v.fails(&args, stderr, code);
        assert!(before == v.state_bytes(), "vnet {args:?} changed the state");
    }
    // A link to a stopped container is accepted at create and refused at start; the
    // container stays created.
    v.fails(
        &["run", "-d", "--name", "web1", "--link", "db1:db", "busybox"],
        "vnet: Error response from daemon: failed to set up container networking: Cannot link to a non running container: /db1 AS /web1/db\n\nRun 'vnet run --help' for more information\n",
        125,
    );
    assert_eq!(
        v.ok(&[
            "inspect",
            "-f",
            "{{.State.Status}} {{.HostConfig.Links}}",
            "web1"
        ]),
        "created [/db1:/web1/db]\n"
    );
    v.ok(&["start", "db1"]);
    assert_eq!(v.ok(&["start", "web1"]), "web1\n");
}

#[test]
fn review_fixes_hold() {
    let v = Vnet::new("review");
    v.ok(&["network", "create", "--subnet", "10.9.4.0/24", "n1"]);
    v.ok(&["network", "create", "n2"]);
    // Several --network flags attach several networks; the last --name wins.
    v.ok(&[
        "run",
        "-itd",
        "--network",
        "n1",
        "--network",
        "n2",
        "--name",
        "aa",
        "--name",
        "multi",
        "busybox",
    ]);
    assert_eq!(
        v.ok(&[
            "inspect",
            "-f",
            "{{range $k, $v := .NetworkSettings.Networks}}{{$k}}={{$v.IPAddress}} {{end}}",
            "multi"
        ]),
        "n1=10.9.4.2 n2=172.18.0.2 \n"
    );
    // Rename rebuilds DNSNames.
    v.ok(&["rename", "multi", "renamed"]);
    let short = &v.id("renamed")[..12];
    assert_eq!(
        v.ok(&[
            "inspect",
            "-f",
            "{{json .NetworkSettings.Networks.n1.DNSNames}}",
            "renamed"
        ]),
        format!("[\"renamed\",\"{short}\"]\n")
    );
    // Reserved addresses are in use, not out of range.
    v.fails(
        &["run", "-d", "--net", "n1", "--ip", "10.9.4.255", "busybox"],
        "vnet: Error response from daemon: failed to set up container networking: Address already in use\n\nRun 'vnet run --help' for more information\n",
        125,
    );
    // A failed restart keeps the exit code and says which container.
    v.ok(&[
        "run", "-itd", "--net", "n1", "--ip", "10.9.4.9", "--name", "s1", "busybox",
    ]);
    v.ok(&["stop", "s1"]);
    v.ok(&[
        "run", "-itd", "--net", "n1", "--ip", "10.9.4.9", "--name", "s2", "busybox",
    ]);
    v.fails(
        &["restart", "s1"],
        "Error response from daemon: Cannot restart container s1: failed to set up container networking: Address already in use\n",
        1,
    );
    assert_eq!(
        v.ok(&["inspect", "-f", "{{.State.ExitCode}}", "s1"]),
        "137\n"
    );
    // -n 0 is no limit: the running containers.
    assert_eq!(
        v.ok(&["ps", "-n", "0", "--format", "{{.Names}}"]),
        "s2\nrenamed\n"
    );
    assert_eq!(
        v.ok(&["ps", "-n", "2", "--format", "{{.Names}}"]),
        "s2\ns1\n"
    );
    // Templates: a missing field is an error, a template that does not parse is status 64.
    v.fails(
        &["inspect", "-f", "{{.Nope}}", "s2"],
        "template parsing error: template: :1:2: executing \"\" at <.Nope>: map has no entry for key \"Nope\"\n",
        1,
    );
    v.fails(
        &["inspect", "-f", "{{.Name", "s2"],
        "template parsing error: template: :1: unclosed action\n",
        64,
    );
    // moby says `invalid name:  `; the docker CLI trims daemon messages.
    v.fails(
        &["network", "create", " "],
        "Error response from daemon: invalid name:\n",
        1,
    );
    v.fails(
        &[
            "network",
            "create",
            "--ipv6",
            "--subnet",
            "2001:db8:3::/64",
            "--subnet",
            "2001:db8:4::/64",
            "two6",
        ],
        "Error response from daemon: bridge driver doesn't support multiple subnets\n",
        1,
    );
    v.fails(
        &["network", "ls", "-f", "dangling=maybe"],
        "Error response from daemon: invalid value for filter 'dangling', must be \"true\" (or \"1\"), or \"false\" (or \"0\")\n",
        1,
    );
    // Bool flags take pflag's =value form.
    v.ok(&["network", "create", "--ipv6=false", "--internal=true", "n3"]);
    assert_eq!(
        v.ok(&[
            "network",
            "inspect",
            "-f",
            "{{.EnableIPv6}} {{.Internal}}",
            "n3"
        ]),
        "false true\n"
    );
}

#[test]
fn process_lifetimes_and_parallel_stop() {
    let v = Vnet::new("lifetimes");
    // `run -d busybox`: sh reads EOF from a closed stdin and exits at once.
    v.ok(&["run", "-d", "--name", "quick", "busybox"]);
    v.ok(&["run", "-d", "--name", "said", "busybox", "echo", "hi"]);
    v.ok(&["run", "-itd", "--name", "a1", "busybox"]);
    v.ok(&["run", "-itd", "--name", "a2", "busybox"]);
    v.ok(&["run", "-itd", "--name", "web", "--expose", "8080", "nginx"]);
    assert_eq!(
        v.ok(&["ps", "-a", "--format", "{{.Names}} {{.Status}} {{.Ports}}"]),
        "web Up Less than a second 80/tcp, 8080/tcp\na2 Up Less than a second \na1 Up Less than a second \nsaid Exited (0) Less than a second ago \nquick Exited (0) Less than a second ago \n"
    );
    // docker stop stops its arguments in parallel: both wait the same 10 s.
    assert_eq!(v.ok(&["stop", "a1", "a2"]), "a1\na2\n");
    assert_eq!(
        v.ok(&["ps", "-a", "-n", "5", "--format", "{{.Names}} {{.Status}}"]),
        "web Up 10 seconds\na2 Exited (137) Less than a second ago\na1 Exited (137) Less than a second ago\nsaid Exited (0) 10 seconds ago\nquick Exited (0) 10 seconds ago\n"
    );
    // Unknown run flags are refused, not taken for the image.
    v.fails(
        &["run", "-itd", "--cpuset-cpus", "0", "busybox"],
        "unknown flag: --cpuset-cpus\n\nUsage:  vnet run [OPTIONS] IMAGE [COMMAND] [ARG...]\n\nRun 'vnet run --help' for more information\n",
        125,
    );
}
