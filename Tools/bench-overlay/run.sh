#!/usr/bin/env bash
# The overlay benchmark: plan-check against GeoPandas, PostGIS and the bare GEOS loop, end to end.
#
#   Tools/bench-overlay/run.sh [COUNT...]      (default: 10000 100000 parcels per layer)
#
# For each COUNT: generates the two layers once (Tools/gen_layers.py, cached in
# Tools/out/layers-COUNT), then overlays every urban feature with every land-use feature it
# intersects (read both GeoJSON files, intersect, write a GeoJSON of the pieces) with
#   plan-check overlay (default --jobs, i.e. one per core, and --jobs 1) on its default engine
#   (Clipper), and again with --engine geos (GEOS OverlayNG for every pair),
#   GeoPandas overlay(how="intersection", keep_geom_type=True) (geopandas_overlay.py),
#   PostGIS ST_Intersection over an ST_Intersects join (postgis_overlay.sh),
#   the single-threaded bare loop of STRtree query + GEOSIntersection_r (no output file), also
#   with jemalloc preloaded (plan-check's release binary links jemalloc).
# Each is timed with /usr/bin/time -v (wall seconds, maximum resident set size): best of 3 runs
# below 50 000 parcels, else best of 2 (1 when the first takes longer than $SLOW s, default 120).
# Then checks that all agree (features with area >= 1 m², total area) and prints a table with
# each tool's time as a ratio of plan-check's and of GeoPandas'. Last, the class-filtered rule set
# (rules.yaml: two `outside` rules and three `intersects`) on both engines, overlay seconds per rule.
# Environment: RUNS_SMALL, RUNS_LARGE, SLOW to change the run counts; POSTGIS=0 and BARE=0 leave
# out PostGIS and the bare loops (a shorter run for the engines and GeoPandas alone).
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
    bench "plan-check-geos" "$runs" "${pc[@]}" --out "$work/plan-check-geos.geojson" --engine geos
    bench "plan-check-jobs1" "$runs" "${pc[@]}" --out "$work/plan-check-jobs1.geojson" --jobs 1
    bench "geopandas" "$runs" "$py" "$here/geopandas_overlay.py" "$urban" "$landuse" "$work/geopandas.geojson"
    bl=""
    if [ "${BARE:-1}" != 0 ]; then
        bench "bare-loop" "$runs" "$bin/plan-check-bench-bareloop" "$urban" "$landuse"
        bl="$(cat "$work/bare-loop.out")"
        # plan-check's release binary links jemalloc; the same loop with jemalloc preloaded shows
        # how much of the difference is the allocator.
        jemalloc=/usr/lib/x86_64-linux-gnu/libjemalloc.so.2
        if [ -e "$jemalloc" ]; then
            bench "bare-loop-jemalloc" "$runs" env LD_PRELOAD="$jemalloc" "$bin/plan-check-bench-bareloop" "$urban" "$landuse"
        fi
    fi

    pg_versions="not run (POSTGIS=0)"
    if [ "${POSTGIS:-1}" != 0 ]; then
        # PostGIS measures itself (one cluster for all its runs; the server's memory from /proc).
        echo "  postgis: starting a throwaway cluster" >&2
        "$here/postgis_overlay.sh" "$urban" "$landuse" "$work/postgis.geojson" "$runs" "$slow" >"$work/postgis.out" 2>"$work/postgis.err"
        grep '^run=' "$work/postgis.out" | sed 's/^/  postgis /' >&2
        pg_versions="$(grep '^versions:' "$work/postgis.out")"
        read -r pg_secs pg_client pg_server < <(grep '^run=' "$work/postgis.out" | sed 's/[a-z_]*=//g' |
            awk '{ if (best == "" || $2 < best) { best = $2; client = $3; server = $5 } } END {print best, client, server}')
        printf '%s %s %s\n' "postgis" "$pg_secs" "$((pg_client + pg_server))" >>"$table"
    fi

    # The class-filtered rule set (two `outside` rules, A and B) on both engines: overlay seconds
    # per rule from the summaries (best of $runs each).
    for engine in clipper geos; do
        bench "rules-$engine" "$runs" "$bin/plan-check" overlay --rules "$here/rules.yaml" --layer "urban=$urban" \
            --layer "landuse=$landuse" --quiet --summary "$work/summary.json" --out "$work/rules-$engine.geojson" --engine "$engine"
    done

    echo
    blv() { echo " $bl" | grep -oE " $1=[^ ]*" | cut -d= -f2; }
    echo "=== $count parcels per layer; best of $runs"
    echo
    echo "Agreement (features with area >= 1 m², total area; relative difference < 1e-6):"
    others=("geopandas=$work/geopandas.geojson")
    [ -s "$work/postgis.geojson" ] && others+=("postgis=$work/postgis.geojson")
    [ -n "$bl" ] && others+=("bare loop=bareloop:$(blv features_ge_1m2):$(blv area_ge_1m2):$(blv area_sum)")
    "$py" "$here/check_outputs.py" "plan-check=$work/plan-check.geojson" "plan-check --jobs 1=$work/plan-check-jobs1.geojson" \
        "plan-check --engine geos=$work/plan-check-geos.geojson" "${others[@]}" || echo "!! the tools DISAGREE"
    if cmp -s "$work/plan-check.geojson" "$work/plan-check-jobs1.geojson"; then
        echo "plan-check: the --jobs 1 output is byte-identical to the default-jobs output"
    else
        echo "!! plan-check: --jobs 1 and default-jobs outputs differ"
    fi
    echo
    echo "plan-check stages (best default-jobs run, --summary timings, s): $(stages "$work/plan-check.summary.json")"
    echo "plan-check --jobs 1 stages:                                     $(stages "$work/plan-check-jobs1.summary.json")"
    echo "plan-check --engine geos stages:                                $(stages "$work/plan-check-geos.summary.json")"
    echo "plan-check engine counts: $("$py" -c '
