"""docker-py 7.2.0 against `vnet daemon`: the network API, containers and exec, and errors,
checked as docker-py's own integration tests check them against Docker."""

import os
import shutil
import signal
import subprocess
import tempfile

import docker
import pytest
from docker.types import IPAMConfig, IPAMPool

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_version_and_ping(client):
    assert client.ping() is True
    v = client.version()
    assert v["ApiVersion"] == "1.50"
    assert v["MinAPIVersion"] == "1.24"
    assert "GoVersion" in v and "Version" in v
    assert client.api.api_version == "1.50"
    info = client.info()
    assert info["Swarm"]["LocalNodeState"] == "inactive"
    # CountImages: what the image list holds (the host's catalogue).
    assert info["Images"] == len(client.images.list(all=True)) > 0


def test_create_with_ipam_options_and_inspect(client):
    pool = IPAMPool(
        subnet="172.28.0.0/16",
        iprange="172.28.5.0/24",
        gateway="172.28.5.254",
        aux_addresses={"a": "172.28.1.5"},
    )
    net = client.networks.create(
        "test 01",
        driver="bridge",
        ipam=IPAMConfig(pool_configs=[pool]),
        options={"com.docker.network.bridge.name": "br-test01"},
        labels={"env": "test"},
        internal=True,
        attachable=True,
    )
    assert len(net.id) == 64
    # By name (percent-encoded in the path), by ID, by ID prefix.
    for ref in ("test 01", net.id, net.id[:12]):
        attrs = client.api.inspect_network(ref)
        assert attrs["Id"] == net.id
    attrs = client.api.inspect_network("test 01")
    assert attrs["Name"] == "test 01"
    assert attrs["Driver"] == "bridge"
    assert attrs["Scope"] == "local"
    assert attrs["Internal"] is True
    assert attrs["Attachable"] is True
    assert attrs["IPAM"] == {
        "Driver": "default",
        "Options": None,
        "Config": [
            {
                "Subnet": "172.28.0.0/16",
                "IPRange": "172.28.5.0/24",
                "Gateway": "172.28.5.254",
                "AuxiliaryAddresses": {"a": "172.28.1.5"},
            }
        ],
    }
    assert attrs["Options"] == {"com.docker.network.bridge.name": "br-test01"}
    assert attrs["Labels"] == {"env": "test"}
    assert attrs["Containers"] == {}


def test_create_picks_the_lowest_free_subnet(client):
    net = client.networks.create("auto")
    config = net.attrs["IPAM"]["Config"]
    assert config == [{"Subnet": "172.18.0.0/16", "Gateway": "172.18.0.1"}]
    v6 = client.networks.create(
        "v6",
        enable_ipv6=True,
        ipam=IPAMConfig(pool_configs=[IPAMPool(subnet="2001:389::/64")]),
    )
    attrs = client.api.inspect_network(v6.id)
    assert attrs["EnableIPv6"] is True
    assert [c["Subnet"] for c in attrs["IPAM"]["Config"]] == ["172.19.0.0/16", "2001:389::/64"]


def test_list_filters(client):
    a = client.networks.create("alpha", labels={"env": "test", "tier": "db"})
    b = client.networks.create("beta", labels={"env": "prod"})

    def names(**kw):
        return sorted(n.name for n in client.networks.list(**kw))

    assert names() == ["alpha", "beta", "bridge", "host", "none"]
    assert names(names=["alpha"]) == ["alpha"]
    assert names(names=["a"]) == ["alpha", "beta"]  # substring, as moby
    assert names(ids=[b.id[:10]]) == ["beta"]
    assert names(filters={"label": "env=test"}) == ["alpha"]
    assert names(filters={"label": ["env"]}) == ["alpha", "beta"]
    assert names(filters={"driver": "null"}) == ["none"]
    assert names(filters={"type": "custom"}) == ["alpha", "beta"]
    assert names(filters={"type": "builtin"}) == ["bridge", "host", "none"]
    assert names(filters={"dangling": True}) == ["alpha", "beta"]
    # The list leaves Containers empty; greedy=True inspects each network.
    listed = client.networks.list(names=["alpha"], greedy=True)
    assert listed[0].attrs["Id"] == a.id
    with pytest.raises(docker.errors.APIError) as e:
        client.networks.list(filters={"nosuch": "x"})
    assert e.value.status_code == 400
    assert e.value.explanation == "invalid filter 'nosuch'"


