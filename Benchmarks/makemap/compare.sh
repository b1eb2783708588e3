#!/usr/bin/env bash
# Builds the same generated access file with sendmail's `makemap hash`, with a plain C program making the same
# gdbm_store calls (in file order, and in GDBM bucket order), and with `accesspolicy makemap gdbm` (release build),
# and reports wall time, speed-up and peak RSS (/usr/bin/time -v) for each, all in one run.
#
#   Benchmarks/makemap/compare.sh [LINES] [SEED]        (defaults: 1000000 20261122; REPEAT=n runs each n times)
#
# The input comes from gen_access.c (deterministic, seeded); nothing generated is written inside the repository:
# everything goes to a temporary directory under /var/tmp (sendmail refuses maps in world-writable /tmp).
set -euo pipefail
cd "$(dirname "$0")/../.."
lines=${1:-1000000}
seed=${2:-20261122}
repeat=${REPEAT:-1}

scripts/setup.sh >/dev/null
if [ ! -x /usr/bin/time ]; then
  echo "compare: installing GNU time" >&2
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get install -y -qq time >/dev/null
fi

work=$(mktemp -d -p /var/tmp makemap-bench.XXXXXX)
chmod 755 "$work"
trap 'rm -rf "$work"' EXIT

cc -O2 -Wall -o "$work/gen_access" Benchmarks/makemap/gen_access.c
cc -O2 -Wall -o "$work/gdbm_store_floor" Benchmarks/makemap/gdbm_store_floor.c -lgdbm
swift build -c release --product accesspolicy >/dev/null
ours=$(swift build -c release --show-bin-path)/accesspolicy

"$work/gen_access" "$lines" "$seed" > "$work/access.txt"
echo "input: $(wc -l < "$work/access.txt") lines, $(wc -c < "$work/access.txt") bytes (gen_access $lines $seed)"
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"

# measure NAME COMMAND... : runs the command with stdin from the input, records seconds and peak KB.
declare -A wall rss cpu
measure() {
  local name=$1; shift
  local best=""
  for _ in $(seq "$repeat"); do
    rm -f "$work"/out.*
    /usr/bin/time -v -o "$work/time.txt" "$@" < "$work/access.txt" >/dev/null 2>"$work/stderr.txt" || {
      echo "$name failed:"; cat "$work/stderr.txt"; exit 1; }
    local t; t=$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s }' "$work/time.txt")
    local m; m=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$work/time.txt")
    local c; c=$(awk -F': ' '/User time|System time/ { s += $2 } END { print s }' "$work/time.txt")
    if [ -z "$best" ] || awk -v a="$t" -v b="$best" 'BEGIN { exit !(a < b) }'; then best=$t; rss[$name]=$m; cpu[$name]=$c; fi
  done
  wall[$name]=$best
}

names=()
if command -v makemap >/dev/null 2>&1; then
  measure "sendmail makemap hash" makemap hash "$work/out.sendmail"; names+=("sendmail makemap hash")
  makemap -u hash "$work/out.sendmail" 2>/dev/null | LC_ALL=C sort > "$work/sendmail.txt"
fi
measure "C gdbm_store, file order" "$work/gdbm_store_floor" "$work/out.c.db"; names+=("C gdbm_store, file order")
measure "C gdbm_store, bucket order" "$work/gdbm_store_floor" --sorted --block 8192 "$work/out.c.db"
names+=("C gdbm_store, bucket order")
measure "accesspolicy makemap gdbm" "$ours" makemap gdbm "$work/out.ours"; names+=("accesspolicy makemap gdbm")

# Same content as sendmail's map?
"$ours" makemap -u gdbm "$work/out.ours" | LC_ALL=C sort > "$work/ours.txt"
if [ -f "$work/sendmail.txt" ]; then
  if cmp -s "$work/sendmail.txt" "$work/ours.txt"; then same="identical key/value pairs"; else same="DIFFERENT pairs"; fi
  echo "accesspolicy makemap -u vs sendmail makemap -u: $same ($(wc -l < "$work/ours.txt") records)"
fi

reference=${wall["sendmail makemap hash"]:-}
ourtime=${wall["accesspolicy makemap gdbm"]}
printf '\n%-28s %9s %14s %12s %14s\n' "builder" "wall (s)" "user+sys (s)" "peak RSS MB" "wall vs ours"
for name in "${names[@]}"; do
  printf '%-28s %9.2f %14.2f %12.1f %13.2fx\n' "$name" "${wall[$name]}" "${cpu[$name]}" \
    "$(awk -v k="${rss[$name]}" 'BEGIN { print k / 1024 }')" "$(awk -v a="${wall[$name]}" -v b="$ourtime" 'BEGIN { print a / b }')"
done
if [ -n "$reference" ]; then
  echo
  awk -v s="$reference" -v o="$ourtime" 'BEGIN { printf "accesspolicy is %.1fx faster than sendmail makemap hash (goal: >= 5x)\n", s / o }'
fi
