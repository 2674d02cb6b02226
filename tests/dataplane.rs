//! The data plane through the real binary: frames cross simulated bridges between smoltcp
//! stacks, and what `ping` and `ifconfig` say comes from them.

mod common;

use common::Vnet;

/// What `tshark ARGS -r FILE` prints, or `None` when tshark is not installed; it must read
/// the file without an error.
fn tshark(file: &std::path::Path, args: &[&str]) -> Option<String> {
    let out = std::process::Command::new("tshark")
        .args(args)
        .arg("-r")
        .arg(file)
        .output()
        .ok()?;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Checks busybox's layout of a ping run and returns (transmitted, received).
fn ping_counts(out: &str, shown: &str, ip: &str) -> (u32, u32) {
    let mut lines = out.lines();
    assert_eq!(
        lines.next(),
        Some(format!("PING {shown} ({ip}): 56 data bytes").as_str()),
        "{out}"
    );
    let stats = format!("--- {shown} ping statistics ---");
    let mut seq = 0;
    for l in lines.by_ref() {
        if l.is_empty() {
            break;
        }
        let prefix = format!("64 bytes from {ip}: seq={seq} ttl=64 time=0.");
        assert!(
            l.starts_with(&prefix) && l.ends_with(" ms"),
            "{l:?} in\n{out}"
        );
        seq += 1;
    }
    assert_eq!(lines.next(), Some(stats.as_str()), "{out}");
    let counts = lines.next().unwrap();
    let words: Vec<&str> = counts.split(' ').collect();
    let (tx, rx): (u32, u32) = (words[0].parse().unwrap(), words[3].parse().unwrap());
    assert_eq!(rx, seq, "{out}");
    let loss = ((tx - rx) * 100).checked_div(tx).unwrap_or(0);
    assert_eq!(
        counts,
        format!("{tx} packets transmitted, {rx} packets received, {loss}% packet loss")
    );
    match lines.next() {
        Some(rt) => assert!(
            rt.starts_with("round-trip min/avg/max = 0.") && rx > 0,
            "{out}"
        ),
        None => assert_eq!(rx, 0),
    }
    (tx, rx)
}

#[test]
fn seed_reachability() {
    let v = common::seed_topology("seed-reach");
    // container2 reaches container3 on isolated_nw and container1 on the default bridge.
    let r = v.run(&["exec", "container2", "ping", "-w", "4", "172.25.3.3"]);
    assert_eq!(r.code, 0);
    assert_eq!(ping_counts(&r.stdout, "172.25.3.3", "172.25.3.3"), (4, 4));
    let r = v.run(&["exec", "container2", "ping", "-w", "4", "172.17.0.2"]);
    assert_eq!(ping_counts(&r.stdout, "172.17.0.2", "172.17.0.2"), (4, 4));
    // container3 shares no network with container1: every request is lost.
    let r = v.run(&["exec", "container3", "ping", "-w", "10", "172.17.0.2"]);
    assert_eq!(r.code, 1);
    assert_eq!(ping_counts(&r.stdout, "172.17.0.2", "172.17.0.2"), (10, 0));
    // Until DNS lands, names do not resolve.
    v.fails(
        &["exec", "container2", "ping", "-w", "4", "container1"],
        "ping: bad address 'container1'\n",
        1,
    );
    // After the disconnect, container3 is out of reach and eth1 is gone.
    v.ok(&["network", "disconnect", "isolated_nw", "container2"]);
    let r = v.run(&["exec", "container2", "ping", "-c", "2", "172.25.3.3"]);
    assert_eq!(r.code, 1);
    assert_eq!(ping_counts(&r.stdout, "172.25.3.3", "172.25.3.3"), (2, 0));
    let ifc = v.ok(&["exec", "container2", "ifconfig"]);
    let names: Vec<&str> = ifc
        .lines()
        .filter(|l| !l.starts_with(' ') && !l.is_empty())
        .map(|l| l.split(' ').next().unwrap())
        .collect();
    assert_eq!(names, ["eth0", "lo"]);
    let r = v.run(&["exec", "container2", "ping", "-c", "2", "172.17.0.2"]);
    assert_eq!(ping_counts(&r.stdout, "172.17.0.2", "172.17.0.2"), (2, 2));
}

#[test]
fn counters_come_from_frames_and_persist() {
    let v = common::seed_topology("counters");
    let zero = v.ok(&["exec", "container1", "ifconfig", "eth0"]);
    assert!(zero.contains("RX packets:0 errors:0"), "{zero}");
    v.ok(&["exec", "container2", "ping", "-c", "1", "172.17.0.2"]);
    // container1 saw the ARP request and the echo request (98 bytes), and sent the ARP
    // reply and the echo reply: 42 + 98 bytes each way.
    let after = v.ok(&["exec", "container1", "ifconfig", "eth0"]);
    assert!(
        after.contains("RX packets:2 errors:0 dropped:0 overruns:0 frame:0"),
        "{after}"
    );
    assert!(
        after.contains("TX packets:2 errors:0 dropped:0 overruns:0 carrier:0"),
        "{after}"
    );
    assert!(
        after.contains("RX bytes:140 (140.0 B)  TX bytes:140 (140.0 B)"),
        "{after}"
    );
    assert_eq!(
        v.ok(&["exec", "container1", "ip", "neigh"]),
        // ipneigh.c print_neigh (xshow_stats 3): ref, used, probes before the state.
        "172.17.0.3 dev eth0 lladdr 02:42:ac:11:00:03 ref 1 used 0/0/0 probes 4 REACHABLE\n"
    );
    // A restart makes a new veth: counters start again.
    v.ok(&["restart", "container1"]);
    let fresh = v.ok(&["exec", "container1", "ifconfig", "eth0"]);
    assert!(fresh.contains("RX packets:0 errors:0"), "{fresh}");
}

#[test]
fn host_isolation_internal_and_icc() {
    let v = Vnet::new("isolation");
    v.ok(&["network", "create", "--subnet", "10.1.0.0/24", "a"]);
    v.ok(&["network", "create", "--subnet", "10.2.0.0/24", "b"]);
    v.ok(&[
        "network",
        "create",
        "--internal",
        "--subnet",
        "10.3.0.0/24",
        "inside",
    ]);
    v.ok(&[
        "network",
        "create",
        "-o",
        "com.docker.network.bridge.enable_icc=false",
        "--subnet",
        "10.4.0.0/24",
        "noicc",
    ]);
    for (name, net) in [
        ("a1", "a"),
        ("b1", "b"),
        ("in1", "inside"),
        ("in2", "inside"),
        ("q1", "noicc"),
        ("q2", "noicc"),
    ] {
        v.ok(&["run", "-itd", "--name", name, "--net", net, "busybox"]);
    }
    let reach = |from: &str, ip: &str| {
        v.run(&["exec", from, "ping", "-c", "1", "-W", "1", ip])
            .code
            == 0
    };
    // The host owns every gateway, on every bridge (weak host model)...
    assert!(reach("a1", "10.1.0.1"));
    assert!(reach("a1", "10.2.0.1"));
    // ...but forwards nothing between bridges.
    assert!(!reach("a1", "10.2.0.2"));
    // --internal: peers and the gateway, no default route.
    assert!(reach("in1", "10.3.0.3"));
    assert!(reach("in1", "10.3.0.1"));
    let r = v.run(&["exec", "in1", "ping", "-c", "1", "8.8.8.8"]);
    assert_eq!(
        (r.stdout.as_str(), r.stderr.as_str(), r.code),
        (
            "PING 8.8.8.8 (8.8.8.8): 56 data bytes\n",
            "ping: sendto: Network is unreachable\n",
            1
        )
    );
    // enable_icc=false: containers cannot talk to each other, the gateway still answers.
    assert!(!reach("q1", "10.4.0.3"));
    assert!(reach("q1", "10.4.0.1"));
    // Loopback and the container's own address never touch the wire.
    assert!(reach("a1", "127.0.0.1"));
    assert!(reach("a1", "10.1.0.2"));
}

#[test]
fn exec_errors_and_shell() {
    let v = Vnet::new("exec");
    v.ok(&["run", "-itd", "--name", "c1", "busybox"]);
    v.ok(&["create", "--name", "c2", "busybox"]);
    // No shell between `docker exec` and the program: runc's error, which the daemon writes
    // on the output stream as stdout with CRLF (moby postContainerExecStart), status 126.
    let r = v.run(&["exec", "c1", "nosuch"]);
    assert_eq!(
        (r.stdout.as_str(), r.stderr.as_str(), r.code),
        (
            "OCI runtime exec failed: exec failed: unable to start container process: exec: \"nosuch\": executable file not found in $PATH: unknown\r\n",
            "",
            126
        )
    );
    // Through a shell it is the shell's own message.
    v.fails(
        &["exec", "c1", "sh", "-c", "nosuch arg"],
        "sh: nosuch: not found\n",
        127,
    );
    let c2 = v.id("c2");
    v.fails(
        &["exec", "c2", "ifconfig"],
        &format!("Error response from daemon: container {c2} is not running\n"),
        1,
    );
    v.fails(
        &["exec", "nope", "ifconfig"],
        "Error response from daemon: No such container: nope\n",
        1,
    );
    assert_eq!(
        v.ok(&["exec", "c1", "hostname"]),
        format!("{}\n", &v.id("c1")[..12])
    );
    assert_eq!(
        v.ok(&["exec", "c1", "ip", "route"]),
        "default via 172.17.0.1 dev eth0 \n172.17.0.0/16 dev eth0 scope link  src 172.17.0.2 \n"
    );
    assert_eq!(
        v.ok(&["exec", "c1", "cat", "/etc/hosts"]),
        format!(
            "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::\tip6-localnet\nff00::\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n172.17.0.2\t{}\n",
            &v.id("c1")[..12]
        )
    );
    assert!(
        v.ok(&["exec", "-t", "c1", "env"])
            .contains("\nTERM=xterm\n")
    );
}

#[test]
fn attach_reads_lines_and_exit_stops() {
    let v = Vnet::new("attach");
    v.ok(&["run", "-itd", "--name", "c1", "busybox"]);
    let mut child = v
        .cmd(&["attach", "c1"])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"hostname\nexit\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let short = &v.id("c1")[..12];
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        format!("/ # hostname\n{short}\n/ # exit\n")
    );
    assert_eq!(
        v.ok(&[
            "inspect",
            "-f",
            "{{.State.Status}} {{.State.ExitCode}}",
            "c1"
        ]),
        "exited 0\n"
    );
    v.fails(
        &["attach", "c1"],
        "You cannot attach to a stopped container, start it first\n",
        1,
    );
}

