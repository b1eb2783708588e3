#!/usr/bin/env bash
# Runs every benchmark RUNS times (default 3) in one session and prints the README's ratio tables from the
# medians: package-benchmark (all targets) with influx CSV output per run, then the interleaved CPU-time ratio
# mode of LookupBenchmarks once. Usage: scripts/run-all.sh [RUNS] [OUTDIR]
set -eu
cd "$(dirname "$0")/.."
runs=${1:-3}
out=${2:-.benchmarks-out}
mkdir -p "$out"
for i in $(seq 1 "$runs"); do
    echo "== run $i/$runs ($(date -u +%H:%M:%S), load $(cut -d' ' -f1-3 /proc/loadavg))" >&2
    swift package --allow-writing-to-directory "$out" benchmark --no-progress --format influx --path "$out/run$i" \
        > "$out/run$i.log" 2>&1 || { tail -20 "$out/run$i.log" >&2; exit 1; }
done
python3 scripts/ratios.py "$out"/run*/Current_run.influx.csv
echo
echo "Interleaved CPU-time ratios (15 rounds):"
ACCESSPOLICY_PROFILE=15 .build/release/LookupBenchmarks 2>&1 | grep -v '^\s*$'
