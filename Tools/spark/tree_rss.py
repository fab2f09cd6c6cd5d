#!/usr/bin/env python3
"""Runs a command and reports its wall time and the peak of the summed resident memory of it and
all its descendants (a Spark job is a driver, a JVM, Python workers and plan-check processes:
/usr/bin/time's maximum RSS would be the largest one alone).

    tree_rss.py LOG -- CMD ARG...

CMD's stdout and stderr go to LOG; prints one JSON line: {"status", "seconds", "peak_rss_mb",
"cpu_seconds"} (CPU of CMD and of the descendants it waited for: plan-check's own, but not a
Spark job's executors, which the JVM starts).
Memory is sampled every 0.1 s from /proc (Linux), so a peak shorter than that can be missed.
"""
import json
import os
import subprocess
import sys
import time


def children_of():
    """Parent pid -> child pids, from /proc."""
    tree = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            tree.setdefault(int(fields[1]), []).append(int(entry))
        except (OSError, IndexError, ValueError):
            pass
    return tree


def rss_bytes(pid):
    try:
        with open(f"/proc/{pid}/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, IndexError, ValueError):
        return 0


def tree_rss(root):
    tree, total, stack = children_of(), 0, [root]
    while stack:
        pid = stack.pop()
        total += rss_bytes(pid)
        stack.extend(tree.get(pid, []))
    return total


def main():
    log, separator, command = sys.argv[1], sys.argv[2], sys.argv[3:]
    if separator != "--" or not command:
        sys.exit("usage: tree_rss.py LOG -- CMD ARG...")
    began = time.monotonic()
    with open(log, "wb") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        peak = 0
        while True:
            pid, raw, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            peak = max(peak, tree_rss(process.pid))
            time.sleep(0.1)
    print(json.dumps({"status": os.waitstatus_to_exitcode(raw), "seconds": round(time.monotonic() - began, 2),
                      "peak_rss_mb": round(peak / 2**20), "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 2)}))


if __name__ == "__main__":
    main()