#[test]
fn traces_are_deterministic() {
    let run = || {
        let v = common::seed_topology("trace");
        let r = v.run(&[
            "--trace",
            "exec",
            "container2",
            "ping",
            "-c",
            "3",
            "172.25.3.3",
        ]);
        (r.stdout, r.stderr)
    };
    let (out, trace) = run();
    assert!(trace.contains("isolated_nw container2.eth1 > ARP, Request who-has 172.25.3.3 tell 172.25.0.2, length 28"), "{trace}");
    assert!(
        trace.contains(
            "isolated_nw container3.eth0 > ARP, Reply 172.25.3.3 is-at 02:42:ac:19:03:03, length 28"
        ),
        "{trace}"
    );
    assert_eq!(trace.matches("ICMP echo reply").count(), 3, "{trace}");
    assert_eq!(run(), (out, trace));
}

/// The capture opens in tshark without a malformed frame (where tshark exists).
#[test]
fn capture_reads_in_tshark() {
    let v = common::seed_topology("capture");
    let file = v.dir.join("seed.pcapng");
    v.ok(&[
        "--capture",
        file.to_str().unwrap(),
        "exec",
        "container2",
        "ping",
        "-w",
        "4",
        "172.25.3.3",
    ]);
    let bytes = std::fs::read(&file).unwrap();
    assert_eq!(&bytes[0..4], &[0x0a, 0x0d, 0x0d, 0x0a]);
    let Some(text) = tshark(&file, &[]) else {
        eprintln!("tshark is not installed here: checked the pcapng header only");
        return;
    };
    assert!(!text.to_lowercase().contains("malformed"), "{text}");
    assert_eq!(text.lines().count(), 2 + 8, "{text}");
    assert_eq!(text.matches("Echo (ping) reply").count(), 4, "{text}");
}

