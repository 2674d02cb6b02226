#!/usr/bin/env bash
# docker-py's own network tests against `vnet daemon`: tests/integration/api_network_test.py
# and models_networks_test.py of a docker-py checkout (its tests are not in the PyPI package,
# so they come from a clone of github.com/docker/docker-py at tag 7.2.0, which CI cannot
# reach; run this by hand). The three that need swarm mode are left out: vnet answers
# `POST /swarm/init` with 501 (swarm mode is not simulated).
#
#   tests/python/upstream.sh DOCKER_PY_CHECKOUT [PYTHON]
#
# PYTHON needs docker==7.2.0, pytest and paramiko (docker-py's test helpers import it).
set -euo pipefail
src=$(cd "${1:?usage: upstream.sh DOCKER_PY_CHECKOUT [PYTHON]}" && pwd)
py=${2:-python3}
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${VNET_BIN:-$root/target/debug/vnet}
state=$(mktemp -d)
"$bin" --state-dir "$state" --seed 7 daemon > "$state/daemon.out" 2>&1 &
daemon=$!
trap 'kill $daemon 2>/dev/null; wait $daemon 2>/dev/null; rm -rf "$state"' EXIT
for _ in $(seq 100); do [ -S "$state/vnet.sock" ] && break; sleep 0.05; done
cd "$src"
DOCKER_HOST="unix://$state/vnet.sock" "$py" -m pytest -q -p no:cacheprovider \
  tests/integration/api_network_test.py tests/integration/models_networks_test.py \
  --deselect tests/integration/api_network_test.py::TestNetworks::test_create_network_attachable \
  --deselect tests/integration/api_network_test.py::TestNetworks::test_create_network_ingress \
  --deselect tests/integration/api_network_test.py::TestNetworks::test_create_inspect_network_with_scope
