#!/usr/bin/env bash
# vnet side by side with the Linux bridge, measured in the same run on the same machine.
#
#   sudo bash benches/kernel-bridge.sh [COUNT] [CONTAINERS]
#
# 1. Two network namespaces on a Linux bridge (a third namespace stands for the Docker host,
#    ip_forward=0): `ping -f -c COUNT -q` between them, round trips per second. Then the same
#    topology in vnet: `vnet exec c1 ping -f -c COUNT -q c2`.
# 1b. The same flood ping routed: two bridges joined by a namespace with ip_forward=1, each
#    end with a route through it; in vnet a container with `--sysctl net.ipv4.ip_forward=1`
#    on both networks and `ip route add` on the ends.
# 2. TCP bulk transfer between the same two namespaces: iperf3, one stream, MTU 1500, in
#    Gbit/s of payload; beside it, `cargo bench --bench dataplane -- e2e/tcp_bulk` gives vnet's
#    figure for one connection between two containers (run it right after, on the same machine).
# 2b. TCP connections opened and closed one after another between the same namespaces
#    (examples/tcp_connect_loop.rs), beside `cargo bench --bench dataplane -- e2e/tcp_connections`.
# 3. Building CONTAINERS containers on one network: namespaces + veth pairs + addresses on a
#    Linux bridge, against `vnet run -itd` in a loop.
# Needs root, iproute2 and iputils-ping. It touches only namespaces it creates (vkb*), and
# removes them at the end.
set -euo pipefail
COUNT=${1:-100000}
N=${2:-200}
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "run as root (network namespaces)"; exit 1; }
command -v ip >/dev/null && command -v ping >/dev/null || { echo "needs ip (iproute2) and ping (iputils-ping)"; exit 1; }
cargo build --release --quiet
VNET=$PWD/target/release/vnet
STATE=$(mktemp -d)
H=vkbh
cleanup() {
  for ns in $(ip netns list | awk '{print $1}' | grep '^vkb' || true); do ip netns del "$ns" 2>/dev/null || true; done
  rm -rf "$STATE"
}
trap cleanup EXIT
cleanup
STATE=$(mktemp -d)

now() { date +%s.%N; }
rate() { echo "$1 $2 $3" | awk '{printf "%.0f", $1 / ($3 - $2)}'; }

echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores"
echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"

# --- 1. flood ping --------------------------------------------------------------------------
ip netns add $H
ip netns exec $H sysctl -qw net.ipv4.ip_forward=0
ip -n $H link add br0 type bridge
ip -n $H addr add 172.25.0.1/16 dev br0
ip -n $H link set br0 up
for i in 1 2; do
  ip netns add vkbc$i
  ip -n $H link add v$i type veth peer name eth0 netns vkbc$i
  ip -n $H link set v$i master br0 up
  ip -n vkbc$i addr add 172.25.0.$((i + 1))/16 dev eth0
  ip -n vkbc$i link set eth0 up
  ip -n vkbc$i link set lo up
done
ip netns exec vkbc1 ping -c 1 -W 1 172.25.0.3 >/dev/null
t0=$(now); ip netns exec vkbc1 ping -f -c "$COUNT" -q 172.25.0.3 >/dev/null; t1=$(now)
linux=$(rate "$COUNT" "$t0" "$t1")

"$VNET" --state-dir "$STATE" network create --subnet 172.25.0.0/16 n1 >/dev/null
"$VNET" --state-dir "$STATE" run -itd --name c1 --net n1 busybox >/dev/null
"$VNET" --state-dir "$STATE" run -itd --name c2 --net n1 busybox >/dev/null
t0=$(now); "$VNET" --state-dir "$STATE" exec c1 ping -f -c "$COUNT" -q c2 >/dev/null; t1=$(now)
sim=$(rate "$COUNT" "$t0" "$t1")
echo "flood ping, $COUNT round trips: Linux bridge $linux/s, vnet $sim/s (wall, process start included), vnet/Linux = $(echo "$sim $linux" | awk '{printf "%.1f", $1/$2}')"

