//! Names through the real binary: the embedded DNS (real DNS messages on the container's
//! loopback), network-scoped aliases, links on user-defined networks, legacy links.

mod common;

use common::Vnet;

/// The address `ping` resolved `name` to, from its header (or the error).
fn resolves(v: &Vnet, from: &str, name: &str) -> Result<String, String> {
    let r = v.run(&["exec", from, "ping", "-c", "1", "-W", "1", name]);
    let first = r.stdout.lines().next().unwrap_or_default().to_string();
    match first.split_once(" (") {
        Some((head, rest)) if head == format!("PING {name}") => {
            Ok(rest.split(')').next().unwrap().to_string())
        }
        _ => Err(r.stderr),
    }
}

fn bad(name: &str) -> Result<String, String> {
    Err(format!("ping: bad address '{name}'\n"))
}

fn ok(ip: &str) -> Result<String, String> {
    Ok(ip.to_string())
}

/// The seed walkthrough's name facts, in its order, with seed-notes.md's corrections
/// (clean-replay addresses; container5 resolves scoped-app).
#[test]
fn seed_walkthrough_names() {
    let v = common::seed_topology("seed-names");
    assert_eq!(resolves(&v, "container2", "container3"), ok("172.25.3.3"));
    // The default bridge has no name service.
    assert_eq!(resolves(&v, "container2", "container1"), bad("container1"));

    // Links on a user-defined network: allowed before the target exists.
    v.ok(&[
        "run",
        "--net=isolated_nw",
        "-itd",
        "--name=container4",
        "--link",
        "container5:c5",
        "busybox",
    ]);
    v.ok(&[
        "run",
        "--net=isolated_nw",
        "-itd",
        "--name=container5",
        "--link",
        "container4:c4",
        "busybox",
    ]);
    assert_eq!(resolves(&v, "container4", "c5"), ok("172.25.0.4"));
    assert_eq!(resolves(&v, "container4", "container5"), ok("172.25.0.4"));
    assert_eq!(resolves(&v, "container5", "c4"), ok("172.25.0.3"));
    assert_eq!(resolves(&v, "container5", "container4"), ok("172.25.0.3"));
    // A link alias is private to the container that set it.
    assert_eq!(resolves(&v, "container3", "c5"), bad("c5"));

    // Per network: foo and bar only on local_alias.
    v.ok(&[
        "network",
        "create",
        "-d",
        "bridge",
        "--subnet",
        "172.26.0.0/24",
        "local_alias",
    ]);
    v.ok(&[
        "network",
        "connect",
        "--link",
        "container5:foo",
        "local_alias",
        "container4",
    ]);
    v.ok(&[
        "network",
        "connect",
        "--link",
        "container4:bar",
        "local_alias",
        "container5",
    ]);
    assert_eq!(resolves(&v, "container4", "foo"), ok("172.26.0.3"));
    assert_eq!(resolves(&v, "container4", "c5"), ok("172.25.0.4"));
    assert_eq!(resolves(&v, "container5", "bar"), ok("172.26.0.2"));

    // container5 leaves isolated_nw: c5 is gone for container4, foo still answers.
    v.ok(&["network", "disconnect", "isolated_nw", "container5"]);
    assert_eq!(resolves(&v, "container4", "c5"), bad("c5"));
    assert_eq!(resolves(&v, "container4", "foo"), ok("172.26.0.3"));

    // Network-scoped aliases. container6 takes the address container5 freed.
    v.ok(&[
        "run",
        "--net=isolated_nw",
        "-itd",
        "--name=container6",
        "--net-alias",
        "app",
        "busybox",
    ]);
    assert_eq!(resolves(&v, "container4", "app"), ok("172.25.0.4"));
    assert_eq!(resolves(&v, "container4", "container6"), ok("172.25.0.4"));
    v.ok(&[
        "network",
        "connect",
        "--alias",
        "scoped-app",
        "local_alias",
        "container6",
    ]);
    assert_eq!(resolves(&v, "container4", "scoped-app"), ok("172.26.0.4"));
    // seed-notes.md #5: container5 shares local_alias with container6, so it resolves.
    assert_eq!(resolves(&v, "container5", "scoped-app"), ok("172.26.0.4"));
    // ... but app is isolated_nw's, which container5 left.
    assert_eq!(resolves(&v, "container5", "app"), bad("app"));

    // A shared alias answers in registration order; the next takes over when one stops.
    v.ok(&[
        "run",
        "--net=isolated_nw",
        "-itd",
        "--name=container7",
        "--net-alias",
        "app",
        "busybox",
    ]);
    assert_eq!(resolves(&v, "container4", "app"), ok("172.25.0.4"));
    v.ok(&["stop", "container6"]);
    assert_eq!(resolves(&v, "container4", "app"), ok("172.25.0.5"));
    let ns = v.ok(&["exec", "container4", "nslookup", "app"]);
    assert!(ns.contains("Name:\tapp\nAddress: 172.25.0.5\n"), "{ns}");

    // Disconnecting container2: no more names for it.
    v.ok(&["network", "disconnect", "isolated_nw", "container2"]);
    assert_eq!(resolves(&v, "container2", "container3"), bad("container3"));
}

