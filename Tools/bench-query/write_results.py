"""Writes Tools/bench-query/RESULTS.md from one run of run.sh (its results.txt, env.txt and
check.txt): the registry, the latency table with ratios, agreement, versions and the command.

    python3 write_results.py RESULTS.txt ENV.txt CHECK.txt > RESULTS.md
"""
import sys

results_path, env_path, check_path = sys.argv[1:4]
rows = {}
for line in open(results_path):
    name, *fields = line.split()
    rows[name] = dict(f.split("=", 1) for f in fields)
env = {}
for line in open(env_path):
    key, value = line.rstrip("\n").split(" ", 1)
    env.setdefault(key, []).append(value)
check = open(check_path).read().rstrip()

reg, inputs = rows["registry"], rows["inputs"]
mb = int(reg["bytes"]) / 1e6
base = rows["engine-1"]
LABELS = [
    ("engine-1", "plan-check, in process (`plan-check-bench-query`), 1 task"),
    ("engine-2", "plan-check, in process, 2 tasks"),
    ("serve-1", "plan-check serve, HTTP POST, 1 client"),
    ("serve-2", "plan-check serve, HTTP POST, 2 clients"),
    ("serve-4", "plan-check serve, HTTP POST, 4 clients"),
    ("cli", "plan-check query, one process per site"),
    ("geopandas", "GeoPandas/shapely, in process, 1 thread"),
    ("postgis-1", "PostGIS, prepared SQL from psql, 1 client"),
    ("postgis-2", "PostGIS, prepared SQL from psql, 2 clients"),
]


def ratio(x):
    return f"{x:.2f}×" if x >= 0.1 else f"{x:.3f}×"


def rss(r):
    for key in ("peak_rss_kb", "server_peak_rss_kb", "backend_peak_rss_kb"):
        if key in r and int(r[key]) > 0:
            return f"{int(r[key]) / 1024:.0f}"
    return "-"


out = []
w = out.append
w("# Query benchmark: plan-check against PostGIS and GeoPandas, per applicant's site")
w("")
w("Written by `Tools/bench-query/run.sh` (do not edit: run it again). What is measured and why:")
w("`Tools/bench-query/README.md`.")
w("")
w("```sh")
w(f"{env['command'][0]}        # run on {env['date'][0]}")
w("```")
w("")
w("## The registry")
w("")
w(f"- **{int(reg['regions']):,} regions × {reg['items']} items** ({int(reg['item_records']):,} item records), "
  f"**{int(reg['zones']):,} outcome zones**; the GeoPackage is **{mb:.1f} MB** "
  f"(zone geometries {int(reg['zone_geometry_bytes']) / 1e6:.1f} MB).")
w(f"- Built by `plan-check assess` in {float(reg['assess_s']):.1f} s, peak RSS {int(reg['assess_peak_rss_kb']) / 1024:.0f} MB, "
  "from a 40 km × 25 km district in EPSG:4529 (`make_registry_inputs.py`, seed 4529): "
  + ", ".join(f"{k} {int(v):,}" for k, v in inputs.items() if not k.startswith("sites_")) + " polygons.")
sites = {k[6:]: v for k, v in inputs.items() if k.startswith("sites_")}
w(f"- Sites: {sum(int(v) for v in sites.values()):,} of 1-10 ha ("
  + ", ".join(f"{v} {k}" for k, v in sites.items()) + "); the CLI answers the first "
  + f"{rows['cli']['queries']} of them. Every tool answers each site once after a short warm-up.")
w("")
w("## Latency per site")
w("")
w("Milliseconds per query; ratios are the tool's figure over plan-check's in-process 1-task figure "
  "(above 1: slower than plan-check). Peak RSS: the process that answers (for serve the server, for "
  "PostGIS the largest backend, for the CLI the largest of its processes).")
w("")
w("| tool | queries | p50 (ms) | p90 (ms) | p99 (ms) | max (ms) | queries/s | p50 / plan-check | p99 / plan-check | peak RSS (MB) |")
w("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
for key, label in LABELS:
    r = rows.get(key)
    if not r:
        continue
    w(f"| {label} | {int(r['queries']):,} | {float(r['p50_ms']):.2f} | {float(r['p90_ms']):.2f} | {float(r['p99_ms']):.2f} "
      f"| {float(r['max_ms']):.2f} | {float(r['qps']):.0f} | {ratio(float(r['p50_ms']) / float(base['p50_ms']))} "
      f"| {ratio(float(r['p99_ms']) / float(base['p99_ms']))} | {rss(r)} |")
w("")
w(f"- Set-up, not in the latencies: plan-check prepares its engine in {float(base['prepare_s']):.2f} s "
  f"(`serve` does this once at start); GeoPandas reads the registry and builds its trees in "
  f"{float(rows['geopandas']['prepare_s']):.2f} s; PostGIS loads it with ogr2ogr (GiST) in "
  f"{float(rows['postgis-1']['load_s']):.1f} s.")
w(f"- Sites that may proceed (every item reuse/conditional, no critical patch): "
  f"{base['may_proceed']} of {base['queries']}; CLI exit 0 / 1: {rows['cli']['exit0']} / {rows['cli']['exit1']}.")
w("")
if "scale-100" in rows:
    w("## Registry size")
    w("")
    w("The same district density (regions, constraint polygons and sites per km²) on 10 × 10 km, "
      "40 × 25 km (the run above) and 80 × 50 km; in process, 1 task, each site once "
      f"({rows['scale-100']['queries']} sites on the small and large districts).")
    w("")
    w("| regions | zones | registry (MB) | plan-check p50 (ms) | plan-check p99 (ms) | GeoPandas p50 (ms) | GeoPandas p99 (ms) | p50 plan-check / GeoPandas |")
    w("|--:|--:|--:|--:|--:|--:|--:|--:|")
    for pc, gp, size in (("scale-100", "scale-geopandas-100", "scale-100"), ("engine-1", "geopandas", "registry"),
                         ("scale-4000", "scale-geopandas-4000", "scale-4000")):
        a, b, g = rows[pc], rows[gp], rows[size]
        w(f"| {int(g['regions']):,} | {int(g['zones']):,} | {int(g['bytes']) / 1e6:.1f} | {float(a['p50_ms']):.2f} "
          f"| {float(a['p99_ms']):.2f} | {float(b['p50_ms']):.2f} | {float(b['p99_ms']):.2f} "
          f"| {float(a['p50_ms']) / float(b['p50_ms']):.1f}× |")
    w("")
w("## Agreement")
w("")
w("Per site and item: the zones touched by ≥ 1 m² and their planar areas, the area outside the item's "
  "regions, and the S1/S2 patches, against plan-check's JSON answers (`check_answers.py`, 1e-6 relative):")
w("")
w("```")
w(check)
w("```")
w("")
w("## Versions and machine")
w("")
for key in ("versions",):
    for v in env[key]:
        w(f"- {v}")
w(f"- Machine: {env['machine'][0]}")
print("\n".join(out))