import json, sys
r = json.load(open(sys.argv[1]))["rules"][0]
print("%s (%s grid): %d operations, %d recomputed by GEOS" % (r["engine"], r["clipper_grid"], r["clipper_operations"], r["clipper_fallbacks"]))' "$work/plan-check.summary.json")"
    [ -n "$bl" ] && echo "bare loop: $bl"
    echo "geopandas: $(cat "$work/geopandas.out")"
    [ -s "$work/postgis.out" ] && echo "postgis:   $(grep '^run=' "$work/postgis.out" | tr '\n' ' ')(peak RSS below = client + sum of the backends alive together)"
    echo
    read -r _ base base_rss < <(head -1 "$table")
    read -r _ gp _ < <(grep '^geopandas ' "$table")
    printf '| %-24s | %9s | %13s | %18s | %18s | %18s |\n' "tool" "wall (s)" "peak RSS (MB)" "time / plan-check" "memory / plan-check" "GeoPandas / tool"
    printf '|%s|%s|%s|%s|%s|%s|\n' "--------------------------" "----------:" "--------------:" "-------------------:" "--------------------:" "-------------------:"
    while read -r name secs rss; do
        label="$name"
        case "$name" in
            plan-check) label="plan-check (jobs $(nproc))" ;;
            plan-check-geos) label="plan-check --engine geos" ;;
            plan-check-jobs1) label="plan-check --jobs 1" ;;
            bare-loop) label="bare loop (1 thread)" ;;
            bare-loop-jemalloc) label="bare loop + jemalloc" ;;
            rules-*) continue ;;
        esac
        printf '| %-24s | %9.2f | %13d | %17.2fx | %17.2fx | %17.2fx |\n' "$label" "$secs" "$((rss / 1024))" \
            "$(awk "BEGIN{print $secs / $base}")" "$(awk "BEGIN{print $rss / $base_rss}")" "$(awk "BEGIN{print $gp / $secs}")"
    done <"$table"
    echo
    echo "Class-filtered rules (rules.yaml), overlay seconds per rule (best run of each engine):"
    "$py" -c '
import json, sys
c, g = (json.load(open(p))["rules"] for p in sys.argv[1:3])
print("| rule | relation | patches clipper / geos | clipper (s) | geos (s) | geos / clipper |")
print("|---|---|--:|--:|--:|--:|")
for a, b in zip(c, g):
    ratio = b["overlay_seconds"] / max(a["overlay_seconds"], 1e-9)
    print("| %s | %s | %d / %d | %.2f | %.2f | %.2fx |" % (a["id"], a["relation"], a["patches"], b["patches"], a["overlay_seconds"], b["overlay_seconds"], ratio))
' "$work/rules-clipper.summary.json" "$work/rules-geos.summary.json"
    read -r _ rc _ < <(grep '^rules-clipper ' "$table"); read -r _ rg _ < <(grep '^rules-geos ' "$table")
    echo "whole run (wall): clipper ${rc} s, geos ${rg} s"
    echo
    versions
done
