"""Compose against `vnet daemon`: a three-service project up, checked through the
containers' own programs, and down with nothing left; once with Compose v1.29.2 (Python,
from PyPI, on docker-py 6) and once with Compose v2 (Go, 2.26.1 as Debian 13 packages it).

Compose v1 lives in its own virtualenv (it needs docker<7, which the docker-py suite does
not use); $VNET_COMPOSE names its `docker-compose`, $VNET_COMPOSE_V2 the v2 binary (`.ci/run`
makes both). Without them these tests are skipped, with that reason."""

import os
import subprocess

import docker
import pytest

# The commands run in the project's directory: a relative path is taken from here.
COMPOSE = os.environ.get("VNET_COMPOSE")
COMPOSE = COMPOSE and os.path.abspath(COMPOSE)
COMPOSE_V2 = os.environ.get("VNET_COMPOSE_V2")
COMPOSE_V2 = COMPOSE_V2 and os.path.abspath(COMPOSE_V2)

needs_v1 = pytest.mark.skipif(
    not COMPOSE, reason="VNET_COMPOSE does not name a docker-compose (see .ci/run)"
)
needs_v2 = pytest.mark.skipif(
    not COMPOSE_V2, reason="VNET_COMPOSE_V2 does not name a Compose v2 (see .ci/run)"
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


def compose(daemon, project, *args, check=True, binary=None):
    env = dict(os.environ, DOCKER_HOST="unix://" + daemon["socket"])
    env.pop("DOCKER_TLS_VERIFY", None)
    r = subprocess.run(
        [binary or COMPOSE, *args],
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


@needs_v1
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



# v2's own way: no `version`, a published port, a link, and a network made outside the
# project (`external`), which `down` leaves.
PROJECT_V2 = """\
services:
  web:
    image: nginx
    networks: [front, back]
    ports: ["8080:80"]
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
    networks: [front, shared]
    links: ["web:www"]
    depends_on: [web]
networks:
  front:
  back:
    ipam:
      config:
        - subnet: 10.77.0.0/24
  shared:
    external: true
    name: labnet
"""


@needs_v2
def test_v2_up_exec_top_down(daemon, client, tmp_path):
    project = tmp_path / "lab"
    project.mkdir()
    (project / "compose.yaml").write_text(PROJECT_V2)

    def v2(*args, check=True):
        return compose(daemon, project, *args, check=check, binary=COMPOSE_V2)

    # An external network must be there first (Compose makes the project's own networks
    # concurrently, so how many it made before it stops varies).
    r = v2("up", "-d", check=False)
    assert r.returncode == 1
    assert r.stderr.endswith("Error response from daemon: network labnet not found\n")
    client.networks.create("labnet")
    r = v2("up", "-d")
    assert " Container lab-web-1  Started" in r.stderr.splitlines()
    assert {"lab_front", "lab_back"} <= {n.name for n in client.networks.list()}

    names = sorted(c.name for c in client.containers.list(filters={"label": "com.docker.compose.project=lab"}))
    assert names == ["lab-client-1", "lab-db-1", "lab-web-1"]
    web = client.containers.get("lab-web-1")
    assert web.labels["lab.role"] == "web"
    assert web.ports == {"80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "8080"}, {"HostIp": "::", "HostPort": "8080"}]}
    assert sorted(client.containers.get("lab-client-1").attrs["NetworkSettings"]["Networks"]) == ["lab_front", "labnet"]

    ps = v2("ps").stdout.splitlines()
    assert ps[0].split() == ["NAME", "IMAGE", "COMMAND", "SERVICE", "CREATED", "STATUS", "PORTS"]
    assert [line.split()[0] for line in ps[1:]] == ["lab-client-1", "lab-db-1", "lab-web-1"]

    # The link's name and the service's both resolve; web's page comes over TCP.
    r = v2("exec", "-T", "client", "ping", "-c", "1", "www")
    assert "1 packets transmitted, 1 packets received" in r.stdout
    r = v2("exec", "-T", "client", "wget", "-qO-", "http://web/")
    assert "<title>Welcome to nginx!</title>" in r.stdout
    r = v2("exec", "-T", "client", "ping", "-c", "1", "database", check=False)
    assert r.returncode == 1
    r = v2("exec", "-T", "web", "sh", "-c", "printf 'PING\\r\\n' | nc -w 1 database 6379")
    assert r.stdout.splitlines() == ["+PONG"]

    # `top` lists each container's processes, as `ps -ef` does.
    top = v2("top", "client").stdout.splitlines()
    assert top[0] == "lab-client-1"
    assert top[1].split() == ["UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"]
    assert top[2].split()[-2:] == ["sleep", "3600"]

    r = v2("up", "-d")
    assert " Container lab-web-1  Running" in r.stderr.splitlines()

    r = v2("down")
    assert " Network lab_front  Removed" in r.stderr.splitlines()
    assert client.containers.list(all=True) == []
    assert sorted(n.name for n in client.networks.list()) == ["bridge", "host", "labnet", "none"]
    client.networks.get("labnet").remove()
