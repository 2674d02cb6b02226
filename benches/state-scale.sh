#!/usr/bin/env bash
# What one vnet command costs as the lab grows: wall time and peak memory of single CLI
# commands on a state of N running containers (N = 100, 10000, 100000 by default), for two
# vnet binaries side by side, "before" and "after" (e.g. the state.json store and the
# database store), on the same machine in the same run.
#
# For each N the lab is generated once in-process by `examples/state_lab.rs` (the scale
# workload: containers c0.. over N/100 bridge networks net0.., written as a version-2
# state.json), then copied into a fresh state directory per binary. The first command each
# binary runs on that copy is timed on its own (a binary that migrates the state on first use
# pays for it there); then every command below runs RUNS times and the table gives the median
# wall time (bash's EPOCHREALTIME read around the process, /usr/bin/time's own start-up
# included, about 1 ms) and the median peak RSS (/usr/bin/time -f %M):
#   run -dit --name newI --network net7 busybox    (a new name each run; -it keeps busybox's
#                                                  sh running, as the lab's containers are)
#   network connect net3 c42                       (disconnected again between runs, untimed)
#   exec c5 ping -c 1 c6
#   inspect c77
#   network ls
#   ps --filter name=c99                           (a substring: c99, c990.., c9900..)
# With N < 800 the networks named above do not all exist: the last network stands in for
# net7, and `bridge` for net3. Then the state's size on disk: the generated state.json, and
# each binary's directory after its runs, in all and file by file (state.json; or state.db
# with its -wal while present, and the state.json.bak a migration keeps).
#
# With BUILD_RUNS=N it also builds a lab of N containers through each binary, one process per
# command (`network create --subnet 10.H.L.0/24 netK`, then `run -dit --name cI --network
# netK busybox`), and reports the total wall seconds. The before binary's cost per command grows
# with the lab, so this takes a while for it at 10000.
#
# Usage (from anywhere; relative paths are from the current directory):
#   VNET_BEFORE=/path/to/old/vnet bash benches/state-scale.sh
#   VNET_BEFORE=/path/to/old/vnet VNET_AFTER=/path/to/new/vnet SIZES="100 1000" bash benches/state-scale.sh
#   VNET_AFTER= VNET_BEFORE=/path/to/old/vnet BUILD_RUNS=10000 bash benches/state-scale.sh
# Settings (environment):
#   VNET_BEFORE   the "before" binary; unset or empty: no before column
#   VNET_AFTER    the "after" binary (default: this repository's target/release/vnet, built
#                 beforehand with cargo build --release);
#                 empty: no after column
#   SIZES         container counts (default "100 10000 100000"; empty: no per-command table)
#   RUNS          timed runs per command (default 5)
#   SLOW_RUNS     runs per command for the before binary at N >= 100000 (default 3)
#   BUILD_RUNS    also build a lab of this many containers command by command (default: no)
#   SEED          the labs' seed (default: vnet's default seed)
# Needs: bash >= 5 (EPOCHREALTIME), GNU /usr/bin/time, cargo. Temporary state directories
# live under ${TMPDIR:-/tmp} and are removed on exit; the 100000 lab takes about 160 MB a copy.

set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

SIZES=${SIZES-"100 10000 100000"}
RUNS=${RUNS:-5}
SLOW_RUNS=${SLOW_RUNS:-3}
BUILD_RUNS=${BUILD_RUNS:-}
SEED=${SEED:-}
BEFORE=${VNET_BEFORE:-}
AFTER=${VNET_AFTER-$ROOT/target/release/vnet}
TIME=/usr/bin/time

die() {
    echo "state-scale: $*" >&2
    exit 2
}
log() { echo "# $*" >&2; }

[[ -n ${EPOCHREALTIME:-} ]] || die "needs bash >= 5 (EPOCHREALTIME)"
[[ -x $TIME ]] || die "needs GNU time at $TIME"

# The binaries, as absolute paths; SIDES names the columns that run.
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
bin_of() { if [[ $1 == before ]]; then echo "$BEFORE"; else echo "$AFTER"; fi; }