def test_connect_with_aliases_links_and_static_ip_then_disconnect(client):
    net = client.networks.create(
        "appnet", ipam=IPAMConfig(pool_configs=[IPAMPool(subnet="172.30.0.0/16")])
    )
    c1 = client.containers.create("busybox", "sleep 3600", name="c1")
    c2 = client.containers.create("busybox", "sleep 3600", name="c2")
    net.connect(c1, aliases=["db"])
    # A created, not started container can be connected: only its configuration changes.
    net.connect(
        c2, aliases=["web", "www"], links=[("c1", "database")], ipv4_address="172.30.0.9"
    )
    c2.reload()
    ep = c2.attrs["NetworkSettings"]["Networks"]["appnet"]
    assert ep["IPAMConfig"] == {"IPv4Address": "172.30.0.9"}
    assert ep["Aliases"] == ["web", "www"]
    assert ep["Links"] == ["c1:database"]
    assert ep["NetworkID"] == net.id
    assert ep["IPAddress"] == ""  # not running: no endpoint yet
    c1.start()
    c2.start()
    c2.reload()
    ep = c2.attrs["NetworkSettings"]["Networks"]["appnet"]
    assert ep["IPAddress"] == "172.30.0.9"
    assert ep["IPPrefixLen"] == 16
    assert ep["Gateway"] == "172.30.0.1"
    assert ep["MacAddress"] == "02:42:ac:1e:00:09"
    assert ep["DNSNames"] == ["c2", "web", "www", c2.id[:12]]
    members = client.api.inspect_network(net.id)["Containers"]
    assert members[c2.id] == {
        "Name": "c2",
        "EndpointID": ep["EndpointID"],
        "MacAddress": "02:42:ac:1e:00:09",
        "IPv4Address": "172.30.0.9/16",
        "IPv6Address": "",
    }
    assert sorted(m["Name"] for m in members.values()) == ["c1", "c2"]
    # The link alias, the network aliases and the names resolve through the embedded DNS.
    for name, addr in [("database", "172.30.0.2"), ("db", "172.30.0.2"), ("c1", "172.30.0.2")]:
        code, out = c2.exec_run(["ping", "-c", "1", name])
        assert code == 0, out
        assert out.startswith(f"PING {name} ({addr}): 56 data bytes\n".encode()), out
    net.disconnect(c2)
    c2.reload()
    assert "appnet" not in c2.attrs["NetworkSettings"]["Networks"]
    assert list(client.api.inspect_network(net.id)["Containers"]) == [c1.id]
    net.disconnect(c1, force=True)
    assert client.api.inspect_network(net.id)["Containers"] == {}


def test_run_and_exec_ping_by_name(client):
    client.networks.create("pingnet")
    server = client.containers.run(
        "busybox", "sleep 3600", detach=True, name="server", network="pingnet"
    )
    probe = client.containers.run(
        "busybox", "sleep 3600", detach=True, name="probe", network="pingnet"
    )
    # run(detach=True) returns the container as created; reload reads it as it runs.
    server.reload()
    probe.reload()
    assert server.status == "running"
    assert probe.attrs["NetworkSettings"]["Networks"]["pingnet"]["IPAddress"] == "172.18.0.3"
    code, out = probe.exec_run("ping -c 1 server")
    assert code == 0
    text = out.decode()
    assert text.startswith("PING server (172.18.0.2): 56 data bytes\n64 bytes from 172.18.0.2: seq=0 ttl=64 time=")
    assert "1 packets transmitted, 1 packets received, 0% packet loss" in text
    # demux separates the streams; a name no one has fails with busybox's message.
    code, (out, err) = probe.exec_run("ping -c 1 nosuch", demux=True)
    assert code == 1
    assert out is None
    assert err == b"ping: bad address 'nosuch'\n"
    # With a TTY the output comes raw, lines ending in CRLF.
    code, out = probe.exec_run("hostname", tty=True)
    assert (code, out) == (0, f"{probe.id[:12]}\r\n".encode())
    # The default bridge has no name service: by address it answers.
    plain = client.containers.run("busybox", "sleep 3600", detach=True, name="plain")
    code, out = plain.exec_run("ping -c 1 server")
    assert code == 1
    code, out = plain.exec_run("ping -c 1 172.17.0.1")
    assert code == 0, out
    ids = sorted(c.name for c in client.containers.list())
    assert ids == ["plain", "probe", "server"]
    server.stop(timeout=1)
    assert client.containers.get("server").status == "exited"
    assert sorted(c.name for c in client.containers.list()) == ["plain", "probe"]
    assert [c.name for c in client.containers.list(filters={"network": "pingnet"})] == ["probe"]
    assert server.wait()["StatusCode"] == 137


