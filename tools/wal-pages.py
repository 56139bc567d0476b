#!/usr/bin/env python3
"""Which tables and indexes an SQLite workload writes: reads a copy of a database and its
write-ahead log (stop the process first, e.g. `kill -STOP`, then copy `x.db`, `x.db-wal`,
`x.db-shm`), splits the log into commits, and prints, for the last N commits, the distinct pages
per commit and how many of them belong to each table or index (SQLite's `dbstat`).

    python3 tools/wal-pages.py COPY.db [N]
"""
import collections
import sqlite3
import struct
import sys


def commits(wal_path):
    wal = open(wal_path, "rb").read()
    _, _, page_size, _, salt1, salt2, _, _ = struct.unpack(">IIIIIIII", wal[:32])
    frame = 24 + page_size
    out, current = [], []
    for i in range((len(wal) - 32) // frame):
        off = 32 + i * frame
        page, db_size, s1, s2 = struct.unpack(">IIII", wal[off:off + 16])
        if (s1, s2) != (salt1, salt2):
            break  # frames of an earlier generation of the log
        current.append(page)
        if db_size:  # a commit frame ends a transaction
            out.append(current)
            current = []
    return page_size, out


def main():
    db = sys.argv[1]
    last = int(sys.argv[2]) if len(sys.argv) > 2 else 300
    page_size, txs = commits(db + "-wal")
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    owner = dict((p, n) for n, p in con.execute("SELECT name, pageno FROM dbstat"))
    txs = txs[-last:]
    if not txs:
        print("no commits in the log")
        return
    per_name = collections.Counter()
    for tx in txs:
        for page in set(tx):
            per_name[owner.get(page, "?")] += 1
    mean = sum(len(set(t)) for t in txs) / len(txs)
    print(f"page size {page_size}; {len(txs)} commits; {mean:.1f} distinct pages per commit")
    for name, n in per_name.most_common(25):
        print(f"{n / len(txs):8.1f}  {name}")


if __name__ == "__main__":
    main()
