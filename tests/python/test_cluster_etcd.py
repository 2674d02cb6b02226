"""docker-py against two `vnet daemon` processes sharing a real etcd (`--cluster-store`).

Skipped when `etcd` is not installed (`.ci/run` installs Debian's etcd-server).
"""

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time

import docker
import pytest
from docker.types import IPAMConfig, IPAMPool

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def two_daemons():
    if shutil.which("etcd") is None:
        pytest.skip("etcd is not installed (Debian's etcd-server)")
    binary = os.environ.get("VNET_BIN") or os.path.join(ROOT, "target", "debug", "vnet")
    base = tempfile.mkdtemp(prefix="vnet-docker-py-etcd-")
    client_port, peer_port = free_port(), free_port()
    client_url = f"http://127.0.0.1:{client_port}"
    peer_url = f"http://127.0.0.1:{peer_port}"
    etcd = subprocess.Popen(
        ["etcd", "--data-dir", os.path.join(base, "etcd"), "--name", "t",
         "--listen-client-urls", client_url, "--advertise-client-urls", client_url,
         "--listen-peer-urls", peer_url, "--initial-advertise-peer-urls", peer_url,
         "--initial-cluster", f"t={peer_url}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    env = {k: v for k, v in os.environ.items() if k not in ("VNET_SEED", "VNET_STATE_DIR")}
    procs, clients, states = [], [], []
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", client_port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        for i, advertise in enumerate(["127.0.0.2:2376", "127.0.0.3:2376"]):
            state = os.path.join(base, f"h{i + 1}")
            os.mkdir(state)
            p = subprocess.Popen(
                [binary, "--state-dir", state, "--seed", str(i + 1), "daemon",
                 "--cluster-store", f"etcd://127.0.0.1:{client_port}",
                 "--cluster-advertise", advertise],
                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, text=True)
            sock = os.path.join(state, "vnet.sock")
            assert p.stdout.readline() == f"API listen on {sock}\n"
            procs.append(p)
            states.append(state)
            clients.append(docker.DockerClient(base_url="unix://" + sock, version="auto"))

        def vnet(state, *args):
            r = subprocess.run([binary, "--state-dir", state, *args], env=env,
                               capture_output=True, text=True)
            assert r.returncode == 0, (args, r.stderr)
            return r.stdout

        yield clients, states, vnet
    finally:
        for c in clients:
            c.close()
        for p in procs:
            p.send_signal(signal.SIGTERM)
            p.wait(timeout=10)
        etcd.terminate()
        etcd.wait(timeout=10)
        shutil.rmtree(base)


def test_two_daemons_share_an_overlay_through_etcd(two_daemons):
    (h1, h2), (s1, s2), vnet = two_daemons
    ov = h1.networks.create(
        "ov", driver="overlay", ipam=IPAMConfig(pool_configs=[IPAMPool(subnet="10.60.0.0/24")]))
    seen = h2.networks.get("ov")
    assert seen.id == ov.id and seen.attrs["Scope"] == "global"
    c1 = h1.containers.run("alpine", "sleep 1000", detach=True, name="c1", network="ov")
    c2 = h2.containers.run("alpine", "sleep 1000", detach=True, name="c2", network="ov")
    c1.reload()
    c2.reload()
    ip1 = c1.attrs["NetworkSettings"]["Networks"]["ov"]["IPAddress"]
    ip2 = c2.attrs["NetworkSettings"]["Networks"]["ov"]["IPAddress"]
    assert ip1 != ip2 and ip1.startswith("10.60.0.") and ip2.startswith("10.60.0.")
    # Each host's DNS answers for the other host's container, from the store.
    code, out = c2.exec_run(["nslookup", "c1"])
    assert code == 0 and f"Address: {ip1}" in out.decode(), out
    code, out = c1.exec_run(["nslookup", "c2"])
    assert code == 0 and f"Address: {ip2}" in out.decode(), out
    names = sorted(c["Name"] for c in h1.networks.get("ov").attrs["Containers"].values())
    assert names == ["c1", "c2"]
    # A disconnect on one host shows on the other.
    h2.networks.get("ov").disconnect("c2")
    names = sorted(c["Name"] for c in h1.networks.get("ov").attrs["Containers"].values())
    assert names == ["c1"]
    h2.networks.get("ov").connect("c2")
    # Two daemons creating the same network at once: one wins, the other is told it exists.
    results = {}

    def create(name, client):
        try:
            client.networks.create("same", driver="overlay")
            results[name] = "created"
        except docker.errors.APIError as e:
            results[name] = (e.status_code, e.explanation)

    threads = [threading.Thread(target=create, args=(n, c)) for n, c in (("h1", h1), ("h2", h2))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(map(str, results.values())) == sorted(
        ["created", str((409, "network with name same already exists"))]), results
    assert len([n for n in h2.networks.list() if n.name == "same"]) == 1
    # `vnet cluster status` on either state directory sees both nodes and the endpoints.
    status = vnet(s1, "cluster", "status")
    assert "127.0.0.2:2376   default" in status, status
    assert any(line.startswith("127.0.0.3:2376") for line in status.splitlines()), status
    assert any(line.split()[1:3] == ["ov", "overlay"] and line.split()[-1] == "2"
               for line in status.splitlines()), status
