"""Starts `vnet daemon` on a fresh state directory for the docker-py suite.

The binary is $VNET_BIN, else target/debug/vnet (built by `cargo test` or `cargo build`).
"""

import os
import shutil
import signal
import subprocess
import tempfile

import docker
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture(scope="session")
def daemon():
    binary = os.environ.get("VNET_BIN") or os.path.join(ROOT, "target", "debug", "vnet")
    if not os.path.exists(binary):
        pytest.fail(f"no vnet binary at {binary}: run `cargo build` or set VNET_BIN")
    state = tempfile.mkdtemp(prefix="vnet-docker-py-")
    env = {k: v for k, v in os.environ.items() if k not in ("VNET_SEED", "VNET_STATE_DIR")}
    proc = subprocess.Popen(
        [binary, "--state-dir", state, "--seed", "7", "daemon"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
    )
    line = proc.stdout.readline()
    socket = os.path.join(state, "vnet.sock")
    assert line == f"API listen on {socket}\n", (line, proc.stderr.read())
    yield {"socket": socket, "state": state}
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=10) == 0
    assert proc.stderr.read() == ""
    assert not os.path.exists(socket)
    shutil.rmtree(state)


@pytest.fixture
def client(daemon):
    c = docker.DockerClient(base_url="unix://" + daemon["socket"], version="auto")
    yield c
    # Leave a clean host for the next test, as docker-py's own suite does.
    for ctr in c.containers.list(all=True):
        ctr.remove(force=True)
    c.networks.prune()
    c.close()
