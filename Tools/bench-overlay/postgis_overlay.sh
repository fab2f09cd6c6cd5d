#!/usr/bin/env bash
# The PostGIS side of Tools/bench-overlay/run.sh.
#
#   Tools/bench-overlay/postgis_overlay.sh URBAN.geojson LANDUSE.geojson OUT.geojson [RUNS [SLOW_SECONDS]]
#
# Installs postgresql-15-postgis-3 if missing, starts a throwaway cluster (initdb in a temporary
# folder, 127.0.0.1:5439, trust authentication, fsync off), then RUNS times (default 1; later runs
# are skipped once one takes more than SLOW_SECONDS) runs one end-to-end step under
# /usr/bin/time -v:
#   load both layers (ogr2ogr -f PostgreSQL, COPY, GiST index), ANALYZE,
#   CREATE TABLE result AS ... ST_CollectionExtract(ST_Intersection(u.geom, l.geom), 3)
#     FROM urban u JOIN landuse l ON ST_Intersects(u.geom, l.geom)   (empty results dropped),
#   export: ogr2ogr -f GeoJSON OUT.geojson PG:... result.
# While the step runs, pg_memory_poll.py samples the backends' VmHWM from /proc.
# Prints one line per run:
#   run=N seconds=S client_rss_kb=K server_backend_kb=B server_sum_kb=T
# (client: /usr/bin/time's maximum resident set size, i.e. the largest of ogr2ogr and psql;
# server: the largest backend, and the largest sum of the backends alive together), then
# `versions: ...`. The cluster is stopped and removed on exit (trap).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
urban="$(realpath "$1")"; landuse="$(realpath "$2")"; out="$(realpath -m "$3")"
runs="${4:-1}"; slow="${5:-1000000}"
pgbin=/usr/lib/postgresql/15/bin
port=5439

if [ ! -d /usr/share/postgresql/15/extension ] || ! ls /usr/share/postgresql/15/extension/postgis.control >/dev/null 2>&1; then
    echo "installing postgresql-15-postgis-3" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql-15-postgis-3 >/dev/null
fi
command -v ogr2ogr >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y gdal-bin >/dev/null
[ -x /usr/bin/time ] || DEBIAN_FRONTEND=noninteractive apt-get install -y time >/dev/null

as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

work="$(mktemp -d /tmp/bench-postgis.XXXXXX)"
chmod 755 "$work"
[ "$(id -u)" = 0 ] && chown postgres: "$work"
data="$work/data"
poller=""
cleanup() {
    [ -n "$poller" ] && kill "$poller" 2>/dev/null || true
    if [ -f "$data/postmaster.pid" ]; then as_pg "$pgbin/pg_ctl" -D "$data" -m immediate -w stop >/dev/null 2>&1 || true; fi
    rm -rf "$work"
}
trap cleanup EXIT INT TERM

as_pg "$pgbin/initdb" -D "$data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
# A throwaway cluster: no durability needed (this only helps PostGIS).
as_pg "$pgbin/pg_ctl" -D "$data" -l "$work/server.log" -w \
    -o "-k /tmp -h 127.0.0.1 -p $port -c fsync=off -c synchronous_commit=off -c full_page_writes=off" start >/dev/null
postmaster="$(head -1 "$data/postmaster.pid")"
pg="host=127.0.0.1 port=$port user=postgres dbname=bench"
psql_() { psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres "$@"; }
psql_ -d postgres -c "CREATE DATABASE bench" >/dev/null
psql_ -d bench -c "CREATE EXTENSION postgis" >/dev/null

# The timed step, as one script so /usr/bin/time covers it all.
step="$work/step.sh"
cat >"$step" <<STEP
set -euo pipefail
for layer in urban landuse; do
    path="\$([ \$layer = urban ] && echo "$urban" || echo "$landuse")"
    ogr2ogr -f PostgreSQL "PG:$pg" "\$path" -nln \$layer -nlt PROMOTE_TO_MULTI \
        -lco GEOMETRY_NAME=geom -lco SPATIAL_INDEX=GIST -lco FID=fid -gt 65536 --config PG_USE_COPY YES
done
# Both layers' attributes, prefixed (u_, l_), from the catalogue: the same as u.*, l.* without
# the clash of the two geom and fid columns.
cols="\$(psql -X -At -h 127.0.0.1 -p $port -U postgres -d bench -c "
    SELECT string_agg(format('%s.%I AS %I', t.p, c.column_name, t.p || '_' || c.column_name), ', ' ORDER BY t.n, c.ordinal_position)
    FROM (VALUES ('urban', 'u', 1), ('landuse', 'l', 2)) t(name, p, n)
    JOIN information_schema.columns c ON c.table_name = t.name AND c.column_name <> 'geom'")"
psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p $port -U postgres -d bench <<SQL
ANALYZE urban;
ANALYZE landuse;
CREATE TABLE result AS
SELECT * FROM (
    SELECT \$cols, ST_CollectionExtract(ST_Intersection(u.geom, l.geom), 3) AS geom
    FROM urban u JOIN landuse l ON ST_Intersects(u.geom, l.geom)
) s
WHERE NOT ST_IsEmpty(geom);
SQL
rm -f "$out"
ogr2ogr -f GeoJSON "$out" "PG:$pg" result
STEP

for run in $(seq "$runs"); do
    psql_ -d bench -c "DROP TABLE IF EXISTS urban, landuse, result" >/dev/null 2>&1
    psql_ -d bench -c "CHECKPOINT" >/dev/null
    poll="$work/poll-$run.txt"
    python3 "$here/pg_memory_poll.py" "$postmaster" "$poll" &
    poller=$!
    /usr/bin/time -v bash "$step" >"$work/step.out" 2>"$work/time.txt" || { cat "$work/step.out" "$work/time.txt" >&2; exit 1; }
    kill "$poller"; wait "$poller" || true; poller=""
    secs="$(awk -F': ' '/Elapsed \(wall clock\)/ {n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s}' "$work/time.txt")"
    client="$(awk '/Maximum resident set size/ {print $NF}' "$work/time.txt")"
    backend="$(head -1 "$poll" | sed -n 's/.*max_backend_kb=\([0-9]*\).*/\1/p')"
    total="$(head -1 "$poll" | sed -n 's/.*max_sum_kb=\([0-9]*\).*/\1/p')"
    echo "run=$run seconds=$secs client_rss_kb=$client server_backend_kb=$backend server_sum_kb=$total"
    sed 1d "$poll" >&2
    if awk "BEGIN{exit !($secs > $slow)}"; then break; fi
done
echo "versions: $(psql_ -d bench -At -c "SELECT 'PostgreSQL ' || current_setting('server_version') || ', PostGIS ' || postgis_lib_version() || ' (GEOS ' || postgis_geos_version() || ', PROJ ' || split_part(postgis_proj_version(), ' ', 1) || ')'"), ogr2ogr $(ogr2ogr --version | cut -d, -f1 | awk '{print $2}')"
