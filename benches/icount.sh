#!/usr/bin/env bash
# Instruction-count guard for the forwarding fast path and the engine.
#
# Runs the fixed workloads of examples/icount.rs under callgrind, counting only the measured
# functions, and fails when a count grows more than 10% over benches/icount-baseline.txt.
# Instruction counts are repeatable on shared machines where wall time is not; they do
# depend on the toolchain and the locked dependencies, so refresh the baseline (--update)
# when either changes, and say so in the commit.
#
#   bash benches/icount.sh            # check
#   bash benches/icount.sh --update   # write the baseline from this run
set -euo pipefail
cd "$(dirname "$0")/.."
baseline=benches/icount-baseline.txt
if ! command -v valgrind >/dev/null; then
  echo "icount: valgrind is not installed; the instruction-count guard cannot run" >&2
  exit 1
fi
cargo build --release --locked --quiet --example icount
bin=target/release/examples/icount
declare -A counts
for w in forward overlay e2e; do
  n=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null --toggle-collect='*measured_*' \
        "$bin" "$w" 2>&1 | sed -n 's/^==[0-9]*== Collected : //p')
  [ -n "$n" ] || { echo "icount: no count for $w" >&2; exit 1; }
  counts[$w]=$n
done
if [ "${1:-}" = --update ]; then
  {
    echo "# instructions per workload (examples/icount.rs), $(rustc --version)"
    for w in forward overlay e2e; do echo "$w ${counts[$w]}"; done
  } > "$baseline"
  echo "icount: wrote $baseline"
  cat "$baseline"
  exit 0
fi
fail=0
for w in forward overlay e2e; do
  base=$(awk -v w="$w" '$1 == w { print $2 }' "$baseline")
  [ -n "$base" ] || { echo "icount: $w missing from $baseline" >&2; exit 1; }
  now=${counts[$w]}
  pct=$(awk -v a="$now" -v b="$base" 'BEGIN { printf "%+.1f", (a - b) * 100 / b }')
  if awk -v a="$now" -v b="$base" 'BEGIN { exit !(a > b * 1.10) }'; then
    echo "icount: $w: $now instructions, $pct% over the baseline $base (limit +10%)" >&2
    fail=1
  else
    echo "icount: $w: $now instructions ($pct% against $base)"
  fi
done
# What VXLAN adds to a frame, against the plain bridge (the overlay issue's bound: 1.3x).
awk -v f="${counts[forward]}" -v o="${counts[overlay]}" \
  'BEGIN { printf "icount: overlay/forward = %.2f instructions per frame\n", o / f }'
exit $fail
