#!/usr/bin/env bash
# Replays the control-plane part of Docker's "Work with network commands" guide with vnet,
# in a fresh state directory, printing each command and what it answers.
#
#   bash examples/seed-walkthrough.sh            # builds vnet (release) and replays
#   VNET=path/to/vnet bash examples/seed-walkthrough.sh
#
# Where the guide's transcript is wrong, vnet answers as Docker really does (see the
# comments). The multi-host overlay part is left for that feature.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${VNET:-}" ]; then
  cargo build --release --quiet
  VNET=target/release/vnet
fi
export VNET_STATE_DIR
VNET_STATE_DIR=$(mktemp -d)
trap 'rm -rf "$VNET_STATE_DIR"' EXIT

step() {
  printf '\n$ docker %s\n' "$*"
  "$VNET" "$@" || printf '(exit %s)\n' "$?"
}

# Creating networks
step network create simple-network
step network inspect simple-network
# The guide's host had 172.22 free for simple-network; on a fresh host Docker's
# lowest-free allocation gives 172.18.0.0/16 and then 172.19.0.0/16.
step network create -o "com.docker.network.bridge.host_binding_ipv4"="172.23.0.1" my-network
step network inspect my-network
step run -d -P --name redis --net my-network redis
# Published ports start at 32768 (the guide shows 32770 from its host's history).
step ps

# Connecting containers
step run -itd --name=container1 busybox
step run -itd --name=container2 busybox
step network create -d bridge --subnet 172.25.0.0/16 isolated_nw
step network connect isolated_nw container2
# The guide prints 172.21.0.0/16 here; the network was created with 172.25.0.0/16.
step network inspect isolated_nw
step run --net=isolated_nw --ip=172.25.3.3 -itd --name=container3 busybox
step inspect '--format={{json .NetworkSettings.Networks}}' container3
step inspect '--format={{json .NetworkSettings.Networks}}' container2

# Inside container2 (the guide attaches; exec runs the same commands).
step exec container2 ifconfig
step exec container2 ping -w 4 container3
# On the default bridge there is no name service: Docker answers the same.
step exec container2 ping -w 4 container1
step exec container2 ping -w 4 172.17.0.2
# container3 shares no network with container1.
step exec container3 ping -w 10 172.17.0.2

# Linking containers in user-defined networks (names resolve once DNS is built)
step run --net=isolated_nw -itd --name=container4 --link container5:c5 busybox
step run --net=isolated_nw -itd --name=container5 --link container4:c4 busybox
# A clean replay gives container4 172.25.0.3 and container5 .4 (the guide shows .4 and .5).
step exec container4 ping -w 4 c5
step exec container4 ping -w 4 container5
step exec container5 ping -w 4 c4
step exec container5 ping -w 4 container4
step network create -d bridge --subnet 172.26.0.0/24 local_alias
step network connect --link container5:foo local_alias container4
# The guide's "conta" is container5.
step network connect --link container4:bar local_alias container5
step exec container4 ping -w 4 foo
step exec container4 ping -w 4 c5
step network disconnect isolated_nw container5
step exec container4 ping -w 4 c5
step exec container4 ping -w 4 foo

# Network-scoped aliases
step run --net=isolated_nw -itd --name=container6 --net-alias app busybox
step exec container4 ping -w 4 app
# The guide prints "PING container5" here; the header names what was pinged.
step exec container4 ping -w 4 container6
step network connect --alias scoped-app local_alias container6
step exec container4 ping -w 4 scoped-app
# The guide says container5 cannot resolve scoped-app; it shares local_alias with
# container6, so it can.
step exec container5 ping -w 4 scoped-app
step run --net=isolated_nw -itd --name=container7 --net-alias app busybox
step exec container4 ping -w 4 app
step stop container6
step exec container4 ping -w 4 app

# Disconnecting containers
step network disconnect isolated_nw container2
step inspect '--format={{json .NetworkSettings.Networks}}' container2
step exec container2 ifconfig
# container2 now has no user-defined network, so no name service: container3's name does not
# resolve (the guide shows its address, then 100% loss).
step exec container2 ping -w 2 container3
step exec container2 ping -w 2 172.25.3.3
# The guide pings container1 by name here; on the default bridge that is a bad address.
step exec container2 ping -w 2 container1
step exec container2 ping -w 2 172.17.0.2
# container4 and container7 are still attached and running, so they are listed too.
step network inspect isolated_nw

# Removing a network: every running container must leave it first.
step network disconnect isolated_nw container3
step network rm isolated_nw
step network disconnect isolated_nw container4
step network disconnect isolated_nw container7
step network rm isolated_nw
step network ls
