#!/usr/bin/env bash
# What one docker CLI command costs against `vnet daemon` on a large lab: wall time of
# `docker network ls` and `docker run -d` (each a new process of the docker CLI, its
# requests over the daemon's unix socket) on a state of N running containers (default 10000),
# for two vnet binaries side by side, "before" and "after", on the same machine in the same run.
#
# The lab is generated once by `examples/state_lab.rs` (containers c0.. over N/100 bridge
# networks net0.., a version-2 state.json) and copied into a fresh state directory per binary;
# one untimed `vnet ps -q` on the copy lets a binary that migrates the state on first use do
# so before its daemon starts. Then `vnet daemon` serves that directory (socket vnet.sock in
# it) and each command below runs RUNS times; the table gives the median wall time (bash's
# EPOCHREALTIME around the docker process), the time from the daemon's start until its socket
# is there (polled every 10 ms), and the daemon's peak RSS (VmHWM) after the runs:
#   docker network ls
#   docker run -d -t --name tI --network net7 busybox     (sh with a terminal keeps running)
#   docker run -dit --name iI --network net7 busybox      (sh keeps running, as the lab's do)
# and, for scale, `docker --version` (the CLI's start-up alone, no request).
# Each daemon is stopped (SIGTERM) before the next side starts.
#
# Usage:
#   VNET_BEFORE=/path/to/old/vnet bash benches/daemon-scale.sh
# Settings (environment):
#   VNET_BEFORE, VNET_AFTER   as in state-scale.sh (after: this repository's target/release/vnet)
#   N        containers in the lab (default 10000; at least 800, so net7 exists)
#   RUNS     timed runs per command (default 5)
#   DOCKER   the docker CLI (default: docker on PATH)
# Needs: bash >= 5, cargo, a docker CLI (no docker daemon).

set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
N=${N:-10000}
RUNS=${RUNS:-5}
DOCKER=${DOCKER:-docker}
BEFORE=${VNET_BEFORE:-}
AFTER=${VNET_AFTER-$ROOT/target/release/vnet}

die() {
    echo "daemon-scale: $*" >&2
    exit 2
}
log() { echo "# $*" >&2; }

((N >= 800)) || die "N must be at least 800 (the commands use net7)"
command -v "$DOCKER" >/dev/null || die "no docker CLI ($DOCKER)"
SIDES=()
for side in before after; do
    if [[ $side == before ]]; then bin=$BEFORE; else bin=$AFTER; fi
    [[ -z $bin ]] && continue
    [[ -x $bin ]] || die "$side binary $bin is not an executable file"
    bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
    if [[ $side == before ]]; then BEFORE=$bin; else AFTER=$bin; fi
    SIDES+=("$side")
done
((${#SIDES[@]} > 0)) || die "give VNET_BEFORE and/or VNET_AFTER"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/daemon-scale.XXXXXX")
DAEMON_PID=
cleanup() {
    if [[ -n $DAEMON_PID ]]; then
        kill -TERM "$DAEMON_PID" 2>/dev/null || true
        wait "$DAEMON_PID" 2>/dev/null || true
    fi
    rm -rf "$TMP"
}
trap cleanup EXIT

now_us() {
    local t=${EPOCHREALTIME/[.,]/}
    echo "$t"
}
median() { sort -n | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
ms() { awk -v u="$1" 'BEGIN {printf "%.1f", u / 1000}'; }

log "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p' | head -n 1)"
log "docker CLI: $("$DOCKER" --version)"
cd "$ROOT"
cargo build --quiet --release --example state_lab
lab=$TMP/lab
"$ROOT/target/release/examples/state_lab" "$N" "$lab" >&2

# The docker CLI's own start-up, no request sent.
walls=()
for ((i = 1; i <= RUNS; i++)); do
    t0=$(now_us)
    "$DOCKER" --version >/dev/null
    t1=$(now_us)
    walls+=($((t1 - t0)))
done
CLI_MS=$(ms "$(printf '%s\n' "${walls[@]}" | median)")

declare -A RESULT HWM LISTEN
LABELS=("docker network ls" "docker run -d -t --name tI --network net7 busybox" "docker run -dit --name iI --network net7 busybox")
for side in "${SIDES[@]}"; do
    if [[ $side == before ]]; then bin=$BEFORE; else bin=$AFTER; fi
    dir=$TMP/$side
    cp -r "$lab" "$dir"
    VNET_STATE_DIR=$dir "$bin" ps -q >/dev/null
    t0=$(now_us)
    VNET_STATE_DIR=$dir "$bin" daemon >"$TMP/daemon-$side.log" 2>&1 &
    DAEMON_PID=$!
    for ((i = 0; i < 6000; i++)); do
        [[ -S $dir/vnet.sock ]] && break
        sleep 0.01
    done
    [[ -S $dir/vnet.sock ]] || die "$side: the daemon did not listen: $(cat "$TMP/daemon-$side.log")"
    t1=$(now_us)
    LISTEN[$side]=$(ms $((t1 - t0)))
    host=unix://$dir/vnet.sock
    for c in "${!LABELS[@]}"; do
        walls=()
        for ((i = 1; i <= RUNS; i++)); do
            case $c in
                0) argv=(network ls) ;;
                1) argv=(run -d -t --name "t$i" --network net7 busybox) ;;
                2) argv=(run -dit --name "i$i" --network net7 busybox) ;;
            esac
            t0=$(now_us)
            "$DOCKER" -H "$host" "${argv[@]}" >/dev/null 2>"$TMP/err" || {
                echo "daemon-scale: $side: docker ${argv[*]} failed:" >&2
                cat "$TMP/err" >&2
                exit 1
            }
            t1=$(now_us)
            walls+=($((t1 - t0)))
        done
        RESULT[$c $side]=$(ms "$(printf '%s\n' "${walls[@]}" | median)")
        log "$side: ${LABELS[c]}: ${RESULT[$c $side]} ms (runs: ${walls[*]} µs)"
    done
    HWM[$side]=$(awk '/^VmHWM/ {printf "%.1f", $2 / 1024}' "/proc/$DAEMON_PID/status")
    kill -TERM "$DAEMON_PID"
    wait "$DAEMON_PID" || true
    DAEMON_PID=
    rm -rf "$dir"
done

echo
echo "| docker CLI command, lab of $N containers | before ms | after ms |"
echo "|---|---:|---:|"
for c in "${!LABELS[@]}"; do
    echo "| \`${LABELS[c]}\` | ${RESULT[$c before]:--} | ${RESULT[$c after]:--} |"
done
echo "| daemon start until its socket is there, ms | ${LISTEN[before]:--} | ${LISTEN[after]:--} |"
echo "| daemon peak RSS (VmHWM), MiB | ${HWM[before]:--} | ${HWM[after]:--} |"
echo
echo "Median of $RUNS runs, each a new docker CLI process ($("$DOCKER" --version)); \`docker --version\`, which sends no request: $CLI_MS ms."
