#!/usr/bin/env python3
"""Turns package-benchmark influx CSV files (one per run) into the README's ratio tables.

For every benchmark the p50 of each run is taken, then the median over runs. Lookup benchmarks are scaled by 1000
(the CSV holds the time of 1000 operations), reload and makemap benchmarks are one operation per iteration.
Each Swift figure is divided by its C floor from the same runs (same map file, same key chains)."""
import csv
import statistics
import sys
from collections import defaultdict

values = defaultdict(lambda: defaultdict(list))  # name -> metric -> [p50 per run]
for path in sys.argv[1:]:
    with open(path) as f:
        rows = [r for r in csv.reader(f) if r and not r[0].startswith("#") and r[0] != "measurement"]
    for r in rows:
        metric, name, percentile, value = r[6], r[8], float(r[9]), float(r[10])
        if percentile == 50.0:
            values[name][metric].append(value)


def per_op(name, metric):
    runs = values.get(name, {}).get(metric)
    if not runs:
        return None
    v = statistics.median(runs)
    if metric.startswith("Time") or metric.startswith("CPU"):
        if name.startswith("makemap") or "reload" in name:
            return v  # ns per operation
        return v / 1000.0  # ns per operation (1000 operations per iteration)
    if metric.startswith("Malloc"):
        if name.startswith("makemap") or "reload" in name:
            return v
        return v / 1000.0
    return v


def floor_of(name):
    subject, _, _ = name.partition(":")
    if subject == "fetch":
        return "fetch: C floor gdbm_fetch"
    subject = subject.replace(" decision during reloads", " chain").replace(" decision reloading source idle", " chain")
    subject = subject.replace(" decision", " chain")
    return subject + ": C floor"


def fmt_ns(v):
    return "–" if v is None else (f"{v / 1e9:.2f} s" if v >= 1e8 else f"{v / 1000:.2f} µs" if v >= 1000 else f"{v:.0f} ns")


runs = max((len(m) for d in values.values() for m in d.values()), default=0)
print(f"Medians of p50 over {runs} run(s).\n")
print("| benchmark | p50 / op | C floor p50 / op | ratio to floor | mallocs / op | peak RSS MB |")
print("| --- | --- | --- | --- | --- | --- |")
for name in sorted(values):
    if name.startswith("makemap") or "C floor" in name:
        continue
    wall, cpu = per_op(name, "Time(wallclock)"), per_op(name, "Time(userCPU)")
    floor = floor_of(name)
    fw, fc = per_op(floor, "Time(wallclock)"), per_op(floor, "Time(userCPU)")
    rw = f"{wall / fw:.2f}" if wall and fw else "–"
    rc = f"{cpu / fc:.2f}" if cpu and fc else "–"
    mallocs = per_op(name, "Malloc(total)")
    rss = per_op(name, "Memory(residentpeak)")
    print(f"| {name} | {fmt_ns(wall)} | {fmt_ns(fw)} | {rw} | "
          f"{'–' if mallocs is None else f'{mallocs:.1f}'} | {'–' if rss is None else f'{rss / 1e6:.0f}' if rss > 1e5 else f'{rss:.0f}'} |")
print()
interleaved = sorted(n for n in values if "interleaved with C floor" in n)
if interleaved:
    print("| decision, interleaved with its C floor (InterleavedRatios.swift) | ratio: p50 over samples, median over runs | per run |")
    print("| --- | --- | --- |")
    for name in interleaved:
        runs = values[name].get("ratiotoCfloor(x1000)", [])
        if runs:
            print(f"| {name} | {statistics.median(runs) / 1000:.2f} | {', '.join(f'{r / 1000:.2f}' for r in runs)} |")
    print()
decision_floor = "tls_client decision: C floor from session strings"
df = per_op(decision_floor, "Time(wallclock)")
if df:
    print("| tls_client decision | p50 / op | C decision floor (from session strings) p50 / op | ratio |")
    print("| --- | --- | --- | --- |")
    for name in sorted(n for n in values if n.startswith("tls_client decision: Swift")):
        t = per_op(name, "Time(wallclock)")
        print(f"| {name} | {fmt_ns(t)} | {fmt_ns(df)} | {t / df:.2f} |")
    print()
print("| C floor | p50 / op |")
print("| --- | --- |")
for name in sorted(values):
    if "C floor" in name and not name.startswith("makemap") and "interleaved" not in name:
        print(f"| {name} | {fmt_ns(per_op(name, 'Time(wallclock)'))} |")
print()
print("| map build | wall p50 | speed-up over sendmail makemap hash | peak RSS MB (in-process only) |")
print("| --- | --- | --- | --- |")
for size in ["100k", "1M"]:
    ref = per_op(f"makemap {size}: sendmail makemap hash", "Time(wallclock)")
    for name in sorted(n for n in values if n.startswith(f"makemap {size}:")):
        t = per_op(name, "Time(wallclock)")
        rss = per_op(name, "Memory(residentpeak)") if "MapBuilder" in name else None
        speed = f"{ref / t:.2f}×" if ref and t else "–"
        print(f"| {name} | {fmt_ns(t)} | {speed} | {'–' if rss is None else f'{rss / 1e6:.0f}' if rss > 1e5 else f'{rss:.0f}'} |")
print()
print("| two threads (one decision on each per op) | speed-up over one thread (wall) |")
print("| --- | --- |")
for name in sorted(n for n in values if "x2 threads" in n):
    single = name.replace(" x2 threads", "")
    a, b = per_op(single, "Time(wallclock)"), per_op(name, "Time(wallclock)")
    print(f"| {name} | {'–' if not (a and b) else f'{2 * a / b:.2f}×'} |")