/// `--capture FILE --append` adds each command's frames to one file, a pcapng section
/// each, which tshark reads as one capture; without `--append` the file starts over, and
/// `--append` alone is a usage error.
#[test]
fn captures_append_across_commands() {
    let v = common::seed_topology("append");
    let file = v.dir.join("lab.pcapng");
    let f = file.to_str().unwrap();
    let ping = |n: &str, append: bool| {
        let mut args = vec!["--capture", f];
        if append {
            args.push("--append");
        }
        args.extend(["exec", "container2", "ping", "-c", n, "172.25.3.3"]);
        v.ok(&args);
        std::fs::read(&file).unwrap()
    };
    let one = ping("1", false);
    let two = ping("2", true);
    assert_eq!(
        two.get(..one.len()),
        Some(&one[..]),
        "the first section stays"
    );
    assert_eq!(
        two.get(one.len()..one.len() + 4),
        Some(&[0x0a, 0x0d, 0x0d, 0x0a][..])
    );
    let shb = |b: &[u8]| {
        b.windows(4)
            .filter(|w| *w == [0x0a, 0x0d, 0x0d, 0x0a])
            .count()
    };
    assert_eq!(shb(&two), 2);
    assert_eq!(
        shb(&ping("1", false)),
        1,
        "without --append the file starts over"
    );
    v.fails(
        &["--append", "exec", "container2", "true"],
        "--append needs --capture FILE\n\nUsage:  vnet exec [OPTIONS] CONTAINER COMMAND [ARG...]\n\nRun 'vnet exec --help' for more information\n",
        125,
    );
    ping("2", true);
    let Some(text) = tshark(&file, &[]) else {
        eprintln!("tshark is not installed here: checked the sections' bytes only");
        return;
    };
    // The first section's one reply, then the second's two.
    assert_eq!(text.matches("Echo (ping) reply").count(), 3, "{text}");
}