#[test]
fn dns_names_forms_and_scope() {
    let v = Vnet::new("forms");
    v.ok(&["network", "create", "net1"]);
    v.ok(&["network", "create", "net2"]);
    v.ok(&[
        "run",
        "-itd",
        "--name",
        "c1",
        "--net",
        "net1",
        "--net-alias",
        "foo",
        "-h",
        "myhost",
        "busybox",
    ]);
    v.ok(&["run", "-itd", "--name", "c2", "--net", "net1", "busybox"]);
    v.ok(&["network", "connect", "--alias", "bar", "net2", "c2"]);
    v.ok(&["run", "-itd", "--name", "c3", "--net", "net2", "busybox"]);
    let short = v.id("c1")[..12].to_string();
    for name in [
        "c1",
        "C1",
        "foo",
        "myhost",
        short.as_str(),
        "c1.net1",
        "foo.net1",
    ] {
        assert_eq!(resolves(&v, "c2", name), ok("172.18.0.2"), "{name}");
    }
    // TestUserDefinedNetworkConnectivity: `c1.net1.br.net1` would need a network `br.net1`.
    assert_eq!(
        resolves(&v, "c2", "c1.net1.google.com"),
        bad("c1.net1.google.com")
    );
    assert_eq!(resolves(&v, "c2", "c1.net2"), bad("c1.net2"));
    // Only through shared networks.
    assert_eq!(resolves(&v, "c3", "c1"), bad("c1"));
    assert_eq!(resolves(&v, "c3", "bar"), ok("172.19.0.2"));
    // Reverse lookups name the container on the network.
    let ns = v.ok(&["exec", "c2", "nslookup", "172.18.0.2"]);
    assert!(
        ns.contains("2.0.18.172.in-addr.arpa\tname = c1.net1\n"),
        "{ns}"
    );
    // The busybox image has no getent: names are looked up with nslookup (A, then AAAA).
    assert_eq!(
        v.ok(&["exec", "c2", "nslookup", "foo"]),
        "Server:\t\t127.0.0.11\nAddress:\t127.0.0.11:53\n\nNon-authoritative answer:\nName:\tfoo\nAddress: 172.18.0.2\n\nNon-authoritative answer:\n\n"
    );
    let r = v.run(&["exec", "c2", "getent", "hosts", "foo"]);
    assert_eq!(
        (r.stdout.as_str(), r.stderr.as_str(), r.code),
        (
            "OCI runtime exec failed: exec failed: unable to start container process: exec: \"getent\": executable file not found in $PATH: unknown\r\n",
            "",
            126
        )
    );
    // Inspect shows the names.
    assert_eq!(
        v.ok(&["inspect", "-f", "{{json .NetworkSettings.Networks.net1.DNSNames}} {{json .NetworkSettings.Networks.net1.Aliases}}", "c1"]),
        format!("[\"c1\",\"foo\",\"{short}\",\"myhost\"] [\"foo\"]\n")
    );
}

#[test]
fn internal_only_gets_servfail_for_unknown_names() {
    let v = Vnet::new("internal-dns");
    v.ok(&["network", "create", "--internal", "inside"]);
    v.ok(&["network", "create", "outside"]);
    v.ok(&["run", "-itd", "--name", "c1", "--net", "inside", "busybox"]);
    let ns = v.run(&["exec", "c1", "nslookup", "example.com"]);
    assert!(
        ns.stdout
            .contains("** server can't find example.com: SERVFAIL"),
        "{}",
        ns.stdout
    );
    v.ok(&["network", "connect", "outside", "c1"]);
    let ns = v.run(&["exec", "c1", "nslookup", "example.com"]);
    assert!(
        ns.stdout
            .contains("** server can't find example.com: NXDOMAIN"),
        "{}",
        ns.stdout
    );
}

