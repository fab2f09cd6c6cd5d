#!/usr/bin/env bash
# The merge benchmark: plan-check merge of N tile slices against the whole overlay it replaces.
#
#   Tools/bench-merge/run.sh [COUNT [N...]]      (default: 100000 parcels per layer, N = 4 16)
#
# Generates the two layers once (Tools/gen_layers.py --seed 7, cached in Tools/out/layers-COUNT),
# runs the whole overlay (Tools/bench-overlay/rules.yaml) once, and for each N runs the N slices
# one after the other (overlay --tile K/N), then plan-check merge of their summaries in reverse
# order. Prints wall seconds and peak RSS (/usr/bin/time) of the whole run, the slowest slice,
# the slices together and the merge, the merged file's size, and checks that the merged file is
# the whole run's byte for byte (cmp) and that the merged summary's per-rule patches and areas
# equal the whole run's.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
count="${1:-100000}"; shift || true
slices=("$@"); [ ${#slices[@]} -gt 0 ] || slices=(4 16)
cd "$root"
[ -x /usr/bin/time ] || DEBIAN_FRONTEND=noninteractive apt-get install -y time >/dev/null

echo "building the release binary" >&2
swift build -c release --product plan-check >&2
bin="$(swift build -c release --show-bin-path)/plan-check"

layers="$root/Tools/out/layers-$count"
if [ ! -f "$layers/urban.geojson" ]; then
    mkdir -p "$layers"
    python3 Tools/gen_layers.py --parcels "$count" --seed 7 --out "$layers" >&2
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
args=(--rules Tools/bench-overlay/rules.yaml --layer "landuse=$layers/landuse.geojson" --layer "urban=$layers/urban.geojson" --quiet)

# Runs a command under /usr/bin/time; prints "SECONDS KB".
timed() {
    /usr/bin/time -f "%e %M" -o "$work/time" "$@" 2>/dev/null >/dev/null
    cat "$work/time"
}

read -r whole_s whole_kb < <(timed "$bin" overlay "${args[@]}" --out "$work/whole.geojson" --summary "$work/whole.json")
size=$(stat -c %s "$work/whole.geojson")
printf "%s parcels per layer: whole overlay %.2f s, %d MiB peak; patch file %.1f MB\n" "$count" "$whole_s" $((whole_kb / 1024)) "$(echo "$size / 1000000" | bc -l)"
printf "%4s  %10s  %10s  %10s  %9s  %9s  %s\n" N "slices s" "slowest s" "max MiB" "merge s" "merge MiB" "merged == whole"
for n in "${slices[@]}"; do
    total=0; slowest=0; peak=0; summaries=()
    for k in $(seq 1 "$n"); do
        read -r s kb < <(timed "$bin" overlay "${args[@]}" --tile "$k/$n" --out "$work/s$k.geojson" --summary "$work/s$k.json")
        total=$(echo "$total + $s" | bc -l)
        slowest=$(echo "if ($s > $slowest) $s else $slowest" | bc -l)
        [ "$kb" -gt "$peak" ] && peak=$kb
        summaries=("$work/s$k.json" "${summaries[@]}")
    done
    read -r merge_s merge_kb < <(timed "$bin" merge --quiet --out "$work/merged.geojson" --summary "$work/merged.json" "${summaries[@]}")
    same=$(cmp -s "$work/merged.geojson" "$work/whole.geojson" && echo "byte for byte" || echo "DIFFERENT")
    figures=$(python3 - "$work/whole.json" "$work/merged.json" <<'PY'
import json, sys
whole, merged = (json.load(open(p)) for p in sys.argv[1:3])
keys = ["patches", "area_m2", "area_ellipsoidal_m2", "sliver_area_m2", "class_pairs"]
same = all(w[k] == m[k] for w, m in zip(whole["rules"], merged["rules"]) for k in keys)
print("summary equal" if same else "SUMMARY DIFFERS")
PY
)
    rm -f "$work"/s*.geojson "$work"/s*.json
    printf "%4s  %10.2f  %10.2f  %10d  %9.2f  %9d  %s, %s\n" "$n" "$total" "$slowest" $((peak / 1024)) "$merge_s" $((merge_kb / 1024)) "$same" "$figures"
done