#[test]
fn link_rules_delay_and_lose_deterministically() {
    let run = || {
        let v = common::seed_topology("links");
        v.ok(&["link", "set", "--delay", "5ms", "isolated_nw"]);
        assert_eq!(
            v.ok(&["link", "ls"]),
            "NETWORK       LOSS      DELAY     JITTER    RATE\nisolated_nw   0%        5ms       0s        -\n"
        );
        // Each frame the bridge sends out waits 5 ms more: a round trip takes 10 ms more,
        // the first one 20 ms (the ARP exchange comes first).
        let r = v.ok(&["exec", "container2", "ping", "-c", "3", "172.25.3.3"]);
        for (k, l) in r.lines().filter(|l| l.starts_with("64 bytes")).enumerate() {
            let ms: f64 = l
                .rsplit("time=")
                .next()
                .unwrap()
                .trim_end_matches(" ms")
                .parse()
                .unwrap();
            let base = if k == 0 { 20.0 } else { 10.0 };
            assert!((base..base + 1.0).contains(&ms), "{l}");
        }
        v.ok(&["link", "set", "--loss", "50%", "isolated_nw"]);
        let lossy = v
            .run(&["exec", "container2", "ping", "-c", "20", "-q", "172.25.3.3"])
            .stdout;
        // The bridge to the default network is untouched.
        let clean = v.ok(&["exec", "container2", "ping", "-c", "2", "-q", "172.17.0.2"]);
        assert!(clean.contains("2 packets received"), "{clean}");
        v.ok(&["link", "clear", "isolated_nw"]);
        assert_eq!(
            v.ok(&["link", "ls"]),
            "NETWORK   LOSS      DELAY     JITTER    RATE\n"
        );
        lossy
    };
    let lossy = run();
    let received: u32 = lossy
        .lines()
        .find(|l| l.contains("packets received"))
        .and_then(|l| l.split(' ').nth(3))
        .and_then(|n| n.parse().ok())
        .unwrap();
    assert!(received > 0 && received < 20, "{lossy}");
    assert_eq!(run(), lossy, "same seed, same losses");
}

