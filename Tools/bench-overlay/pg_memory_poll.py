"""Peak memory of a PostgreSQL server's backends, sampled from /proc (for postgis_overlay.sh).

    python3 pg_memory_poll.py POSTMASTER_PID OUT_FILE

Every 50 ms, finds the postmaster's children that do the work (client backends and parallel
workers, not the checkpointer, writers or launchers) and reads their VmHWM (peak resident set
size, which includes the shared-buffer pages each one touched). On SIGTERM writes one line to
OUT_FILE: `max_backend_kb=` (largest single backend) and `max_sum_kb=` (largest sum over the
backends alive at the same moment), and the command lines of the processes seen.
"""
import os
import signal
import sys
import time

postmaster, out_path = int(sys.argv[1]), sys.argv[2]
AUXILIARY = ("checkpointer", "background writer", "walwriter", "autovacuum launcher",
             "logical replication launcher", "stats collector", "archiver", "logger")
peak = {}      # pid -> max VmHWM kB seen
names = {}
max_sum = 0
running = True


def stop(*_):
    global running
    running = False


signal.signal(signal.SIGTERM, stop)


def children():
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            if int(fields[1]) != postmaster:
                continue
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace").strip()
            if any(a in cmd for a in AUXILIARY):
                continue
            yield int(entry), cmd
        except (OSError, IndexError, ValueError):
            continue


while running:
    total = 0
    for pid, cmd in children():
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        kb = int(line.split()[1])
                        peak[pid] = max(peak.get(pid, 0), kb)
                        names[pid] = cmd
                        total += kb
                        break
        except OSError:
            continue
    max_sum = max(max_sum, total)
    time.sleep(0.05)

with open(out_path, "w") as f:
    f.write(f"max_backend_kb={max(peak.values(), default=0)} max_sum_kb={max_sum} processes={len(peak)}\n")
    for pid in sorted(peak):
        f.write(f"  {pid} {peak[pid]} kB {names[pid]}\n")
