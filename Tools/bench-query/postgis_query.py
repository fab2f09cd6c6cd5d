"""The PostGIS peer of the query benchmark: one SQL statement per site, sent by psql.

    python3 postgis_query.py PORT INPUTS_DIR OUT.jsonl [--clients N] [--limit N] [--postmaster PID]

Expects a running cluster on 127.0.0.1:PORT with database `bench` loaded by run.sh (the
registry's zones, regions and assessment_items and the conformity layers ecology and farmland,
by ogr2ogr with GiST indexes; item_catalogue: the current item ids). Writes a psql script per
client: `\\timing on`, one PREPARE, then per site `EXECUTE q('<the site geometry as GeoJSON>')`,
which returns in one statement what plan-check's answer has (see geopandas_query.py): the zones
touched by >= 1 m² with their areas, the area outside each item's touched regions, and the S1/S2
intersections. N psql clients run at once, each taking every N-th site (one connection each).
Latency is psql's own `\\timing` (send to last row, over loopback TCP); the site file is parsed
before (the statement gets the geometry's GeoJSON text). With --postmaster, the backends' peak
memory is sampled by ../bench-overlay/pg_memory_poll.py. Prints the summary line.
"""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import benchlib

here = os.path.dirname(os.path.abspath(__file__))
port, inputs, out_path = sys.argv[1:4]
opt = lambda name, default: sys.argv[sys.argv.index(name) + 1] if name in sys.argv else default
clients = int(opt("--clients", "1"))
limit = int(opt("--limit", "0")) or None
postmaster = opt("--postmaster", None)

SQL = """
PREPARE q(text) AS
WITH s AS (SELECT ST_SetSRID(ST_GeomFromGeoJSON($1), 4529) AS g),
r AS (SELECT r.region_id, r.geom FROM regions r, s
      WHERE r.superseded_by_run IS NULL AND ST_Intersects(r.geom, s.g) AND ST_Area(ST_Intersection(r.geom, s.g)) >= 1)
SELECT 'Z', item_id, region_id, source, a FROM (
    SELECT z.item_id, z.region_id, z.source, ST_Area(ST_Intersection(z.geom, s.g)) AS a
    FROM zones z, s WHERE z.superseded_by_run IS NULL AND ST_Intersects(z.geom, s.g)) t WHERE a >= 1
UNION ALL
SELECT 'O', c.item_id, NULL, NULL, coalesce(ST_Area(ST_Difference(s.g, (
    SELECT ST_Union(r.geom) FROM r JOIN assessment_items i
    ON i.region_id = r.region_id AND i.item_id = c.item_id AND i.superseded_by_run IS NULL))), ST_Area(s.g))
FROM item_catalogue c, s
UNION ALL
SELECT 'P', rule, fid::text, NULL, a FROM (
    SELECT 'S1' AS rule, e.fid, ST_Area(ST_Intersection(e.geom, s.g)) AS a FROM ecology e, s WHERE ST_Intersects(e.geom, s.g)
    UNION ALL
    SELECT 'S2', f.fid, ST_Area(ST_Intersection(f.geom, s.g)) FROM farmland f, s WHERE ST_Intersects(f.geom, s.g)) p
WHERE a >= 1;
"""

paths = benchlib.site_paths(f"{inputs}/sites", limit)
work = tempfile.mkdtemp(prefix="bench-query-pg.")
scripts = []
for c in range(clients):
    script = os.path.join(work, f"client-{c}.sql")
    with open(script, "w") as f:
        f.write("\\timing on\n" + SQL)
        mine = [(i, p) for i, p in enumerate(paths) if i % clients == c]
        # Warm-up: the client's first 10 sites, once, before the marked ones.
        for _, p in mine[:10]:
            f.write(f"EXECUTE q($site${benchlib.site_geometry_json(p)}$site$);\n")
        for _, p in mine:
            f.write(f"\\echo @@ {os.path.basename(p)}\n")
            f.write(f"EXECUTE q($site${benchlib.site_geometry_json(p)}$site$);\n")
    scripts.append(script)

poller = None
if postmaster:
    poll_out = os.path.join(work, "poll.txt")
    poller = subprocess.Popen([sys.executable, os.path.join(here, "..", "bench-overlay", "pg_memory_poll.py"), postmaster, poll_out])
start = time.perf_counter()
procs = [subprocess.Popen(["psql", "-X", "-A", "-t", "-F", "|", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", port,
                           "-U", "postgres", "-d", "bench", "-f", s], stdout=subprocess.PIPE, text=True) for s in scripts]
outputs = [p.communicate()[0] for p in procs]
wall = time.perf_counter() - start
if any(p.returncode for p in procs):
    sys.exit("psql failed")
backend_kb = -1
if poller:
    time.sleep(0.1)
    poller.send_signal(signal.SIGTERM)
    poller.wait()
    m = re.search(r"max_backend_kb=(\d+)", open(poll_out).readline())
    backend_kb = int(m.group(1)) if m else -1

latencies, results = [], []
for text in outputs:
    current = None
    for line in text.splitlines():
        if line.startswith("@@ "):
            current = {"site": line[3:], "zones": [], "outside": {}, "patches": []}
        elif line.startswith("Time: "):
            if current is not None:
                latencies.append(float(line.split()[1]))
                results.append(current)
                current = None
        elif current is not None and line:
            kind, a, b, c, area = line.split("|")
            if kind == "Z":
                current["zones"].append([a, b, c, float(area)])
            elif kind == "O":
                current["outside"][a] = float(area)
            else:
                current["patches"].append([a, b, float(area)])
shutil.rmtree(work)
results.sort(key=lambda r: r["site"])
with open(out_path, "w") as out:
    out.writelines(json.dumps(r) + "\n" for r in results)
print(benchlib.summary(latencies, wall, clients=clients, backend_peak_rss_kb=backend_kb))