def test_remove_and_prune(client):
    keep = client.networks.create("keep", labels={"prune": "no"})
    gone = client.networks.create("gone", labels={"prune": "yes"})
    used = client.networks.create("used", labels={"prune": "yes"})
    client.containers.run("busybox", "sleep 3600", detach=True, name="user", network="used")
    assert client.networks.prune(filters={"label": "prune=yes"}) == {"NetworksDeleted": ["gone"]}
    with pytest.raises(docker.errors.NotFound):
        client.networks.get(gone.id)
    keep.remove()
    with pytest.raises(docker.errors.NotFound) as e:
        client.api.inspect_network("keep")
    assert e.value.explanation == "network keep not found"
    with pytest.raises(docker.errors.APIError) as e:
        used.remove()
    assert e.value.status_code == 403
    assert e.value.explanation.startswith(
        'error while removing network: network used has active endpoints (name:"user" id:'
    )
    assert client.networks.prune() == {"NetworksDeleted": None}


def test_errors(client):
    client.networks.create("dup")
    with pytest.raises(docker.errors.APIError) as e:
        client.networks.create("dup")
    assert (e.value.status_code, e.value.explanation) == (409, "network with name dup already exists")
    with pytest.raises(docker.errors.APIError) as e:
        client.networks.get("bridge").remove()
    assert (e.value.status_code, e.value.explanation) == (
        403,
        "bridge is a pre-defined network and cannot be removed",
    )
    with pytest.raises(docker.errors.APIError) as e:
        client.networks.create("bad", ipam=IPAMConfig(pool_configs=[IPAMPool(subnet="10.0.0.1/8")]))
    assert e.value.status_code == 400
    assert e.value.explanation == "invalid network config:\ninvalid subnet 10.0.0.1/8: it should be 10.0.0.0/8"
    with pytest.raises(docker.errors.NotFound) as e:
        client.networks.get("dup").connect("nosuch")
    assert e.value.explanation == "No such container: nosuch"
    c = client.containers.run("busybox", "sleep 3600", detach=True, name="cx")
    with pytest.raises(docker.errors.APIError) as e:
        client.networks.get("dup").connect(c, ipv4_address="172.18.0.50")
    assert e.value.status_code == 400
    assert e.value.explanation == (
        "invalid endpoint settings:\nuser specified IP address is supported only when "
        "connecting to networks with user configured subnets"
    )
    client.networks.get("dup").connect(c)
    with pytest.raises(docker.errors.APIError) as e:
        client.networks.get("dup").connect(c)
    assert (e.value.status_code, e.value.explanation) == (
        403,
        "endpoint with name cx already exists in network dup",
    )
    with pytest.raises(docker.errors.APIError) as e:
        client.containers.create("busybox", name="cx")
    assert e.value.status_code == 409
    assert e.value.explanation.startswith('Conflict. The container name "/cx" is already in use')
    with pytest.raises(docker.errors.NotFound):
        client.containers.get("nosuch")
    with pytest.raises(docker.errors.APIError) as e:
        c.remove()
    assert e.value.status_code == 409
    c.stop(timeout=0)
    with pytest.raises(docker.errors.APIError) as e:
        c.exec_run("ping -c 1 127.0.0.1")
    assert (e.value.status_code, e.value.explanation) == (409, f"container {c.id} is not running")
    # A node outside a swarm answers 503, which docker-py forgives only with force.
    with pytest.raises(docker.errors.APIError) as e:
        client.api.leave_swarm()
    assert (e.value.status_code, e.value.explanation) == (503, "This node is not part of a swarm")
    assert client.api.leave_swarm(force=True) is True


