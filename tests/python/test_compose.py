"""Compose v1.29.2 (from PyPI, on docker-py 6) against `vnet daemon`: a three-service
project up, checked through the containers' own programs, and down with nothing left.

Compose lives in its own virtualenv (it needs docker<7, which the docker-py suite does not
use); $VNET_COMPOSE names its `docker-compose` (`.ci/run` makes it). Without it these tests
are skipped, with that reason."""

import os
import subprocess

import docker
import pytest

COMPOSE = os.environ.get("VNET_COMPOSE")
# The commands run in the project's directory: a relative path is taken from here.
COMPOSE = COMPOSE and os.path.abspath(COMPOSE)

pytestmark = pytest.mark.skipif(
    not COMPOSE, reason="VNET_COMPOSE does not name a docker-compose (see .ci/run)"
)

PROJECT = """\
version: "3.8"
services:
  web:
    image: nginx
    networks: [front, back]
    labels:
      lab.role: web
  db:
    image: redis
    networks:
      back:
        aliases: [database]
  client:
    image: busybox
    command: sleep 3600
    networks: [front]
    depends_on: [web]
networks:
  front:
  back:
    ipam:
      config:
        - subnet: 10.77.0.0/24
"""


def compose(daemon, project, *args, check=True):
    env = dict(os.environ, DOCKER_HOST="unix://" + daemon["socket"])
    env.pop("DOCKER_TLS_VERIFY", None)
    r = subprocess.run(
        [COMPOSE, *args],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if check:
        assert r.returncode == 0, (args, r.stdout, r.stderr)
    return r


@pytest.fixture
def project(tmp_path):
    d = tmp_path / "lab"
    d.mkdir()
    (d / "docker-compose.yml").write_text(PROJECT)
    return d


def test_up_exec_down(daemon, client, project):
    r = compose(daemon, project, "up", "-d")
    assert 'Creating network "lab_front" with the default driver' in r.stderr
    assert 'Creating network "lab_back" with the default driver' in r.stderr

    # Compose finds its containers by their labels.
    names = sorted(c.name for c in client.containers.list(filters={"label": "com.docker.compose.project=lab"}))
    assert names == ["lab_client_1", "lab_db_1", "lab_web_1"]
    web = client.containers.get("lab_web_1")
    assert web.labels["lab.role"] == "web"
    assert web.labels["com.docker.compose.service"] == "web"
    # nginx's own label comes with the image.
    assert web.labels["maintainer"] == "NGINX Docker Maintainers <docker-maint@nginx.com>"
    assert sorted(web.attrs["NetworkSettings"]["Networks"]) == ["lab_back", "lab_front"]
    db = client.containers.get("lab_db_1")
    assert db.attrs["NetworkSettings"]["Networks"]["lab_back"]["IPAddress"].startswith("10.77.0.")
    assert "database" in db.attrs["NetworkSettings"]["Networks"]["lab_back"]["Aliases"]

    ps = compose(daemon, project, "ps").stdout
    for name in names:
        assert name in ps
    assert compose(daemon, project, "ps", "-q").stdout.split().__len__() == 3

    # The client reaches web by service name on `front`, and fetches its page over TCP.
    r = compose(daemon, project, "exec", "-T", "client", "ping", "-c", "1", "web")
    assert "1 packets transmitted, 1 packets received" in r.stdout
    r = compose(daemon, project, "exec", "-T", "client", "wget", "-qO-", "http://web/")
    assert "<title>Welcome to nginx!</title>" in r.stdout
    # db is only on `back`: the client cannot resolve it; web reaches it by its alias.
    r = compose(daemon, project, "exec", "-T", "client", "ping", "-c", "1", "database", check=False)
    assert r.returncode == 1
    assert "ping: bad address 'database'" in r.stderr + r.stdout
    r = compose(daemon, project, "exec", "-T", "web", "sh", "-c", "printf 'PING\\r\\n' | nc -w 1 database 6379")
    assert r.stdout.splitlines() == ["+PONG"]

    # `up` again changes nothing.
    r = compose(daemon, project, "up", "-d")
    assert "lab_web_1 is up-to-date" in r.stderr

    r = compose(daemon, project, "down")
    assert "Removing network lab_front" in r.stderr
    assert "Removing network lab_back" in r.stderr
    assert client.containers.list(all=True) == []
    assert sorted(n.name for n in client.networks.list()) == ["bridge", "host", "none"]

