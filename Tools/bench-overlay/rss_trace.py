#!/usr/bin/env python3
"""Runs a command and samples its resident set size (VmRSS, /proc) every INTERVAL seconds.

    rss_trace.py [--interval 0.1] [--out TRACE.tsv] -- CMD...

Prints the peak (VmHWM) and wall time on stderr, and writes "seconds<TAB>rss_mib" lines to
--out: with plan-check's --summary timings (read, check, reproject, overlay, write, in that
order) the trace shows how much memory each stage adds (docs/figures.md, "Where the memory goes").
"""
import argparse, subprocess, sys, time

def rss_kib(pid, field):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--interval", type=float, default=0.1)
    ap.add_argument("--out")
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    args = ap.parse_args()
    cmd = args.cmd[1:] if args.cmd and args.cmd[0] == "--" else args.cmd
    start = time.monotonic()
    proc = subprocess.Popen(cmd)
    samples, peak = [], 0
    while proc.poll() is None:
        rss = rss_kib(proc.pid, "VmRSS")
        hwm = rss_kib(proc.pid, "VmHWM")
        if rss is not None:
            samples.append((time.monotonic() - start, rss / 1024))
        if hwm is not None:
            peak = max(peak, hwm)
        time.sleep(args.interval)
    wall = time.monotonic() - start
    if args.out:
        with open(args.out, "w") as f:
            for t, r in samples:
                f.write(f"{t:.2f}\t{r:.1f}\n")
    print(f"exit {proc.returncode}, wall {wall:.2f} s, peak RSS {peak / 1024:.0f} MiB", file=sys.stderr)
    sys.exit(proc.returncode)

if __name__ == "__main__":
    main()