def test_container_labels_and_filters(client):
    a = client.containers.create("busybox", "sleep 60", name="lab-a", labels={"tier": "front", "x": ""})
    b = client.containers.create("busybox", "sleep 60", name="lab-b", labels=["tier"])
    ids = lambda f: sorted(c.name for c in client.containers.list(all=True, filters=f))
    assert ids({"label": "tier"}) == ["lab-a", "lab-b"]
    assert ids({"label": "tier=front"}) == ["lab-a"]
    assert ids({"label": ["tier", "x"]}) == ["lab-a"]
    assert ids({"label": "nope"}) == []
    assert ids({"ancestor": "busybox"}) == ["lab-a", "lab-b"]
    assert ids({"ancestor": "nginx"}) == []
    assert ids({"before": "lab-b"}) == ["lab-a"]
    assert ids({"since": "lab-a"}) == ["lab-b"]
    with pytest.raises(docker.errors.APIError) as e:
        client.containers.list(filters={"health": "sick"})
    assert "Unrecognised filter value for health: sick" in str(e.value)
    assert a.labels == {"tier": "front", "x": ""}
    assert b.labels == {"tier": ""}


def test_exec_environment_and_workdir(client):
    c = client.containers.run("busybox", tty=True, stdin_open=True, detach=True, environment=["COLOR=red"])
    r = c.exec_run(["sh", "-c", "echo $COLOR $SHAPE; echo x > f; cat /tmp/f"],
                   environment={"COLOR": "blue", "SHAPE": "round"}, workdir="/tmp")
    assert (r.exit_code, r.output) == (0, b"blue round\nx\n")
    # Only for that exec.
    assert c.exec_run(["sh", "-c", "echo $COLOR"]).output == b"red\n"


def test_auto_remove(client):
    c = client.containers.run("busybox", "sleep 60", detach=True, auto_remove=True, name="gone-soon")
    assert c.attrs["HostConfig"]["AutoRemove"] is True
    c.stop(timeout=1)
    assert client.containers.list(all=True, filters={"name": "gone-soon"}) == []


def test_foreground_run_returns_the_output_and_logs(client):
    client.networks.create("logs-net")
    client.containers.run("nginx", detach=True, name="logs-web", network="logs-net")
    # create, start, wait, logs: what docker-py's run does without detach. A command that
    # takes no time runs as the container starts; one that takes time (ping) runs in the
    # daemon's background, paced to the wall clock, until it ends.
    out = client.containers.run("busybox", ["sh", "-c", "grep -q logs-net /etc/hosts || echo found"],
                                network="logs-net", name="logs-once")
    assert out == b"found\n"
    pings = client.containers.run("busybox", ["ping", "-c", "2", "logs-web"], network="logs-net",
                                  remove=True).decode()
    assert pings.startswith("PING logs-web (") and "2 packets transmitted, 2 packets received" in pings
    forever = client.containers.run("busybox", ["ping", "logs-web"], network="logs-net", detach=True)
    forever.reload()
    assert forever.status == "running"
    forever.stop(timeout=1)
    forever.reload()
    assert (forever.status, forever.attrs["State"]["ExitCode"]) == ("exited", 137)
    assert forever.logs().startswith(b"PING logs-web (")
    with pytest.raises(docker.errors.ContainerError) as e:
        client.containers.run("busybox", ["sh", "-c", "echo oops >&2; exit 3"])
    assert e.value.exit_status == 3 and e.value.stderr == b"oops\n"
    c = client.containers.get("logs-once")
    assert c.logs() == b"found\n"
    assert c.logs(stdout=False) == b""
    stamped = c.logs(timestamps=True).decode()
    assert stamped.startswith("2026-") and stamped.endswith(" found\n")


