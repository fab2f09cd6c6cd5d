#!/usr/bin/env bash
# The overlay benchmark: plan-check against GeoPandas, PostGIS and the bare GEOS loop, end to end.
#
#   Tools/bench-overlay/run.sh [COUNT...]      (default: 10000 100000 parcels per layer)
#
# For each COUNT: generates the two layers once (Tools/gen_layers.py, cached in
# Tools/out/layers-COUNT), then overlays every urban feature with every land-use feature it
# intersects (read both GeoJSON files, intersect, write a GeoJSON of the pieces) with
#   plan-check overlay (default --jobs, i.e. one per core, and --jobs 1),
#   GeoPandas overlay(how="intersection", keep_geom_type=True) (geopandas_overlay.py),
#   PostGIS ST_Intersection over an ST_Intersects join (postgis_overlay.sh),
#   the single-threaded bare loop of STRtree query + GEOSIntersection_r (no output file), also
#   with jemalloc preloaded (plan-check's release binary links jemalloc).
# Each is timed with /usr/bin/time -v (wall seconds, maximum resident set size): best of 3 runs
# below 50 000 parcels, else best of 2 (1 when the first takes longer than $SLOW s, default 120).
# Then checks that all agree (features with area >= 1 m², total area) and prints a table.
# Environment: RUNS_SMALL, RUNS_LARGE, SLOW to change the run counts.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
counts=("$@"); [ ${#counts[@]} -gt 0 ] || counts=(10000 100000)
runs_small="${RUNS_SMALL:-3}"; runs_large="${RUNS_LARGE:-2}"; slow="${SLOW:-120}"
out="$root/Tools/out"
venv="$root/Tools/.venv"
cd "$root"

[ -x /usr/bin/time ] || DEBIAN_FRONTEND=noninteractive apt-get install -y time >/dev/null
if [ ! -x "$venv/bin/python" ]; then
    echo "creating $venv with geopandas" >&2
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q geopandas shapely pyproj pyogrio pyyaml
fi
py="$venv/bin/python"

echo "building release binaries" >&2
swift build -c release --product plan-check >&2
swift build -c release --product plan-check-bench-bareloop >&2
bin="$(swift build -c release --show-bin-path)"

# measure LOG CMD...: runs CMD under /usr/bin/time -v (its stdout to LOG.out, the time report to
# LOG.time) and prints "SECONDS RSS_KB".
measure() {
    local log="$1"; shift
    /usr/bin/time -v "$@" >"$log.out" 2>"$log.time" || { cat "$log.out" "$log.time" >&2; return 1; }
    awk -F': ' '/Elapsed \(wall clock\)/ {n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; secs = s}
                /Maximum resident set size/ {rss = $2}
                END {print secs, rss}' "$log.time"
}

# bench NAME RUNS CMD...: best (fastest) of RUNS runs; appends "NAME SECONDS RSS_KB" to $table
# and keeps the best run's stdout in $work/NAME.out. Stops early when a run exceeds $slow s.
bench() {
    local name="$1" runs="$2"; shift 2
    local best="" best_rss="" r
    for r in $(seq "$runs"); do
        read -r secs rss < <(measure "$work/run" "$@") || true
        [ -n "${secs:-}" ] || { echo "$name failed" >&2; exit 1; }
        echo "  $name run $r: ${secs} s, $((rss / 1024)) MB" >&2
        if [ -z "$best" ] || awk "BEGIN{exit !($secs < $best)}"; then
            best="$secs"; best_rss="$rss"; cp "$work/run.out" "$work/$name.out"
            [ -f "$work/summary.json" ] && cp "$work/summary.json" "$work/$name.summary.json"
        fi
        rm -f "$work/summary.json"
        if awk "BEGIN{exit !($secs > $slow)}"; then break; fi
    done
    printf '%s %s %s\n' "$name" "$best" "$best_rss" >>"$table"
}

# stages SUMMARY.json: plan-check's per-stage seconds from its --summary file.
stages() {
    "$py" -c '
import json, sys
t = json.load(open(sys.argv[1]))["timings"]
order = ["read", "check", "reproject", "overlay", "write"]
print(", ".join(f"{k} {t[k]:.2f}" for k in sorted(t, key=lambda k: (order.index(k) if k in order else 99, k))))' "$1"
}

versions() {
    echo "Swift:      $(swift --version 2>/dev/null | grep -o 'Swift version [^ ]*' | head -1)"
    echo "GEOS:       $(geos-config --version) (Debian; plan-check, bare loop, PostGIS)"
    echo "Python:     $("$py" -c 'import geopandas, shapely, pyogrio, sys; print(f"geopandas {geopandas.__version__}, shapely {shapely.__version__} (GEOS {shapely.geos_version_string}), pyogrio {pyogrio.__version__} (GDAL {pyogrio.__gdal_version_string__}), Python {sys.version.split()[0]}")')"
    echo "PostGIS:    ${pg_versions#versions: }"
    echo "Machine:    $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo), load average before: $load_before"
}

for count in "${counts[@]}"; do
    layers="$out/layers-$count"
    if [ ! -s "$layers/urban.geojson" ] || [ ! -s "$layers/landuse.geojson" ]; then
        echo "generating $count parcels -> $layers" >&2
        python3 "$root/Tools/gen_layers.py" --parcels "$count" --out "$layers" >/dev/null
    fi
    urban="$layers/urban.geojson"; landuse="$layers/landuse.geojson"
    runs="$runs_small"; [ "$count" -ge 50000 ] && runs="$runs_large"
    work="$out/bench-overlay-$count"; rm -rf "$work"; mkdir -p "$work"
    table="$work/table.txt"; : >"$table"
    load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
    echo "== $count parcels: $(basename "$urban") and $(basename "$landuse"), best of $runs" >&2

    pc=("$bin/plan-check" overlay --rules "$here/intersect-all.yaml" --layer "urban=$urban" --layer "landuse=$landuse" --quiet --summary "$work/summary.json")
    bench "plan-check" "$runs" "${pc[@]}" --out "$work/plan-check.geojson"
    bench "plan-check-jobs1" "$runs" "${pc[@]}" --out "$work/plan-check-jobs1.geojson" --jobs 1
    bench "geopandas" "$runs" "$py" "$here/geopandas_overlay.py" "$urban" "$landuse" "$work/geopandas.geojson"
    bench "bare-loop" "$runs" "$bin/plan-check-bench-bareloop" "$urban" "$landuse"
    # plan-check's release binary links jemalloc; the same loop with jemalloc preloaded shows how
    # much of the difference is the allocator.
    jemalloc=/usr/lib/x86_64-linux-gnu/libjemalloc.so.2
    if [ -e "$jemalloc" ]; then
        bench "bare-loop-jemalloc" "$runs" env LD_PRELOAD="$jemalloc" "$bin/plan-check-bench-bareloop" "$urban" "$landuse"
    fi

    # PostGIS measures itself (one cluster for all its runs; the server's memory from /proc).
    echo "  postgis: starting a throwaway cluster" >&2
    "$here/postgis_overlay.sh" "$urban" "$landuse" "$work/postgis.geojson" "$runs" "$slow" >"$work/postgis.out" 2>"$work/postgis.err"
    grep '^run=' "$work/postgis.out" | sed 's/^/  postgis /' >&2
    pg_versions="$(grep '^versions:' "$work/postgis.out")"
    read -r pg_secs pg_client pg_server < <(grep '^run=' "$work/postgis.out" | sed 's/[a-z_]*=//g' |
        awk '{ if (best == "" || $2 < best) { best = $2; client = $3; server = $5 } } END {print best, client, server}')
    printf '%s %s %s\n' "postgis" "$pg_secs" "$((pg_client + pg_server))" >>"$table"

    echo
    bl="$(cat "$work/bare-loop.out")"
    blv() { echo " $bl" | grep -oE " $1=[^ ]*" | cut -d= -f2; }
    echo "=== $count parcels per layer ($(blv a) urban and $(blv b) land-use features); best of $runs"
    echo
    echo "Agreement (features with area >= 1 m², total area; relative difference < 1e-6):"
    "$py" "$here/check_outputs.py" "plan-check=$work/plan-check.geojson" "plan-check --jobs 1=$work/plan-check-jobs1.geojson" \
        "geopandas=$work/geopandas.geojson" "postgis=$work/postgis.geojson" \
        "bare loop=bareloop:$(blv features_ge_1m2):$(blv area_ge_1m2):$(blv area_sum)" || echo "!! the tools DISAGREE"
    if cmp -s "$work/plan-check.geojson" "$work/plan-check-jobs1.geojson"; then
        echo "plan-check: the --jobs 1 output is byte-identical to the default-jobs output"
    else
        echo "!! plan-check: --jobs 1 and default-jobs outputs differ"
    fi
    echo
    echo "plan-check stages (best default-jobs run, --summary timings, s): $(stages "$work/plan-check.summary.json")"
    echo "plan-check --jobs 1 stages:                                     $(stages "$work/plan-check-jobs1.summary.json")"
    echo "bare loop: $bl"
    echo "geopandas: $(cat "$work/geopandas.out")"
    echo "postgis:   $(grep '^run=' "$work/postgis.out" | tr '\n' ' ')(peak RSS below = client + sum of the backends alive together)"
    echo
    read -r _ base base_rss < <(head -1 "$table")
    printf '| %-22s | %9s | %13s | %18s | %18s |\n' "tool" "wall (s)" "peak RSS (MB)" "time / plan-check" "memory / plan-check"
    printf '|%s|%s|%s|%s|%s|\n' "------------------------" "----------:" "--------------:" "-------------------:" "--------------------:"
    while read -r name secs rss; do
        label="$name"
        case "$name" in
            plan-check) label="plan-check (jobs $(nproc))" ;;
            plan-check-jobs1) label="plan-check --jobs 1" ;;
            bare-loop) label="bare loop (1 thread)" ;;
            bare-loop-jemalloc) label="bare loop + jemalloc" ;;
        esac
        printf '| %-22s | %9.2f | %13d | %17.2fx | %17.2fx |\n' "$label" "$secs" "$((rss / 1024))" \
            "$(awk "BEGIN{print $secs / $base}")" "$(awk "BEGIN{print $rss / $base_rss}")"
    done <"$table"
    echo
    versions
done
