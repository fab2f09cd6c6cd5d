"""End to end through the command line: one `plan-check query` process per site.

    python3 cli_query.py PLAN_CHECK REGISTRY.gpkg SITES_DIR ANSWERS_DIR [--limit N] [--at YYYY-MM-DD]

Runs `plan-check query --registry REGISTRY --at DATE --format json SITE` for the first N sites
(sorted by name), one after the other, and times each from fork to exit (process start, reading
the registry's rule set, the site, the answer, the JSON). Exit 0 or 1 (may or may not proceed) is
expected; the answer goes to ANSWERS_DIR/SITE.json for check_answers.py. Prints the summary line,
with the largest peak RSS of the processes.
"""
import os
import resource
import subprocess
import sys
import time

import benchlib

binary, registry, sites, answers = sys.argv[1:5]
opt = lambda name, default: sys.argv[sys.argv.index(name) + 1] if name in sys.argv else default
limit = int(opt("--limit", "300"))
at = opt("--at", "2026-12-01")
os.makedirs(answers, exist_ok=True)

latencies = []
exits = {0: 0, 1: 0}
paths = benchlib.site_paths(sites, limit)
subprocess.run([binary, "query", "--registry", registry, "--at", at, "--format", "json", paths[0]],
               stdout=subprocess.DEVNULL)  # warm the page cache
start = time.perf_counter()
for path in paths:
    t = time.perf_counter()
    done = subprocess.run([binary, "query", "--registry", registry, "--at", at, "--format", "json", path],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    latencies.append((time.perf_counter() - t) * 1000)
    if done.returncode not in (0, 1):
        sys.exit(f"{path}: exit {done.returncode}: {done.stderr.decode()}")
    exits[done.returncode] += 1
    with open(os.path.join(answers, os.path.basename(path).replace(".geojson", ".json")), "wb") as f:
        f.write(done.stdout)
wall = time.perf_counter() - start
print(benchlib.summary(latencies, wall, exit0=exits[0], exit1=exits[1],
                       peak_rss_kb=resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))