def test_events_replayed_with_filters(client):
    import time
    client.networks.create("events-net")
    c = client.containers.create("busybox", "true", name="events-c", network="events-net")
    c.start()
    c.remove()
    got = list(client.events(since=1, until=int(time.time()), decode=True,
                             filters={"container": "events-c"}))
    actions = [e["Action"] for e in got]
    assert actions == ["create", "start", "die", "destroy"]
    first = got[0]
    assert first["Type"] == "container" and first["from"] == "busybox"
    assert first["Actor"]["Attributes"]["name"] == "events-c"
    nets = list(client.events(since=1, until=int(time.time()), decode=True,
                              filters={"type": "network", "network": "events-net"}))
    assert [e["Action"] for e in nets] == ["create", "connect", "disconnect"]
    assert nets[1]["Actor"]["Attributes"]["container"] == c.id


def test_prunes_and_kill_signals(client):
    web = client.containers.run("nginx", detach=True, name="prune-web")
    shell = client.containers.run("busybox", detach=True, tty=True, stdin_open=True, name="prune-shell")
    shell.kill(signal="SIGTERM")  # a shell as PID 1 does not handle it
    shell.reload()
    assert shell.status == "running"
    shell.kill()
    shell.reload()
    assert (shell.status, shell.attrs["State"]["ExitCode"]) == ("exited", 137)
    with pytest.raises(docker.errors.APIError) as e:
        web.kill(signal="NOPE")
    assert "Invalid signal: NOPE" in str(e.value)
    web.kill(signal="TERM")
    web.reload()
    assert (web.status, web.attrs["State"]["ExitCode"]) == ("exited", 0)
    report = client.containers.prune(filters={"label": "nothing=here"})
    assert report == {"ContainersDeleted": None, "SpaceReclaimed": 0}
    report = client.containers.prune()
    assert sorted(report["ContainersDeleted"]) == sorted([web.id, shell.id])
    assert client.images.prune() == {"ImagesDeleted": None, "SpaceReclaimed": 0}


def test_endpoint_mac_address_and_driver_opts(client):
    client.networks.create("mac-net")
    c = client.containers.run("busybox", detach=True, tty=True, stdin_open=True, name="mac-c")
    client.api.connect_container_to_network(
        "mac-c", "mac-net", mac_address="02:00:00:00:00:42",
        driver_opt={"com.docker.network.endpoint.sysctls": "net.ipv4.conf.IFNAME.log_martians=1"})
    c.reload()
    ep = c.attrs["NetworkSettings"]["Networks"]["mac-net"]
    assert ep["MacAddress"] == "02:00:00:00:00:42"
    assert ep["DriverOpts"] == {"com.docker.network.endpoint.sysctls": "net.ipv4.conf.IFNAME.log_martians=1"}
    peer = client.containers.run("busybox", detach=True, tty=True, stdin_open=True, network="mac-net")
    out = peer.exec_run(["sh", "-c", "ping -c 1 mac-c >/dev/null; ip neigh"]).output.decode()
    assert "lladdr 02:00:00:00:00:42" in out
    with pytest.raises(docker.errors.APIError) as e:
        client.api.connect_container_to_network(peer.id, "bridge", mac_address="nope")
    assert e.value.explanation == "invalid MAC address nope"


