#!/usr/bin/env bash
# Daemons sharing a real etcd (`vnet daemon --cluster-store etcd://…`): D daemons (default 4,
# advertising 127.0.0.2, .3, ...) each start N containers (default 250) on one overlay network
# at the same time (`docker run -dit alpine`: sh keeps running, as a lab's containers do),
# every container a `POST /containers/create` and `/start` over the
# daemon's socket (curl, one process per request, as the docker CLI makes one connection).
# Printed, per daemon: the median wall time of a create+start over its first and its last
# tenth of containers (what a command costs as the overlay grows: every command reads
# libnetwork's keys from etcd and writes its changes in one transaction, run again when
# another daemon wrote first); the whole build; the time from the last start until every
# daemon lists all D*N endpoints (convergence); each daemon's peak RSS (VmHWM).
# The peer in the same run: one daemon without a cluster store starting N containers on a
# bridge network, the same way (the cost of a command that touches no store).
#
# Usage: bash benches/cluster-etcd.sh        (after `cargo build --release`)
# Settings: D, N, VNET (default target/release/vnet). Needs etcd (Debian's etcd-server), curl.

set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
D=${D:-4}
N=${N:-250}
VNET=${VNET:-$ROOT/target/release/vnet}
command -v etcd >/dev/null || { echo "cluster-etcd: etcd is not installed" >&2; exit 2; }
[[ -x $VNET ]] || { echo "cluster-etcd: no $VNET (cargo build --release)" >&2; exit 2; }

TMP=$(mktemp -d "${TMPDIR:-/tmp}/cluster-etcd.XXXXXX")
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$TMP"
}
trap cleanup EXIT

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
CP=$(port)
PP=$(port)
etcd --data-dir "$TMP/etcd" --listen-client-urls "http://127.0.0.1:$CP" \
    --advertise-client-urls "http://127.0.0.1:$CP" --listen-peer-urls "http://127.0.0.1:$PP" \
    --initial-advertise-peer-urls "http://127.0.0.1:$PP" --initial-cluster "default=http://127.0.0.1:$PP" \
    >"$TMP/etcd.log" 2>&1 &
PIDS+=($!)
until curl -s -o /dev/null -X POST "http://127.0.0.1:$CP/v3/kv/range" -d '{"key":"AA=="}'; do sleep 0.1; done

# start_daemon DIR [daemon flags...]: starts it, waits for its socket.
start_daemon() {
    local dir=$1
    shift
    mkdir -p "$dir"
    "$VNET" --state-dir "$dir" daemon "$@" >"$dir/out" 2>"$dir/err" &
    PIDS+=($!)
    until [[ -S $dir/vnet.sock ]]; do sleep 0.05; done
}

api() { # SOCKET METHOD PATH [BODY]
    if [[ $# -ge 4 ]]; then
        curl -s --unix-socket "$1" -X "$2" -H 'Content-Type: application/json' -d "$4" "http://d$3"
    else
        curl -s --unix-socket "$1" -X "$2" "http://d$3"
    fi
}

# build SOCKET PREFIX NET: N create+starts, each timed (ms, one a line, to PREFIX.times).
build() {
    local sock=$1 prefix=$2 net=$3 i t0 t1 out
    for ((i = 0; i < N; i++)); do
        t0=$EPOCHREALTIME
        api "$sock" POST "/containers/create?name=$prefix$i" \
            "{\"Image\":\"alpine\",\"Tty\":true,\"OpenStdin\":true,\"HostConfig\":{\"NetworkMode\":\"$net\"}}" >/dev/null
        out=$(api "$sock" POST "/containers/$prefix$i/start")
        t1=$EPOCHREALTIME
        # A start answers 204 with no body; anything else is an error.
        [[ -z $out ]] || echo "$prefix$i: $out" >>"$TMP/errors"
        echo "$(((${t1/./} - ${t0/./}) / 1000))" >>"$TMP/$prefix.times"
    done
}

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
tenth() { # FILE first|last
    local k=$((N / 10))
    ((k > 0)) || k=1
    if [[ $2 == first ]]; then head -n "$k" "$1"; else tail -n "$k" "$1"; fi | median
}
hwm() { awk '/VmHWM/ {print int($2/1024) " MiB"}' "/proc/$1/status"; }

for ((k = 1; k <= D; k++)); do
    start_daemon "$TMP/h$k" --cluster-store "etcd://127.0.0.1:$CP" \
        --cluster-advertise "127.0.0.$((k + 1)):2376"
done
api "$TMP/h1/vnet.sock" POST /networks/create \
    '{"Name":"ov","Driver":"overlay","IPAM":{"Config":[{"Subnet":"10.128.0.0/16"}]}}' >/dev/null

t0=$EPOCHREALTIME
for ((k = 1; k <= D; k++)); do build "$TMP/h$k/vnet.sock" "h${k}c" ov & done
wait_builds() { for j in $(jobs -p); do case " ${PIDS[*]} " in *" $j "*) ;; *) wait "$j" ;; esac; done; }
wait_builds
t1=$EPOCHREALTIME
failed=0
[[ -f $TMP/errors ]] && failed=$(wc -l <"$TMP/errors")
if ((failed > 0)); then
    echo "# $failed starts failed:" >&2
    head -n 5 "$TMP/errors" >&2
fi
want=$((D * N - failed))
for ((k = 1; k <= D; k++)); do
    until [[ $(api "$TMP/h$k/vnet.sock" GET /networks/ov | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["Containers"]))') == "$want" ]]; do
        sleep 0.05
    done
done
t2=$EPOCHREALTIME

echo "# $D daemons x $N containers on one overlay, one etcd ($(etcd --version | head -1))"
printf '%-8s %14s %14s %10s\n' daemon "first 10% ms" "last 10% ms" "peak RSS"
for ((k = 1; k <= D; k++)); do
    pid=${PIDS[$k]}
    printf '%-8s %14s %14s %10s\n' "h$k" "$(tenth "$TMP/h${k}c.times" first)" \
        "$(tenth "$TMP/h${k}c.times" last)" "$(hwm "$pid")"
done
echo "build: $(((${t1/./} - ${t0/./}) / 1000)) ms for $want containers"
echo "converged: $(((${t2/./} - ${t1/./}) / 1000)) ms after the last start (every daemon lists $want endpoints)"

# The peer: one daemon, no cluster store, a bridge network.
start_daemon "$TMP/solo"
api "$TMP/solo/vnet.sock" POST /networks/create \
    '{"Name":"br","Driver":"bridge","IPAM":{"Config":[{"Subnet":"10.200.0.0/16"}]}}' >/dev/null
build "$TMP/solo/vnet.sock" soloc br
printf '%-8s %14s %14s %10s\n' "solo" "$(tenth "$TMP/soloc.times" first)" \
    "$(tenth "$TMP/soloc.times" last)" "$(hwm "${PIDS[-1]}")"