TMP=$(mktemp -d "${TMPDIR:-/tmp}/state-scale.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

now_us() {
    local t=${EPOCHREALTIME/[.,]/}
    echo "$t"
}

# measure DIR BIN ARGS..: runs `BIN ARGS..` on state directory DIR once. Sets WALL_US and
# RSS_KIB; a failing command is reported (its stderr) and fails the script.
measure() {
    local dir=$1 t0 t1 rc=0
    shift
    t0=$(now_us)
    VNET_STATE_DIR=$dir "$TIME" -f %M -o "$TMP/rss" "$@" >"$TMP/out" 2>"$TMP/err" || rc=$?
    t1=$(now_us)
    if ((rc != 0)); then
        echo "state-scale: '${*:2}' failed (exit $rc) on $dir:" >&2
        cat "$TMP/err" >&2
        exit 1
    fi
    WALL_US=$((t1 - t0))
    RSS_KIB=$(tail -n 1 "$TMP/rss")
}

# untimed DIR BIN ARGS..: runs a command whose cost is not measured; it must succeed.
untimed() {
    local dir=$1
    shift
    VNET_STATE_DIR=$dir "$@" >/dev/null 2>"$TMP/err" || {
        echo "state-scale: '${*:2}' failed on $dir:" >&2
        cat "$TMP/err" >&2
        exit 1
    }
}

median() { sort -n | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
ms() { awk -v u="$1" 'BEGIN {printf "%.1f", u / 1000}'; }
mib() { awk -v k="$1" 'BEGIN {printf "%.1f", k / 1024}'; }
mib_bytes() { awk -v b="$1" 'BEGIN {printf "%.1f", b / 1048576}'; }

# RESULT[key] = "ms|MiB", key = "CMDINDEX N SIDE"; LABEL[CMDINDEX N] = the command as run.
declare -A RESULT LABEL SIZE_JSON SIZE_DIR SIZE_FILES
COMMANDS=(first run connect exec inspect netls ps)

# bench_side N SIDE LAB: copies LAB and times every command on it with SIDE's binary.
bench_side() {
    local n=$1 side=$2 lab=$3 bin dir runs nets netrun netconn i c key
    bin=$(bin_of "$side")
    dir=$TMP/$side-$n
    rm -rf "$dir"
    cp -r "$lab" "$dir"
    runs=$RUNS
    [[ $side == before ]] && ((n >= 100000)) && runs=$SLOW_RUNS
    nets=$(((n + 99) / 100))
    netrun=net$((nets > 7 ? 7 : nets - 1))
    if ((nets > 3)); then netconn=net3; else netconn=bridge; fi

    # One argv per command; run's name changes per run.
    local -a argv
    for c in "${!COMMANDS[@]}"; do
        local walls=() rsss=()
        for ((i = 1; i <= runs; i++)); do
            case ${COMMANDS[c]} in
                first) argv=(ps --filter name=c0) ;;
                run) argv=(run -dit --name "new$i" --network "$netrun" busybox) ;;
                connect) argv=(network connect "$netconn" c42) ;;
                exec) argv=(exec c5 ping -c 1 c6) ;;
                inspect) argv=(inspect c77) ;;
                netls) argv=(network ls) ;;
                ps) argv=(ps --filter name=c99) ;;
            esac
            measure "$dir" "$bin" "${argv[@]}"
            walls+=("$WALL_US")
            rsss+=("$RSS_KIB")
            if [[ ${COMMANDS[c]} == connect ]]; then
                untimed "$dir" "$bin" network disconnect "$netconn" c42
            fi
            [[ ${COMMANDS[c]} == first ]] && break
        done
        key="$c $n"
        if [[ ${COMMANDS[c]} == first ]]; then
            LABEL[$key]="first command on the copied lab: ${argv[*]}"
        elif [[ ${COMMANDS[c]} == run ]]; then
            LABEL[$key]="run -dit --name newI --network $netrun busybox"
        else
            LABEL[$key]="${argv[*]}"
        fi
        RESULT[$key $side]="$(ms "$(printf '%s\n' "${walls[@]}" | median)")|$(mib "$(printf '%s\n' "${rsss[@]}" | median)")"
        log "$side N=$n ${LABEL[$key]}: ${RESULT[$key $side]} (ms|MiB, ${#walls[@]} runs)"
    done
    SIZE_DIR[$n $side]=$(du -sb "$dir" | cut -f1)
    # Each file of the state directory with its size (state.json; or state.db, its -wal and
    # -shm while present, and state.json.bak after a migration).
    local f files=()
    for f in "$dir"/*; do
        [[ -f $f ]] && files+=("$(basename "$f") $(mib_bytes "$(stat -c %s "$f")")")
    done
    SIZE_FILES[$n $side]=$(IFS=,; echo "${files[*]}" | sed 's/,/, /g')
    rm -rf "$dir"
}

log "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p' | head -n 1)"
for side in "${SIDES[@]}"; do log "$side: $(bin_of "$side")"; done
cd "$ROOT"

if [[ -n $SIZES ]]; then
    log "building the lab generator (cargo build --release --example state_lab)"
    cargo build --quiet --release --example state_lab
fi
GEN=$ROOT/target/release/examples/state_lab
seed_args=()
[[ -n $SEED ]] && seed_args=(--seed "$SEED")

for n in $SIZES; do
    lab=$TMP/lab-$n
    log "generating N=$n"
    "$GEN" "$n" "$lab" "${seed_args[@]}" >&2
    SIZE_JSON[$n]=$(stat -c %s "$lab/state.json")
    for side in "${SIDES[@]}"; do
        bench_side "$n" "$side" "$lab"
    done
    rm -rf "$lab"
done

# The tables.
cell() { local v=${RESULT[$1]:-}; if [[ -n $v ]]; then echo "${v%|*} | ${v#*|}"; else echo "- | -"; fi; }
if [[ -n $SIZES ]]; then
    echo
    echo "| command | N | before ms | before MiB | after ms | after MiB |"
    echo "|---|---:|---:|---:|---:|---:|"
    for c in "${!COMMANDS[@]}"; do
        for n in $SIZES; do
            echo "| \`${LABEL[$c $n]}\` | $n | $(cell "$c $n before") | $(cell "$c $n after") |"
        done
    done
    echo
    echo "Median of $RUNS runs (before binary at N >= 100000: $SLOW_RUNS; the first command: 1)."
    echo
    echo "| N | generated state.json MiB | before dir MiB | after dir MiB | before files MiB | after files MiB |"
    echo "|---:|---:|---:|---:|---|---|"
    for n in $SIZES; do
        row="| $n | $(mib_bytes "${SIZE_JSON[$n]}")"
        for side in before after; do
            if [[ -n ${SIZE_DIR[$n $side]:-} ]]; then
                row+=" | $(mib_bytes "${SIZE_DIR[$n $side]}")"
            else
                row+=" | -"
            fi
        done
        for side in before after; do
            row+=" | ${SIZE_FILES[$n $side]:--}"
        done
        echo "$row |"
    done
    echo
    echo "Directory sizes are apparent bytes (du -sb) after the timed runs, and so are the files'."
fi

# Building a lab command by command.
if [[ -n $BUILD_RUNS ]]; then
    n=$BUILD_RUNS
    nets=$(((n + 99) / 100))
    echo
    echo "| build $n containers, one command each | networks s | containers s | total s | first 100 runs ms/run | last 100 runs ms/run |"
    echo "|---|---:|---:|---:|---:|---:|"
    for side in "${SIDES[@]}"; do
        bin=$(bin_of "$side")
        dir=$TMP/build-$side
        rm -rf "$dir"
        mkdir -p "$dir"
        untimed "$dir" "$bin" "${seed_args[@]}" ps
        log "$side: building $n containers over $nets networks"
        t0=$(now_us)
        for ((k = 0; k < nets; k++)); do
            untimed "$dir" "$bin" network create --subnet "10.$((k / 256)).$((k % 256)).0/24" "net$k"
        done
        t1=$(now_us)
        head_us=0
        tail_us=0
        for ((i = 0; i < n; i++)); do
            s=$(now_us)
            untimed "$dir" "$bin" run -dit --name "c$i" --network "net$((i / 100))" busybox
            e=$(now_us)
            ((i < 100)) && head_us=$((head_us + e - s))
            ((i >= n - 100)) && tail_us=$((tail_us + e - s))
            if (((i + 1) % 1000 == 0)); then log "$side: $((i + 1)) containers, $(ms $(((e - t0) / 1000))) s"; fi
        done
        t2=$(now_us)
        count=$(VNET_STATE_DIR=$dir "$bin" ps -q | wc -l)
        ((count == n)) || die "$side: ps lists $count containers, not $n"
        per=$((n < 100 ? n : 100))
        printf '| %s | %.1f | %.1f | %.1f | %.1f | %.1f |\n' "$side" \
            "$(awk -v u=$((t1 - t0)) 'BEGIN {print u / 1e6}')" \
            "$(awk -v u=$((t2 - t1)) 'BEGIN {print u / 1e6}')" \
            "$(awk -v u=$((t2 - t0)) 'BEGIN {print u / 1e6}')" \
            "$(awk -v u=$head_us -v p=$per 'BEGIN {print u / p / 1000}')" \
            "$(awk -v u=$tail_us -v p=$per 'BEGIN {print u / p / 1000}')"
        rm -rf "$dir"
    done
fi
