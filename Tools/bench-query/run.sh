#!/usr/bin/env bash
# The query benchmark: plan-check's answer to an applicant's site against a registry of 1 000
# regions x 10 items, side by side with PostGIS and GeoPandas/shapely answering the same question.
#
#   Tools/bench-query/run.sh [SITES [CLI_SITES]]      (default: 2000 sites, 300 of them through the CLI)
#
# 1. Generates the inputs once (make_registry_inputs.py, cached in Tools/out/bench-query/inputs):
#    a 40 km x 25 km district, 1 000 regions, 5 550 constraint/farmland polygons, SITES sites.
# 2. plan-check assess builds the registry (timed; size, regions, items, zones).
# 3. Per-query latency, each tool answering every site (the CLI the first CLI_SITES):
#    plan-check-bench-query (one prepared QueryEngine, in process; 1 and 2 tasks),
#    plan-check serve (POST /v1/query over loopback, 1, 2 and 4 keep-alive clients),
#    plan-check query (one process per site),
#    GeoPandas/shapely (geopandas_query.py, in process),
#    PostGIS (postgis_query.py: one prepared statement per site from psql; 1 and 2 clients);
#    and, for the registry size, plan-check in process and GeoPandas on districts of 100 and
#    4 000 regions with the same density ($SCALE_SITES sites each, default 500).
# 4. check_answers.py: the peers' zone, outside and patch areas against plan-check's JSON answers
#    (within 1e-6 relative), and serve's answers against the command line's.
# 5. Writes Tools/bench-query/RESULTS.md (write_results.py) and prints it.
# Installs time, postgresql-15-postgis-3, gdal-bin and the Tools/.venv (GeoPandas) when missing.
set -euo pipefail
export PYTHONDONTWRITEBYTECODE=1   # benchlib.py is imported; leave no __pycache__ in the tree

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
sites_n="${1:-2000}"; cli_n="${2:-300}"; scale_n="${SCALE_SITES:-500}"
at=2026-12-01
out="$root/Tools/out/bench-query"
inputs="$out/inputs"
work="$out/run"
venv="$root/Tools/.venv"
pgbin=/usr/lib/postgresql/15/bin
port_pg=5440
cd "$root"

apt_install() { DEBIAN_FRONTEND=noninteractive apt-get install -y "$@" >/dev/null; }
[ -x /usr/bin/time ] || apt_install time
command -v ogr2ogr >/dev/null || apt_install gdal-bin
ls /usr/share/postgresql/15/extension/postgis.control >/dev/null 2>&1 || { echo "installing postgresql-15-postgis-3" >&2; apt_install postgresql-15-postgis-3; }
if [ ! -x "$venv/bin/python" ]; then
    echo "creating $venv with geopandas" >&2
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q geopandas shapely pyproj pyogrio pyyaml
fi
py="$venv/bin/python"

echo "building release binaries" >&2
swift build -c release --product plan-check >&2
swift build -c release --product plan-check-bench-query >&2
bin="$(swift build -c release --show-bin-path)"

if [ ! -s "$inputs/rules.yaml" ] || [ "$(ls "$inputs/sites" | wc -l)" != "$sites_n" ]; then
    rm -rf "$inputs"
    echo "generating the district and $sites_n sites -> $inputs" >&2
    python3 "$here/make_registry_inputs.py" --out "$inputs" --sites "$sites_n" >&2
fi
rm -rf "$work"; mkdir -p "$work"
results="$work/results.txt"; : >"$results"
load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
record() { echo "$1 $2" >>"$results"; echo "  $1: $2" >&2; }

# --- the registry -------------------------------------------------------------------------------
registry="$work/registry.gpkg"
echo "== plan-check assess: 1 000 regions x 10 items" >&2
/usr/bin/time -v "$bin/plan-check" assess --rules "$inputs/rules.yaml" --regions "$inputs/regions.geojson" \
    --registry "$registry" --valid-from 2026-01-01 --issued-by "bench-query" --quiet \
    >"$work/assess.out" 2>"$work/assess.time"
