#!/usr/bin/env python3
"""When the slow requests of a benchmark were sent, beside what the server's log says it was doing
then: reads the CSV of `minsheng bench --latencies FILE` (or `bench-pool`) and the server's log
(the benchmark's own output with, say, `RUST_LOG=store::wal=trace`), and prints, in time order,
every 50 ms in which requests slower than the threshold were sent, and every log line that names a
duration (`us=…`) with the interval it covers.

    RUST_LOG=store::wal=trace minsheng bench --rate 2000 --latencies lat.csv > run.log 2>&1
    python3 tools/slow-requests.py lat.csv run.log [threshold_ms, default 25]
"""
import collections
import csv
import datetime
import re
import sys

STAMP = re.compile(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+)Z\s+\S+\s+(.*)")
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def seconds(stamp):
    """Seconds since the epoch of a UTC stamp as the log and the CSV write it (µs precision)."""
    t = datetime.datetime.strptime(stamp[:26], "%Y-%m-%dT%H:%M:%S.%f")
    return t.replace(tzinfo=datetime.timezone.utc).timestamp()


def main(lat_path, log_path, threshold_ms=25.0):
    rows = list(csv.DictReader(open(lat_path)))
    if not rows:
        sys.exit(f"{lat_path}: no requests")
    t0 = seconds(rows[0]["sent_utc"].rstrip("Z"))
    slow = collections.defaultdict(list)
    for r in rows:
        if float(r["latency_ms"]) > threshold_ms:
            at = seconds(r["sent_utc"].rstrip("Z")) - t0
            slow[(r["phase"], int(at * 20))].append(float(r["latency_ms"]))
    lines = []
    for (phase, bucket), lats in slow.items():
        lines.append((bucket / 20, f"slow   {phase:<13} {bucket / 20:8.2f} s  {len(lats):5d} over {threshold_ms:g} ms, longest {max(lats):.1f} ms"))
    for line in open(log_path, errors="replace"):
        line = ANSI.sub("", line)
        m = STAMP.match(line)
        us = re.search(r"\bus=(\d+)", line)
        if not m or not us:
            continue
        end = seconds(m.group(1)) - t0
        start = end - int(us.group(1)) / 1e6
        lines.append((start, f"  log  {start:8.3f}–{end:.3f} s  {m.group(2)[:90]}"))
    for _, text in sorted(lines):
        print(text)
    total = sum(len(v) for v in slow.values())
    print(f"{total} of {len(rows)} requests over {threshold_ms:g} ms")


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2], float(sys.argv[3]) if len(sys.argv) > 3 else 25.0)