#[test]
fn legacy_links_on_the_default_bridge() {
    let v = Vnet::new("legacy");
    v.ok(&[
        "run",
        "-itd",
        "--name",
        "db1",
        "-e",
        "PASSWORD=secret",
        "redis",
    ]);
    v.ok(&[
        "run", "-itd", "--name", "web", "--link", "db1:db", "busybox",
    ]);
    let hosts = v.ok(&["exec", "web", "cat", "/etc/hosts"]);
    let db_short = &v.id("db1")[..12];
    assert!(
        hosts.contains(&format!("172.17.0.2\tdb {db_short} db1\n")),
        "{hosts}"
    );
    assert_eq!(resolves(&v, "web", "db"), ok("172.17.0.2"));
    assert_eq!(resolves(&v, "web", "db1"), ok("172.17.0.2"));
    let env = v.ok(&["exec", "web", "env"]);
    for line in [
        "DB_PORT=tcp://172.17.0.2:6379",
        "DB_PORT_6379_TCP=tcp://172.17.0.2:6379",
        "DB_PORT_6379_TCP_ADDR=172.17.0.2",
        "DB_PORT_6379_TCP_PORT=6379",
        "DB_PORT_6379_TCP_PROTO=tcp",
        "DB_NAME=/web/db",
        "DB_ENV_PASSWORD=secret",
    ] {
        assert!(env.lines().any(|l| l == line), "{line} missing from\n{env}");
    }
    // The hosts entry follows the child's address when it restarts (TestLinksUpdateOnRestart).
    v.ok(&["stop", "db1"]);
    v.ok(&["run", "-itd", "--name", "other", "busybox"]);
    v.ok(&["start", "db1"]);
    assert_eq!(resolves(&v, "web", "db"), ok("172.17.0.4"));
    assert_eq!(
        v.ok(&["inspect", "-f", "{{json .HostConfig.Links}}", "web"]),
        "[\"/db1:/web/db\"]\n"
    );
    // Links from the default bridge must point at a container on it.
    v.ok(&["network", "create", "n1"]);
    v.ok(&[
        "run",
        "-itd",
        "--name",
        "elsewhere",
        "--net",
        "n1",
        "busybox",
    ]);
    v.fails(
        &["run", "-itd", "--name", "web2", "--link", "elsewhere:e", "busybox"],
        "vnet: Error response from daemon: failed to set up container networking: Cannot link to /elsewhere, as it does not belong to the default network\n\nRun 'vnet run --help' for more information\n",
        125,
    );
}

#[test]
fn dns_is_on_the_wire() {
    let v = Vnet::new("dns-wire");
    v.ok(&["network", "create", "n1"]);
    v.ok(&["run", "-itd", "--name", "c1", "--net", "n1", "busybox"]);
    v.ok(&["run", "-itd", "--name", "c2", "--net", "n1", "busybox"]);
    let r = v.run(&["--trace", "exec", "c1", "nslookup", "c2"]);
    let lines: Vec<&str> = r.stderr.lines().collect();
    assert_eq!(lines.len(), 4, "{}", r.stderr);
    assert!(
        lines[0].contains("c1 lo > IP 127.0.0.1.") && lines[0].contains(" > 127.0.0.11.53: UDP"),
        "{}",
        r.stderr
    );
    assert!(
        lines[1].contains("c1 lo > IP 127.0.0.11.53 > 127.0.0.1."),
        "{}",
        r.stderr
    );
    // lo counted the four datagrams both ways.
    let lo = v.ok(&["exec", "c1", "ifconfig", "lo"]);
    assert!(
        lo.contains("RX packets:4 ") && lo.contains("TX packets:4 "),
        "{lo}"
    );
    let file = v.dir.join("dns.pcapng");
    v.ok(&[
        "--capture",
        file.to_str().unwrap(),
        "exec",
        "c1",
        "nslookup",
        "c2",
    ]);
    let Ok(out) = std::process::Command::new("tshark")
        .arg("-r")
        .arg(&file)
        .output()
    else {
        eprintln!("tshark is not installed here: checked the trace only");
        return;
    };
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("Standard query") && text.contains("Standard query response"),
        "{text}"
    );
    assert!(
        text.contains("A c2") && text.contains("A 172.18.0.3"),
        "{text}"
    );
    assert!(!text.to_lowercase().contains("malformed"), "{text}");
}

#[test]
fn shared_names_answer_every_address_in_order_or_shuffled() {
    let v = Vnet::new("order");
    v.ok(&["network", "create", "n1"]);
    for c in ["a1", "a2", "a3", "q1"] {
        v.ok(&[
            "run",
            "-itd",
            "--name",
            c,
            "--net",
            "n1",
            "--net-alias",
            "app",
            "busybox",
        ]);
    }
    let answer = |v: &Vnet| {
        v.ok(&["exec", "q1", "nslookup", "app"])
            .lines()
            .filter_map(|l| l.strip_prefix("Address: "))
            .map(String::from)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        answer(&v),
        ["172.18.0.2", "172.18.0.3", "172.18.0.4", "172.18.0.5"]
    );
    assert_eq!(v.ok(&["system", "dns-order"]), "registration\n");
    v.ok(&["system", "dns-order", "shuffle"]);
    let mut seen = std::collections::BTreeSet::new();
    for _ in 0..8 {
        let mut a = answer(&v);
        seen.insert(a.clone());
        a.sort();
        assert_eq!(a, ["172.18.0.2", "172.18.0.3", "172.18.0.4", "172.18.0.5"]);
    }
    assert!(seen.len() > 1, "shuffled answers vary: {seen:?}");
}