assess_s="$(awk -F': ' '/Elapsed \(wall clock\)/ {n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s}' "$work/assess.time")"
assess_kb="$(awk '/Maximum resident set size/ {print $NF}' "$work/assess.time")"
registry_line() {
    python3 - "$1" <<'PY'
import os, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
count = lambda sql: db.execute(sql).fetchone()[0]
print(f"bytes={os.path.getsize(sys.argv[1])} regions={count('SELECT count(*) FROM regions WHERE superseded_by_run IS NULL')} "
      f"items={count('SELECT count(DISTINCT item_id) FROM assessment_items WHERE superseded_by_run IS NULL')} "
      f"item_records={count('SELECT count(*) FROM assessment_items WHERE superseded_by_run IS NULL')} "
      f"zones={count('SELECT count(*) FROM zones WHERE superseded_by_run IS NULL')} "
      f"zone_geometry_bytes={db.execute('SELECT sum(length(geom)) FROM zones').fetchone()[0]}")
PY
}
record registry "$(registry_line "$registry") assess_s=$assess_s assess_peak_rss_kb=$assess_kb"
record inputs "$(python3 - "$inputs" <<'PY'
import json, os, sys
d = sys.argv[1]
n = lambda f: len(json.load(open(os.path.join(d, f)))["features"])
layers = ["hazard", "flood", "ecology", "relics", "seismic", "slope", "mineral", "farmland"]
kinds = {}
for s in os.listdir(os.path.join(d, "sites")):
    k = json.load(open(os.path.join(d, "sites", s)))["features"][0]["properties"]["KIND"]
    kinds[k] = kinds.get(k, 0) + 1
print(" ".join(f"{l}={n(l + '.geojson')}" for l in layers) + " " + " ".join(f"sites_{k}={v}" for k, v in sorted(kinds.items())))
PY
)"

# --- plan-check in process ----------------------------------------------------------------------
echo "== plan-check-bench-query (one QueryEngine, in process)" >&2
for c in 1 2; do
    record "engine-$c" "$("$bin/plan-check-bench-query" --registry "$registry" --sites "$inputs/sites" --at "$at" --concurrency "$c")"
done

# --- registry size: the same density on 10 x 10 km and 80 x 50 km -------------------------------
echo "== registry size: 100 and 4 000 regions, $scale_n sites each (in process, 1 task)" >&2
for size in "10 10" "80 50"; do
    set -- $size
    n=$(($1 * $2)); dir="$out/inputs-$n"
    if [ ! -s "$dir/rules.yaml" ] || [ "$(ls "$dir/sites" | wc -l)" != "$scale_n" ]; then
        rm -rf "$dir"
        python3 "$here/make_registry_inputs.py" --out "$dir" --regions-x "$1" --regions-y "$2" --sites "$scale_n" >&2
    fi
    "$bin/plan-check" assess --rules "$dir/rules.yaml" --regions "$dir/regions.geojson" --registry "$work/registry-$n.gpkg" \
        --valid-from 2026-01-01 --quiet
    record "scale-$n" "$(registry_line "$work/registry-$n.gpkg") $("$bin/plan-check-bench-query" --registry "$work/registry-$n.gpkg" --sites "$dir/sites" --at "$at")"
    record "scale-geopandas-$n" "$(cd "$here" && "$py" geopandas_query.py "$work/registry-$n.gpkg" "$dir" "$work/geopandas-$n.jsonl")"
done
rm -f "$work"/registry-*.gpkg

# --- plan-check serve ---------------------------------------------------------------------------
echo "== plan-check serve (HTTP on loopback)" >&2
"$bin/plan-check" serve --registry "$registry" --port 0 2>"$work/serve.log" &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 100); do grep -q 'listening on' "$work/serve.log" && break; sleep 0.1; done
port="$(sed -n 's/.*listening on http:\/\/[^:]*:\([0-9]*\).*/\1/p' "$work/serve.log" | head -1)"
[ -n "$port" ] || { cat "$work/serve.log" >&2; exit 1; }
for c in 1 2 4; do
    extra=(); [ "$c" = 1 ] && extra=(--answers-dir "$work/http-answers" --answers "$cli_n")
    record "serve-$c" "$(python3 "$here/http_query.py" "$port" "$inputs/sites" --clients "$c" --server-pid "$server" --at "$at" "${extra[@]}")"
done
kill -TERM "$server"; wait "$server" || true
trap - EXIT

# --- plan-check query, one process per site ------------------------------------------------------
echo "== plan-check query (one process per site, $cli_n sites)" >&2
record cli "$(python3 "$here/cli_query.py" "$bin/plan-check" "$registry" "$inputs/sites" "$work/cli-answers" --limit "$cli_n" --at "$at")"

# --- GeoPandas ----------------------------------------------------------------------------------
echo "== GeoPandas/shapely" >&2
record geopandas "$(cd "$here" && "$py" geopandas_query.py "$registry" "$inputs" "$work/geopandas.jsonl")"