# --- 1b. routed flood ping ------------------------------------------------------------------
ip -n $H link add br2 type bridge
ip -n $H link add br3 type bridge
ip -n $H addr add 10.71.0.1/24 dev br2
ip -n $H addr add 10.72.0.1/24 dev br3
ip -n $H link set br2 up
ip -n $H link set br3 up
attach() { # namespace, host-side name, bridge, address
  ip -n $H link add "$2" type veth peer name "eth$5" netns "$1"
  ip -n $H link set "$2" master "$3" up
  ip -n "$1" addr add "$4"/24 dev "eth$5"
  ip -n "$1" link set "eth$5" up
  ip -n "$1" link set lo up
}
for ns in vkbra vkbrb vkbrr; do ip netns add $ns; done
attach vkbra ra br2 10.71.0.10 0
attach vkbrb rb br3 10.72.0.10 0
attach vkbrr rr0 br2 10.71.0.254 0
attach vkbrr rr1 br3 10.72.0.254 1
ip netns exec vkbrr sysctl -qw net.ipv4.ip_forward=1
ip -n vkbra route add 10.72.0.0/24 via 10.71.0.254
ip -n vkbrb route add 10.71.0.0/24 via 10.72.0.254
ip netns exec vkbra ping -c 1 -W 1 10.72.0.10 >/dev/null
t0=$(now); ip netns exec vkbra ping -f -c "$COUNT" -q 10.72.0.10 >/dev/null; t1=$(now)
linux=$(rate "$COUNT" "$t0" "$t1")
V() { "$VNET" --state-dir "$STATE" "$@" >/dev/null; }
V network create --subnet 10.71.0.0/24 left
V network create --subnet 10.72.0.0/24 right
V run -itd --name ra --net left --ip 10.71.0.10 --cap-add NET_ADMIN busybox
V run -itd --name rb --net right --ip 10.72.0.10 --cap-add NET_ADMIN busybox
V run -itd --name rr --net left --ip 10.71.0.254 --sysctl net.ipv4.ip_forward=1 busybox
V network connect --ip 10.72.0.254 right rr
V exec ra ip route add 10.72.0.0/24 via 10.71.0.254
V exec rb ip route add 10.71.0.0/24 via 10.72.0.254
t0=$(now); V exec ra ping -f -c "$COUNT" -q 10.72.0.10; t1=$(now)
sim=$(rate "$COUNT" "$t0" "$t1")
echo "routed flood ping, $COUNT round trips: Linux namespace router $linux/s, vnet $sim/s (wall, process start included), vnet/Linux = $(echo "$sim $linux" | awk '{printf "%.1f", $1/$2}')"

# --- 2. TCP bulk transfer -----------------------------------------------------------------
if command -v iperf3 >/dev/null; then
  ip netns exec vkbc2 iperf3 -s -1 -D >/dev/null 2>&1
  sleep 0.5
  gbps=$(ip netns exec vkbc1 iperf3 -c 172.25.0.3 -t 5 -f g | awk '/receiver/ {print $(NF-2)}')
  echo "TCP bulk, one stream, MTU 1500: Linux veth+bridge $gbps Gbit/s (iperf3 -t 5)"
else
  echo "TCP bulk: iperf3 is not installed (apt-get install iperf3)"
fi

# --- 2b. TCP connection setups --------------------------------------------------------------
# One after another, each a handshake and a FIN each way (examples/tcp_connect_loop.rs), as
# `cargo bench --bench dataplane -- e2e/tcp_connections` does between two containers.
cargo build --release --quiet --example tcp_connect_loop
LOOP=$PWD/target/release/examples/tcp_connect_loop
ip netns exec vkbc2 "$LOOP" serve 172.25.0.3:7000 &
server=$!
sleep 0.3
cps=$(ip netns exec vkbc1 "$LOOP" connect 172.25.0.3:7000 20000)
kill $server
echo "TCP connection setups, one after another: Linux veth+bridge $cps/s (20000 connections)"

# --- 3. building containers ------------------------------------------------------------------
ip -n $H link add br1 type bridge
ip -n $H addr add 10.1.0.1/16 dev br1
ip -n $H link set br1 up
t0=$(now)
for i in $(seq 1 "$N"); do
  ip netns add vkbn$i
  ip -n $H link add w$i type veth peer name eth0 netns vkbn$i
  ip -n $H link set w$i master br1 up
  ip -n vkbn$i addr add 10.1.$((i / 250)).$((i % 250 + 2))/16 dev eth0
  ip -n vkbn$i link set eth0 up
done
t1=$(now)
linux_build=$(echo "$t0 $t1" | awk '{printf "%.3f", $2 - $1}')
"$VNET" --state-dir "$STATE" network create --subnet 10.1.0.0/16 big >/dev/null
t0=$(now)
for i in $(seq 1 "$N"); do "$VNET" --state-dir "$STATE" run -itd --name b$i --net big busybox >/dev/null; done
t1=$(now)
sim_build=$(echo "$t0 $t1" | awk '{printf "%.3f", $2 - $1}')
echo "building $N containers: netns + veth ${linux_build} s, vnet run ${sim_build} s (one process per container), Linux/vnet = $(echo "$linux_build $sim_build" | awk '{printf "%.1f", $1/$2}')"
