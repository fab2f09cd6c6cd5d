#!/usr/bin/env bash
# The overlay as N tile slices on Spark against one plan-check process, end to end.
#
#   Tools/spark/bench.sh [PARCELS [N...]]      (default: 100000 parcels, N = 4 16 64)
#
# Generates the two layers once (Tools/gen_layers.py --parcels PARCELS, cached in
# Tools/out/layers-PARCELS), then runs the rule set Tools/bench-overlay/rules.yaml
#   - once as one `plan-check overlay` process (release binary, default --jobs: one per core), and
#     once with --jobs 1 (one core: the CPU cost of the reading and of the overlay per tile), and
#   - for each N as Tools/spark/plan_check_spark.py --master local[2] --tiles N (the same binary,
#     each slice with --jobs 1, Spark running two at a time), then plan-check merge,
# each under tree_rss.py: wall seconds and the peak of the summed resident memory of the process
# and all its children (driver, JVM, Python workers, plan-check). Checks every Spark output is
# byte for byte the single run's, prints per-slice times (min / median / max), the tile grid and a
# table. TILE_SIZE (metres, default 1000) sets the tile side; FORMAT=gpkg reads the layers as
# GeoPackages (each slice then reads only its region); PLAN_CHECK=BIN runs that binary
# instead of building the release one; REPORT_ONLY=1 prints the table of the last run again.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
parcels="${1:-100000}"; shift || true
tiles=("$@"); [ ${#tiles[@]} -gt 0 ] || tiles=(4 16 64)
tile_size="${TILE_SIZE:-1000}"
py="$here/.venv/bin/python"
cd "$root"

[ -x "$py" ] || { echo "no PySpark venv: run make spark-deps" >&2; exit 1; }
if [ -n "${PLAN_CHECK:-}" ]; then
    bin="$PLAN_CHECK"
else
    echo "building the release binary" >&2
    swift build -c release --product plan-check >&2
    bin="$(swift build -c release --show-bin-path)/plan-check"
fi

layers="$root/Tools/out/layers-$parcels"
if [ ! -s "$layers/urban.geojson" ] || [ ! -s "$layers/landuse.geojson" ]; then
    echo "generating $parcels parcels -> $layers" >&2
    python3 "$root/Tools/gen_layers.py" --parcels "$parcels" --out "$layers" >/dev/null
fi
work="$root/Tools/out/bench-spark-$parcels"
[ -n "${REPORT_ONLY:-}" ] || { rm -rf "$work"; mkdir -p "$work"; }
# FORMAT=gpkg: the layers as GeoPackages (ogr2ogr, with their R-trees), so that each slice reads
# only its region; the default, geojson, has every slice read both layers whole.
format="${FORMAT:-geojson}"
if [ "$format" = gpkg ]; then
    for layer in urban landuse; do
        [ -s "$layers/$layer.gpkg" ] || ogr2ogr -f GPKG -gt 65536 "$layers/$layer.gpkg" "$layers/$layer.geojson" -nln "$layer"
    done
fi
inputs=(--rules "$root/Tools/bench-overlay/rules.yaml" --layer "urban=$layers/urban.$format" --layer "landuse=$layers/landuse.$format")
[ -n "${REPORT_ONLY:-}" ] || cut -d' ' -f1-3 /proc/loadavg >"$work/load-before.txt"
load_before="$(cat "$work/load-before.txt")"

# measure NAME CMD...: "NAME SECONDS PEAK_MB" into the table, the command's output in $work/NAME.log.
table="$work/table.txt"; [ -n "${REPORT_ONLY:-}" ] || : >"$table"
measure() {
    local name="$1"; shift
    local line
    line="$(python3 "$here/tree_rss.py" "$work/$name.log" -- "$@")"
    read -r status secs rss cpu < <(python3 -c 'import json, sys; r = json.loads(sys.argv[1]); print(r["status"], r["seconds"], r["peak_rss_mb"], r["cpu_seconds"])' "$line")
    if [ "$status" != 0 ]; then cat "$work/$name.log" >&2; echo "$name failed (exit $status)" >&2; exit 1; fi
    echo "  $name: $secs s, peak $rss MB" >&2
    printf '%s %s %s %s\n' "$name" "$secs" "$rss" "$cpu" >>"$table"
}

echo "== $parcels parcels, tiles of $tile_size m" >&2
if [ -n "${REPORT_ONLY:-}" ]; then :; else
measure single "$bin" overlay "${inputs[@]}" --quiet --out "$work/single.geojson" --summary "$work/single.json"
measure single-j1 "$bin" overlay "${inputs[@]}" --quiet --jobs 1 --out "$work/single-j1.geojson" --summary "$work/single-j1.json"
for n in "${tiles[@]}"; do
    measure "spark-$n" "$py" "$here/plan_check_spark.py" "${inputs[@]}" --master 'local[2]' --plan-check "$bin" \
        --tiles "$n" --tile-size "$tile_size" --out "$work/spark-$n.geojson" --summary "$work/spark-$n.json"
    cmp "$work/single.geojson" "$work/spark-$n.geojson" || { echo "spark-$n: output differs from the single run" >&2; exit 1; }
done
fi

grid="$("$bin" overlay "${inputs[@]}" --quiet --tile "1/1" --tile-size "$tile_size" --out "$work/grid.geojson" --summary - |
    python3 -c 'import json, sys; t = json.load(sys.stdin)["tiles"]; print("%d x %d = %d tiles" % (t["columns"], t["rows"], t["tiles_total"]))')"
echo
echo "Spark local[2] against one plan-check process: $parcels parcels per layer ($(du -h "$layers/urban.$format" | cut -f1) + $(du -h "$layers/landuse.$format" | cut -f1) $format), rules Tools/bench-overlay/rules.yaml"
echo "tile grid ($tile_size m): $grid; machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo), load before: $load_before"
echo "PySpark $("$py" -c 'import pyspark; print(pyspark.__version__)'), $(java -version 2>&1 | head -1)"
echo
printf '%-10s %7s %8s %9s %6s  %-42s %s\n' run "wall s" "peak MB" "vs single" "CPU s" "per slice: wall s; CPU s (min / median / max)" "stages s (slices: summed over the slices)"
single_secs="$(awk '$1 == "single" {print $2}' "$table")"
while read -r name secs rss cpu; do
    slices="-"
    case "$name" in spark-*)
        slices="$(grep -o 'per slice [0-9.]* / [0-9.]* / [0-9.]*' "$work/$name.log" | sed 's/per slice //'); $(grep -o 'CPU [0-9.]* / [0-9.]* / [0-9.]*' "$work/$name.log" | sed 's/CPU //')"
        cpu="$(grep -o 'CPU in all slices [0-9.]*' "$work/$name.log" | sed 's/CPU in all slices //')";;
    esac
    stages="$(python3 -c '
import json, sys
t = json.load(open(sys.argv[1]))["timings"]
print(", ".join(f"{k} {t[k]:.2f}" for k in ["read", "check", "reproject", "overlay", "write", "merge"] if k in t))' "$work/$name.json")"
    spark="$(grep -o 'Spark start .*' "$work/$name.log" | sed 's/; retried.*//' || true)"
    printf '%-10s %7.1f %8d %8.2fx %6.1f  %-42s %s\n' "$name" "$secs" "$rss" "$(awk "BEGIN{print $secs / $single_secs}")" "$cpu" "$slices" "$stages${spark:+; $spark}"
done <"$table"
echo
echo "CPU s: plan-check's user + system time (for Spark, summed over the slices' plan-check runs; the JVM and Python are not counted)"
echo "every Spark output is byte for byte the single run's ($(grep -c '"type":"Feature"' "$work/single.geojson") patches)"