/// TCP through the binary: busybox's `wget` and `nc` in one container reach the servers of
/// the `nginx` and `redis` images in others, by name; a closed port refuses; the capture of
/// an HTTP exchange is a TCP conversation tshark decodes (handshake, request, response, a FIN
/// each way) with no malformed, retransmitted or reordered segment.
#[test]
fn tcp_clients_reach_the_images_servers() {
    let v = Vnet::new("tcp");
    v.ok(&["network", "create", "app"]);
    v.ok(&["run", "-d", "--name", "web", "--network", "app", "nginx"]);
    v.ok(&["run", "-d", "--name", "cache", "--network", "app", "redis"]);
    v.ok(&[
        "run",
        "-itd",
        "--name",
        "client",
        "--network",
        "app",
        "busybox",
    ]);
    assert_eq!(
        v.ok(&["exec", "client", "wget", "-qO-", "http://web/"]),
        vnet::servers::http::NGINX_INDEX
    );
    assert_eq!(
        v.ok(&["exec", "client", "sh", "-c", "echo PING | nc cache 6379"]),
        "+PONG\r\n"
    );
    v.fails(
        &["exec", "client", "nc", "-zvv", "cache", "6380"],
        "nc: cache (172.18.0.3:6380): Connection refused\nsent 0, rcvd 0\n",
        1,
    );
    // A server that is not the image's own command listens on nothing.
    v.ok(&[
        "run",
        "-itd",
        "--name",
        "shell",
        "--network",
        "app",
        "redis",
        "sh",
    ]);
    v.fails(
        &["exec", "client", "nc", "-zvv", "shell", "6379"],
        "nc: shell (172.18.0.5:6379): Connection refused\nsent 0, rcvd 0\n",
        1,
    );
    let file = v.dir.join("http.pcapng");
    let page = v.ok(&[
        "--capture",
        file.to_str().unwrap(),
        "exec",
        "client",
        "wget",
        "-qO-",
        "web",
    ]);
    assert_eq!(page, vnet::servers::http::NGINX_INDEX);
    let Some(text) = tshark(&file, &[]) else {
        eprintln!("tshark is not installed here: checked the page only");
        return;
    };
    for bad in ["Malformed", "Retransmission", "Out-Of-Order", "RST"] {
        assert!(!text.contains(bad), "{bad} in\n{text}");
    }
    assert!(
        text.contains("[SYN]") && text.contains("[SYN, ACK]"),
        "{text}"
    );
    assert!(text.contains("GET / HTTP/1.1"), "{text}");
    assert!(text.contains("HTTP/1.1 200 OK"), "{text}");
    // Both sides closed (the server's FIN may ride on its answer).
    let fins = tshark(&file, &["-Y", "tcp.flags.fin==1"]).unwrap();
    assert_eq!(fins.lines().count(), 2, "{text}");
}
