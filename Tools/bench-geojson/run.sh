#!/usr/bin/env bash
# Compares plan-check's readers with GDAL (pyogrio) on the same synthetic parcel layer: the native
# GeoJSON reader on the GeoJSON, the native GeoPackage reader on the layer converted by ogr2ogr,
# and plan-check's GDAL reader (PlanGDAL) on it converted to a Shapefile, beside pyogrio on each.
#
#   Tools/bench-geojson/run.sh [COUNT]     (default 100000 parcels)
#
# Then the memory of streaming: Tools/out/layers-COUNT/urban.geojson (Tools/gen_layers.py, as the
# overlay benchmark uses it) read whole (LayerReader.read), streamed feature by feature
# (LayerReader.stream, no feature kept: --stream) and read by pyogrio, each with its peak RSS.
# STREAM_ONLY=FILE skips everything else and streams FILE once (e.g. a 1 000 000-parcel layer).
#
# Generates the layer once (cached in Tools/out/, with its .gpkg and .shp made by Debian's
# ogr2ogr), builds the release benchmark, sets up
# Tools/.venv with pyogrio (its wheel bundles GDAL) and geopandas, then runs each reader three
# times and prints the best time (the read call only, measured in-process) and the peak resident
# memory of the whole process (/usr/bin/time -v "Maximum resident set size").
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
count="${1:-100000}"
out="$root/Tools/out"
data="$out/parcels-$count.geojson"
venv="$root/Tools/.venv"
runs=3

mkdir -p "$out"
if [ -n "${STREAM_ONLY:-}" ]; then
    (cd "$root" && swift build -c release --product plan-check-bench-read >&2)
    bench="$(cd "$root" && swift build -c release --show-bin-path)/plan-check-bench-read"
    echo "$(basename "$STREAM_ONLY"): $(( $(stat -c %s "$STREAM_ONLY") / 1000000 )) MB"
    /usr/bin/time -v "$bench" --stream "$STREAM_ONLY" 2>&1 | grep -E 'seconds=|Maximum resident'
    exit 0
fi
if [ ! -s "$data" ]; then
    echo "generating $count parcels -> $data" >&2
    python3 "$root/Tools/gen_parcels.py" --count "$count" --out "$data.tmp"
    mv "$data.tmp" "$data"
fi

gpkg="$out/parcels-$count.gpkg"
shp_dir="$out/parcels-$count-shp"
shp="$shp_dir/parcels.shp"
if [ ! -s "$gpkg" ]; then
    echo "converting to GeoPackage -> $gpkg" >&2
    ogr2ogr -f GPKG "$gpkg.tmp.gpkg" "$data" -nln parcels && mv "$gpkg.tmp.gpkg" "$gpkg"
fi
if [ ! -s "$shp" ]; then
    echo "converting to Shapefile -> $shp" >&2
    rm -rf "$shp_dir" && mkdir -p "$shp_dir"
    ogr2ogr -f "ESRI Shapefile" -lco ENCODING=UTF-8 "$shp" "$data" -nln parcels
fi

if [ ! -x /usr/bin/time ]; then
    apt-get install -y time >/dev/null
fi

echo "building release benchmark" >&2
(cd "$root" && swift build -c release --product plan-check-bench-read >&2)
bench="$(cd "$root" && swift build -c release --show-bin-path)/plan-check-bench-read"

if [ ! -x "$venv/bin/python" ]; then
    echo "creating $venv with pyogrio and geopandas" >&2
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q pyogrio geopandas
fi
py="$venv/bin/python"

