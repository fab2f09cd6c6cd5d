#!/usr/bin/env bash
# Tile slices reading by region against slices reading whole layers and the whole run: the
# overlay of Tools/bench-overlay/rules.yaml (two outside rules, three intersects rules) on
# generated layers of COUNT parcels, cut into N slices run one after another on this machine.
#
#   Tools/bench-overlay/slices.sh [COUNT [N [TILE_METRES]]]     (default 1000000 4 1000)
#
# Layers are generated once into Tools/out/layers-COUNT (Tools/gen_layers.py, as scale.sh) and
# converted to GeoPackage by GDAL's ogr2ogr (which writes the R-tree). Runs, each through
# rss_trace.py (wall time, peak resident memory), with the default --feature-store auto:
#   whole    the overlay without --tile, of the GeoPackages and of the GeoJSON files;
#   region   the N slices of the GeoPackages (each reads its region through the R-trees);
#   whole-N  the N slices of the GeoJSON files (each reads and checks both layers whole);
# then plan-check merge of each set, checked byte for byte against the whole run of the same
# files (cmp). Prints
# per set: wall of all slices, slowest slice, largest peak RSS, the features the slices read
# (the R-tree's saving), merge time, and whether the merged file is the whole run's.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
count="${1:-1000000}"; n="${2:-4}"; tile="${3:-1000}"
cd "$root"
command -v ogr2ogr >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y gdal-bin >/dev/null
swift build -c release --product plan-check >&2
bin="$(swift build -c release --show-bin-path)/plan-check"
layers="Tools/out/layers-$count"
[ -f "$layers/urban.geojson" ] || python3 Tools/gen_layers.py --parcels "$count" --out "$layers" >/dev/null
for layer in landuse urban; do
    [ -f "$layers/$layer.gpkg" ] || ogr2ogr -f GPKG -gt 65536 "$layers/$layer.gpkg" "$layers/$layer.geojson" -nln "$layer"
done
work="Tools/out/bench-slices-$count"; rm -rf "$work"; mkdir -p "$work"

# run NAME EXT [overlay arguments...]: one overlay through rss_trace; prints "wall peak".
run() {
    local name="$1" ext="$2"; shift 2
    local report
    report="$(python3 "$here/rss_trace.py" --interval 0.2 --out "$work/$name.tsv" -- "$bin" overlay \
        --rules "$here/rules.yaml" --layer "urban=$layers/urban.$ext" --layer "landuse=$layers/landuse.$ext" \
        --quiet --store-dir "$work" --out "$work/$name.geojson" --summary "$work/$name.json" "$@" 2>&1 >/dev/null | tail -1)"
    echo "$(sed -E 's/.*wall ([0-9.]+) s.*/\1/' <<<"$report") $(sed -E 's/.*peak RSS ([0-9]+) MiB.*/\1/' <<<"$report")"
}

printf '| run | slices | wall, all slices (s) | slowest slice (s) | peak RSS (MiB) | features read / features in the layers | merge (s) | merged = whole run |\n|---|--:|--:|--:|--:|--:|--:|---|\n'
for ext in gpkg geojson; do
    read -r wall peak < <(run "whole-$ext" "$ext")
    printf '| whole run (%s) | 1 | %s | %s | %s | 1.00 | | |\n' "$ext" "$wall" "$wall" "$peak"
done
for set in region whole-N; do
    ext=gpkg; [ "$set" = whole-N ] && ext=geojson
    total=0; slowest=0; peak=0; summaries=()
    for k in $(seq 1 "$n"); do
        read -r wall rss < <(run "$set-$k" "$ext" --tile "$k/$n" --tile-size "$tile")
        total="$(python3 -c "print(round($total + $wall, 2))")"
        slowest="$(python3 -c "print(max($slowest, $wall))")"
        peak="$(python3 -c "print(max($peak, $rss))")"
        summaries+=("$work/$set-$k.json")
    done
    start="$(date +%s.%N)"
    "$bin" merge --quiet --out "$work/$set-merged.geojson" --summary "$work/$set-merged.json" "${summaries[@]}"
    merge="$(python3 -c "import time; print(round($(date +%s.%N) - $start, 2))")"
    same="no"; cmp -s "$work/$set-merged.geojson" "$work/whole-$ext.geojson" && same="yes, byte for byte"
    read_ratio="$(python3 - "$work/whole-$ext.json" "${summaries[@]}" <<'PY'
import json, sys
whole = json.load(open(sys.argv[1]))
rows = sum(i["features_read"] for i in whole["inputs"])
read = 0
for path in sys.argv[2:]:
    s = json.load(open(path))
    layers = s["tiles"].get("layers_read")
    read += sum(layers.values()) if layers else sum(i["features_read"] for i in s["inputs"])
print(f"{read / rows:.2f}")
PY
)"
    label="N slices, by region (GeoPackage)"; [ "$set" = whole-N ] && label="N slices, whole layers (GeoJSON)"
    printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$label" "$n" "$total" "$slowest" "$peak" "$read_ratio" "$merge" "$same"
    rm -f "$work/$set"-*.geojson
done
rm -f "$work"/whole-*.geojson
