#!/usr/bin/env bash
# Builds and runs the stand-alone C floor on the generated 1M-line map and its tls_client key chains (generate
# them first with `swift package benchmark` or scripts/run-all.sh). Usage: scripts/c-floor.sh [ROUNDS]
set -eu
cd "$(dirname "$0")/.."
data=${ACCESSPOLICY_BENCH_DATA:-.data}
stem=$(ls "$data"/access-1000000-s*-v*.db | head -1)
stem=${stem%.db}
cc -O2 -I Sources/CFloor/include -o "$data/c_floor" scripts/c_floor_main.c Sources/CFloor/cfloor.c -lgdbm -lpthread
"$data/c_floor" "$stem.db" "$stem.tls_client.chains" "${1:-5}"