def test_endpoint_link_local_ips(client):
    # On the default bridge, as docker-py's own test asks for it.
    a = client.api.create_container(
        "busybox", "top",
        networking_config=client.api.create_networking_config(
            {"bridge": client.api.create_endpoint_config(link_local_ips=["169.254.8.8"])}),
        host_config=client.api.create_host_config(network_mode="bridge"))
    client.api.start(a)
    cfg = client.api.inspect_container(a)["NetworkSettings"]["Networks"]["bridge"]["IPAMConfig"]
    assert cfg == {"LinkLocalIPs": ["169.254.8.8"]}
    # The address is on the interface: a neighbour with one of its own reaches it.
    peer = client.containers.run("busybox", "top", detach=True)
    client.networks.get("bridge").disconnect(peer)
    client.api.connect_container_to_network(peer.id, "bridge", link_local_ips=["169.254.8.9"])
    out = peer.exec_run("ping -c 1 169.254.8.8").output.decode()
    assert "1 packets transmitted, 1 packets received" in out
    # busybox top as PID 1 ends on SIGTERM with 128 + 15, at once.
    client.api.stop(a)
    assert client.api.inspect_container(a)["State"]["ExitCode"] == 143
    with pytest.raises(docker.errors.APIError) as e:
        client.api.connect_container_to_network(peer.id, "bridge", link_local_ips=["nope"])
    assert e.value.explanation == "invalid endpoint settings:\ninvalid link-local IP address: nope"


def test_endpoint_ipv6_address_on_the_wire(client):
    # docker-py's ipv6_address endpoint option on an --ipv6 network: kept, inspected, and
    # answering ICMPv6 after neighbour discovery, by address, by name (-6) and at the gateway.
    client.networks.create(
        "v6net",
        enable_ipv6=True,
        ipam=IPAMConfig(pool_configs=[IPAMPool(subnet="fd00:61::/64", gateway="fd00:61::1")]),
    )
    server = client.api.create_container(
        "busybox", "top", name="six",
        networking_config=client.api.create_networking_config(
            {"v6net": client.api.create_endpoint_config(ipv6_address="fd00:61::60")}),
        host_config=client.api.create_host_config(network_mode="v6net"))
    client.api.start(server)
    ep = client.api.inspect_container(server)["NetworkSettings"]["Networks"]["v6net"]
    assert ep["IPAMConfig"] == {"IPv6Address": "fd00:61::60"}
    assert (ep["GlobalIPv6Address"], ep["GlobalIPv6PrefixLen"]) == ("fd00:61::60", 64)
    assert ep["IPv6Gateway"] == "fd00:61::1"
    probe = client.containers.run("busybox", "top", detach=True, network="v6net")
    for cmd in ("ping -c 1 fd00:61::60", "ping -6 -c 1 six", "ping6 -c 1 fd00:61::1"):
        code, out = probe.exec_run(cmd)
        assert code == 0, out
        assert b"1 packets transmitted, 1 packets received" in out
    assert b"from fd00:61::60: seq=0" in probe.exec_run("ping -6 -c 1 six").output
    assert b"default via fd00:61::1 dev eth0" in probe.exec_run("ip -6 route").output
    neigh = probe.exec_run("ip -6 neigh").output.decode()
    assert "fd00:61::60 dev eth0 lladdr" in neigh
    code, out = probe.exec_run("ping -c 1 -W 1 fd00:61::99")
    assert code == 1 and b"0 packets received" in out
    # TCP over IPv6: a web server's page by its IPv6 address.
    web = client.containers.run("nginx", detach=True, network="v6net")
    web.reload()
    addr = web.attrs["NetworkSettings"]["Networks"]["v6net"]["GlobalIPv6Address"]
    code, out = probe.exec_run(["wget", "-q", "-O", "-", f"http://[{addr}]/"])
    assert code == 0 and b"<title>Welcome to nginx!</title>" in out


def test_images_inspect_and_disk_usage(client):
    c = client.containers.create("alpine:3.10", "top")
    tags = [t for i in client.images.list() for t in i.tags]
    assert "busybox:latest" in tags and "alpine:3.10" in tags
    assert [i.tags for i in client.images.list(name="busybox")] == [["busybox:latest"]]
    assert [i.tags for i in client.images.list(filters={"reference": "*/*"})] == [["nicolaka/netshoot:latest"]]
    img = client.images.get("busybox")
    assert img.id == client.api.inspect_image("docker.io/library/busybox:latest")["Id"]
    assert img.attrs["Config"]["Cmd"] == ["sh"]
    with pytest.raises(docker.errors.ImageNotFound):
        client.images.get("nosuch")
    df = client.df()
    used = {tuple(i["RepoTags"]): i["Containers"] for i in df["Images"]}
    assert used[("alpine:3.10",)] == 1 and used[("busybox:latest",)] == 0
    assert [x["Id"] for x in df["Containers"]] == [c.id]
    assert (df["Volumes"], df["BuildCache"]) == ([], [])


