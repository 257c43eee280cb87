#!/usr/bin/env python3
"""Which mappings of a process grow: Rss per mapping from /proc/PID/smaps, over time (issue 16, item 10).

  tests/bench/smaps_diff.py watch PID [INTERVAL_S] [OUT_DIR]   snapshot every INTERVAL_S (30) until PID exits;
                                                               each line: the mappings whose Rss moved most since
                                                               the first snapshot; OUT_DIR keeps the raw snapshots
  tests/bench/smaps_diff.py diff A B                           the same table between two saved snapshots

Mappings are keyed by name (file path, [heap], [stack], [anon]...) plus start address for anonymous ones, so
that an arena or a thread stack that comes and goes shows as +/- its own row. Linux only; prints figures, asserts
nothing. Pair it with tests/bench/soak.sh (it prints the smartbotd pid).
"""
import os
import re
import sys
import time

HEAD = re.compile(r"^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \S+\s*(.*)$")


def read_smaps(pid):
    """{key: (rss_kib, size_kib, anon_kib)}; key = (name, start) for anonymous, (name,) for named mappings."""
    out = {}
    key = None
    with open(f"/proc/{pid}/smaps") as f:
        for line in f:
            m = HEAD.match(line)
            if m:
                start, end, perms, name = m.group(1), m.group(2), m.group(3), m.group(4).strip()
                size = (int(end, 16) - int(start, 16)) // 1024
                if not name or name.startswith("[anon"):
                    key = (name or "[anon]", start, perms)
                else:
                    key = (name, perms)
                rss, total, anon = out.get(key, (0, 0, 0))
                out[key] = (rss, total + size, anon)
            elif key is not None and line.startswith("Rss:"):
                r, s, a = out[key]
                out[key] = (r + int(line.split()[1]), s, a)
            elif key is not None and line.startswith("Anonymous:"):
                r, s, a = out[key]
                out[key] = (r, s, a + int(line.split()[1]))
    return out


def save(snap, path):
    with open(path, "w") as f:
        for k, (r, s, a) in snap.items():
            f.write("\t".join(k) + f"\t|{r}\t{s}\t{a}\n")


def load(path):
    snap = {}
    with open(path) as f:
        for line in f:
            k, v = line.rstrip("\n").split("\t|")
            snap[tuple(k.split("\t"))] = tuple(int(x) for x in v.split("\t"))
    return snap


def label(k):
    return " ".join(k[:1] + k[2:] if len(k) == 3 else k)[-60:] + (f" @{k[1]}" if len(k) == 3 else "")


def diff(a, b, top=8):
    total_a = sum(v[0] for v in a.values())
    total_b = sum(v[0] for v in b.values())
    rows = []
    for k in set(a) | set(b):
        ra, sa, _ = a.get(k, (0, 0, 0))
        rb, sb, _ = b.get(k, (0, 0, 0))
        if ra != rb or sa != sb:
            rows.append((rb - ra, ra, rb, sa, sb, k))
    rows.sort(key=lambda r: -abs(r[0]))
    print(f"total Rss {total_a / 1024:.1f} -> {total_b / 1024:.1f} MiB ({(total_b - total_a) / 1024:+.1f}); "
          f"{len(a)} -> {len(b)} mappings")
    for d, ra, rb, sa, sb, k in rows[:top]:
        print(f"  {d / 1024:+8.2f} MiB  Rss {ra / 1024:8.1f} -> {rb / 1024:8.1f}  size {sa / 1024:8.1f} -> "
              f"{sb / 1024:8.1f}  {label(k)}")


def main():
    if len(sys.argv) >= 3 and sys.argv[1] == "diff":
        diff(load(sys.argv[2]), load(sys.argv[3]), top=20)
        return
    if len(sys.argv) < 3 or sys.argv[1] != "watch":
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    pid = int(sys.argv[2])
    interval = float(sys.argv[3]) if len(sys.argv) > 3 else 30
    out_dir = sys.argv[4] if len(sys.argv) > 4 else None
    if out_dir:
        os.makedirs(out_dir, exist_ok=True)
    first = None
    t0 = time.time()
    while True:
        try:
            snap = read_smaps(pid)
        except (FileNotFoundError, ProcessLookupError):
            break
        t = time.time() - t0
        if out_dir:
            save(snap, os.path.join(out_dir, f"smaps-{int(t):06d}.tsv"))
        if first is None:
            first = snap
            print(f"{t:6.0f} s  first snapshot: {sum(v[0] for v in snap.values()) / 1024:.1f} MiB Rss", flush=True)
        else:
            print(f"{t:6.0f} s  since the first snapshot: ", end="")
            diff(first, snap)
            sys.stdout.flush()
        time.sleep(interval)


if __name__ == "__main__":
    main()