# run NAME COMMAND...: best-of-$runs seconds (from the program's "seconds=" line) and the peak RSS
# of that same run, in MB.
run() {
    local name="$1"; shift
    local best="" best_rss=""
    for _ in $(seq "$runs"); do
        local log; log="$(mktemp)"
        /usr/bin/time -v "$@" >"$log.out" 2>"$log"
        local secs rss
        secs="$(grep -o 'seconds=[0-9.e-]*' "$log.out" | cut -d= -f2)"
        rss="$(grep 'Maximum resident set size' "$log" | awk '{print $NF}')"
        if [ -z "$best" ] || awk "BEGIN{exit !($secs < $best)}"; then
            best="$secs"; best_rss="$rss"
        fi
        rm -f "$log" "$log.out"
    done
    printf '%s\t%s\t%s\n' "$name" "$best" "$((best_rss / 1024))"
}

results="$(mktemp)"
run "plan-check GeoJSONReader" "$bench" "$data" >>"$results"
run "pyogrio.read_dataframe" "$py" "$here/pyogrio_read.py" dataframe "$data" >>"$results"
run "pyogrio.raw.read" "$py" "$here/pyogrio_read.py" raw "$data" >>"$results"
run "plan-check GeoPackage" "$bench" "$gpkg" >>"$results"
run "pyogrio.raw.read .gpkg" "$py" "$here/pyogrio_read.py" raw "$gpkg" >>"$results"
run "plan-check GDAL .shp" "$bench" "$shp" >>"$results"
run "pyogrio.raw.read .shp" "$py" "$here/pyogrio_read.py" raw "$shp" >>"$results"

size_mb="$(( $(stat -c %s "$data") / 1000000 ))"
echo
echo "File: $(basename "$data"), $size_mb MB, $count features; best of $runs runs; $(nproc) cores"
echo "      .gpkg $(( $(stat -c %s "$gpkg") / 1000000 )) MB, .shp+.dbf $(( ($(stat -c %s "$shp") + $(stat -c %s "${shp%.shp}.dbf")) / 1000000 )) MB (ogr2ogr)"
echo "Versions: $(swift --version 2>/dev/null | head -1); GDAL $(gdal-config --version 2>/dev/null || ogrinfo --version) (plan-check's, Debian)"
echo "          $("$py" -c 'import pyogrio, geopandas, shapely, sys; print(f"pyogrio {pyogrio.__version__}, GDAL {pyogrio.__gdal_version_string__}, geopandas {geopandas.__version__}, shapely {shapely.__version__}, Python {sys.version.split()[0]}")')"
echo
base="$(head -1 "$results" | cut -f2)"
printf '| %-26s | %9s | %13s | %26s |\n' "reader" "seconds" "peak RSS (MB)" "time vs plan-check"
printf '|%s|%s|%s|%s|\n' "----------------------------" "----------:" "--------------:" "---------------------------:"
while IFS=$'\t' read -r name secs rss; do
    ratio="$(awk "BEGIN{printf \"%.2fx\", $secs / $base}")"
    printf '| %-26s | %9.3f | %13s | %26s |\n' "$name" "$secs" "$rss" "$ratio"
done <"$results"
rm -f "$results"

# Streaming against reading whole, on the overlay benchmark's urban layer.
layers="$out/layers-$count"
if [ ! -s "$layers/urban.geojson" ]; then
    echo "generating $count parcels -> $layers" >&2
    python3 "$root/Tools/gen_layers.py" --parcels "$count" --out "$layers" >/dev/null
fi
urban="$layers/urban.geojson"
results="$(mktemp)"
run "plan-check read (whole)" "$bench" "$urban" >>"$results"
run "plan-check stream" "$bench" --stream "$urban" >>"$results"
run "pyogrio.raw.read" "$py" "$here/pyogrio_read.py" raw "$urban" >>"$results"
echo
echo "File: layers-$count/urban.geojson, $(( $(stat -c %s "$urban") / 1000000 )) MB; best of $runs runs"
echo
printf '| %-26s | %9s | %13s |\n' "reader" "seconds" "peak RSS (MB)"
printf '|%s|%s|%s|\n' "----------------------------" "----------:" "--------------:"
while IFS=$'\t' read -r name secs rss; do
    printf '| %-26s | %9.3f | %13s |\n' "$name" "$secs" "$rss"
done <"$results"
rm -f "$results"