def test_exec_and_run_users_and_privileges(client):
    c = client.containers.run("busybox", "top", detach=True)
    assert c.exec_run("id").output == b"uid=0(root) gid=0(root) groups=0(root),10(wheel)\n"
    r = c.exec_run(["sh", "-c", "id; echo $HOME"], user="nobody")
    assert (r.exit_code, r.output) == (0, b"uid=65534(nobody) gid=65534(nobody) groups=65534(nobody)\n/home\n")
    # A user the image lacks: the exec is refused as it is created.
    with pytest.raises(docker.errors.APIError) as e:
        c.exec_run("id", user="foo")
    assert e.value.status_code == 400
    assert e.value.explanation == "unable to find user foo: no matching entries in passwd file"
    # Without NET_ADMIN the address cannot be added; an exec --privileged may.
    assert c.exec_run("ip addr add 10.7.7.7/24 dev eth0").exit_code == 2
    assert c.exec_run("ip addr add 10.7.7.7/24 dev eth0", privileged=True).exit_code == 0
    assert "10.7.7.7/24" in c.exec_run("ip addr show eth0").output.decode()
    # Not as another user: its capabilities do not survive execve.
    r = c.exec_run("ip addr del 10.7.7.7/24 dev eth0", privileged=True, user="nobody")
    assert r.exit_code == 2
    exec_id = client.api.exec_create(c.id, "id", user="www-data", privileged=True)["Id"]
    assert client.api.exec_start(exec_id) == b"uid=33(www-data) gid=33(www-data) groups=33(www-data)\n"
    pc = client.api.exec_inspect(exec_id)["ProcessConfig"]
    assert (pc["user"], pc["privileged"]) == ("www-data", True)
    # run -u: Config.User, the command runs as it; a user the image lacks fails the start.
    out = client.containers.run("busybox", "whoami", user="www-data", remove=True)
    assert out == b"www-data\n"
    with pytest.raises(docker.errors.APIError) as e:
        client.containers.run("busybox", "id", user="ghost", name="ghost-user", detach=True)
    assert "unable to find user ghost: no matching entries in passwd file" in str(e.value)
    ghost = client.containers.get("ghost-user")
    assert (ghost.status, ghost.attrs["Config"]["User"]) == ("created", "ghost")
    assert ghost.attrs["State"]["ExitCode"] == 128


def test_exec_events(client):
    import time
    c = client.containers.run("busybox", "top", detach=True, name="exec-events")
    exec_id = client.api.exec_create(c.id, ["sh", "-c", "exit 7"])["Id"]
    client.api.exec_start(exec_id)
    assert client.api.exec_inspect(exec_id)["ExitCode"] == 7
    got = list(client.events(since=1, until=int(time.time()), decode=True,
                             filters={"container": "exec-events", "event": ["exec_create", "exec_die"]}))
    assert [e["Action"] for e in got] == ["exec_create: sh -c exit 7", "exec_die"]
    assert [e["Actor"]["Attributes"]["execID"] for e in got] == [exec_id, exec_id]
    assert got[1]["Actor"]["Attributes"]["exitCode"] == "7"