# --- PostGIS ------------------------------------------------------------------------------------
echo "== PostGIS: throwaway cluster on 127.0.0.1:$port_pg" >&2
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
pgwork="$(mktemp -d /tmp/bench-query-pg.XXXXXX)"; chmod 755 "$pgwork"
[ "$(id -u)" = 0 ] && chown postgres: "$pgwork"
pgstop() {
    [ -f "$pgwork/data/postmaster.pid" ] && as_pg "$pgbin/pg_ctl" -D "$pgwork/data" -m immediate -w stop >/dev/null 2>&1 || true
    rm -rf "$pgwork"
}
trap pgstop EXIT
as_pg "$pgbin/initdb" -D "$pgwork/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
as_pg "$pgbin/pg_ctl" -D "$pgwork/data" -l "$pgwork/server.log" -w \
    -o "-k /tmp -h 127.0.0.1 -p $port_pg -c fsync=off -c synchronous_commit=off -c full_page_writes=off" start >/dev/null
postmaster="$(head -1 "$pgwork/data/postmaster.pid")"
psql_() { psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port_pg" -U postgres "$@"; }
psql_ -d postgres -c "CREATE DATABASE bench" >/dev/null
psql_ -d bench -c "CREATE EXTENSION postgis" >/dev/null
pg="PG:host=127.0.0.1 port=$port_pg user=postgres dbname=bench"
load_start="$(date +%s.%N)"
ogr2ogr -f PostgreSQL "$pg" "$registry" zones regions assessment_items -lco GEOMETRY_NAME=geom -lco FID=fid \
    -lco SPATIAL_INDEX=GIST --config PG_USE_COPY YES
for layer in ecology farmland; do
    ogr2ogr -f PostgreSQL "$pg" "$inputs/$layer.geojson" -nln "$layer" -lco GEOMETRY_NAME=geom -lco FID=fid \
        -lco SPATIAL_INDEX=GIST -preserve_fid --config PG_USE_COPY YES
done
psql_ -d bench <<'SQL'
CREATE INDEX ON assessment_items (region_id, item_id);
CREATE TABLE item_catalogue AS
    SELECT item_id FROM assessment_items WHERE superseded_by_run IS NULL GROUP BY item_id ORDER BY min(fid);
ANALYZE;
SQL
load_s="$(echo "$(date +%s.%N) - $load_start" | bc)"
for c in 1 2; do
    record "postgis-$c" "$(python3 "$here/postgis_query.py" "$port_pg" "$inputs" "$work/postgis-$c.jsonl" --clients "$c" --postmaster "$postmaster") load_s=$load_s"
done
pg_versions="$(psql_ -d bench -At -c "SELECT 'PostgreSQL ' || current_setting('server_version') || ', PostGIS ' || postgis_lib_version() || ' (GEOS ' || postgis_geos_version() || ')'")"
pgstop; trap - EXIT

# --- agreement and the report -------------------------------------------------------------------
echo "== agreement" >&2
python3 "$here/check_answers.py" "$work/cli-answers" "GeoPandas=$work/geopandas.jsonl" "PostGIS=$work/postgis-1.jsonl" \
    "PostGIS (2 clients)=$work/postgis-2.jsonl" --http "$work/http-answers" >"$work/check.txt" || true
cat "$work/check.txt" >&2
{
    echo "versions Swift: $(swift --version 2>/dev/null | grep -o 'Swift version [^ ]*' | head -1 | cut -d' ' -f3)"
    echo "versions plan-check: $("$bin/plan-check" --version)"
    echo "versions GEOS (plan-check): $(geos-config --version); PROJ $(pkg-config --modversion proj); SQLite $(pkg-config --modversion sqlite3)"
    echo "versions Python: $("$py" -c 'import geopandas, shapely, pyogrio, sys; print(f"geopandas {geopandas.__version__}, shapely {shapely.__version__} (GEOS {shapely.geos_version_string}), pyogrio {pyogrio.__version__} (GDAL {pyogrio.__gdal_version_string__}), Python {sys.version.split()[0]}")')"
    echo "versions PostGIS: $pg_versions, ogr2ogr $(ogr2ogr --version | cut -d, -f1 | awk '{print $2}'), psql $(psql --version | awk '{print $3}')"
    echo "machine $(nproc) cores ($(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1)), $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo), load average before: $load_before"
    echo "command Tools/bench-query/run.sh $sites_n $cli_n"
    echo "date $(date -u +%Y-%m-%d)"
} >"$work/env.txt"
python3 "$here/write_results.py" "$results" "$work/env.txt" "$work/check.txt" >"$here/RESULTS.md"
cat "$here/RESULTS.md"