@pytest.fixture
def cluster_host():
    """`vnet daemon -H h1` on a state of two hosts sharing a cluster store."""
    binary = os.environ.get("VNET_BIN") or os.path.join(ROOT, "target", "debug", "vnet")
    state = tempfile.mkdtemp(prefix="vnet-docker-py-cluster-")
    env = {k: v for k, v in os.environ.items() if k not in ("VNET_SEED", "VNET_STATE_DIR")}

    def vnet(*args):
        r = subprocess.run([binary, "--state-dir", state, *args], env=env,
                           capture_output=True, text=True)
        assert r.returncode == 0, (args, r.stderr)
        return r.stdout

    for h in ("h1", "h2"):
        vnet("host", "create", "--cluster-store", "etcd://10.0.0.5:2379",
             "--cluster-advertise", "eth0:2376", h)
    proc = subprocess.Popen([binary, "--state-dir", state, "-H", "h1", "daemon"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)
    socket = os.path.join(state, "vnet.sock")
    assert proc.stdout.readline() == f"API listen on {socket}\n"
    c = docker.DockerClient(base_url="unix://" + socket, version="auto")
    yield c, vnet
    c.close()
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=10) == 0
    shutil.rmtree(state)


def test_overlay_container_gets_docker_gwbridge(cluster_host):
    # Classic overlay: the container's only network gives it no gateway, so libnetwork adds
    # an anonymous endpoint on docker_gwbridge (made on first use) for the default route
    # and published ports; it is not one of the container's networks.
    client, vnet = cluster_host
    client.networks.create(
        "ov", driver="overlay", ipam=IPAMConfig(pool_configs=[IPAMPool(subnet="10.40.0.0/24")]))
    web = client.containers.run("nginx", detach=True, name="web", network="ov",
                                ports={"80/tcp": 8080})
    web.reload()
    gw = client.networks.get("docker_gwbridge")
    assert gw.attrs["Driver"] == "bridge" and gw.attrs["Scope"] == "local"
    assert gw.attrs["Options"] == {
        "com.docker.network.bridge.enable_icc": "false",
        "com.docker.network.bridge.enable_ip_masquerade": "true",
        "com.docker.network.bridge.name": "docker_gwbridge",
    }
    assert gw.attrs["IPAM"]["Config"] == [{"Subnet": "172.18.0.0/16", "Gateway": "172.18.0.1"}]
    sandbox = web.attrs["NetworkSettings"]["SandboxID"]
    assert gw.attrs["Containers"][web.id]["Name"] == "gateway_" + sandbox[:12]
    assert list(web.attrs["NetworkSettings"]["Networks"]) == ["ov"]
    assert web.attrs["NetworkSettings"]["Networks"]["ov"]["Gateway"] == ""
    assert b"default via 172.18.0.1 dev eth1" in web.exec_run("ip route").output
    # The published port comes through docker_gwbridge; h2's client reaches nginx over the
    # overlay, its TCP segments in VXLAN between the hosts.
    assert "Welcome to nginx!" in vnet("-H", "h1", "host", "exec", "wget", "-qO-",
                                       "http://127.0.0.1:8080/")
    page = vnet("-H", "h2", "run", "--rm", "--network", "ov", "busybox",
                "wget", "-qO-", "http://web/")
    assert "Welcome to nginx!" in page
    # A bridge network's endpoint replaces it; leaving brings it back.
    client.networks.create("side")
    client.networks.get("side").connect(web)
    route = web.exec_run("ip route").output.decode()
    assert "dev eth1" not in route and "default via 172.19.0.1 dev eth2" in route
    client.networks.get("side").disconnect(web)
    assert b"default via 172.18.0.1 dev eth3" in web.exec_run("ip route").output
    web.stop()
    assert client.networks.get("docker_gwbridge").attrs["Containers"] == {}


def test_failed_start_removes_an_autoremove_container(client):
    # daemon/start.go: a start that fails removes a --rm container in its deferred clean-up
    # (the docker CLI waits for that removal before it exits 125).
    with pytest.raises(docker.errors.APIError) as e:
        client.containers.run("alpine", "true", auto_remove=True, network="nosuch", name="gone")
    assert "failed to set up container networking: network nosuch not found" in str(e.value)
    assert [c.name for c in client.containers.list(all=True)] == []
    # Without --rm it stays, created.
    with pytest.raises(docker.errors.APIError):
        client.containers.run("alpine", "true", network="nosuch", name="kept")
    assert [(c.name, c.status) for c in client.containers.list(all=True)] == [("kept", "created")]
