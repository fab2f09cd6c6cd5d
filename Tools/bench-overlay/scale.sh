#!/usr/bin/env bash
# Memory and time of the overlay as the layers grow: the intersect-all rule set on generated
# layers of each COUNT parcels (default 100000 1000000), plan-check's release binary with its
# default jobs, GeoJSON --out and --summary (the outputs written as the patches are made).
#
#   Tools/bench-overlay/scale.sh [COUNT...]
#
# Layers are generated once into Tools/out/layers-COUNT (1 000 000 parcels: about 20 minutes and
# 1.3 GB). Each run goes through rss_trace.py (resident memory every 0.2 s, trace in
# Tools/out/bench-scale-COUNT/trace.tsv) and prints: parcels, wall s, peak RSS MiB, per-stage
# seconds from the summary, patches, and where the features were held (FEATURE_STORE=auto, the
# default, memory or disk: `overlay --feature-store`; the disk store goes to Tools/out/bench-scale-COUNT
# and its size is printed). The patches file is removed after the run (5 GB at 1 000 000).
#
#   FEATURE_STORE=disk Tools/bench-overlay/scale.sh 100000 1000000
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
counts=("$@"); [ ${#counts[@]} -gt 0 ] || counts=(100000 1000000)
cd "$root"
swift build -c release --product plan-check >&2
bin="$(swift build -c release --show-bin-path)/plan-check"
store="${FEATURE_STORE:-auto}"
printf '| parcels | store | wall (s) | peak RSS (MiB) | stages (s) | patches |\n|--:|---|--:|--:|---|--:|\n'
for count in "${counts[@]}"; do
    layers="Tools/out/layers-$count"
    [ -f "$layers/urban.geojson" ] || python3 Tools/gen_layers.py --parcels "$count" --out "$layers" >/dev/null
    work="Tools/out/bench-scale-$count"; rm -rf "$work"; mkdir -p "$work"
    report="$(python3 "$here/rss_trace.py" --interval 0.2 --out "$work/trace.tsv" -- "$bin" overlay \
        --rules "$here/intersect-all.yaml" --layer "urban=$layers/urban.geojson" \
        --layer "landuse=$layers/landuse.geojson" --quiet --summary "$work/summary.json" \
        --feature-store "$store" --store-dir "$work" \
        --out "$work/patches.geojson" 2>&1 >/dev/null | tail -1)"
    rm -f "$work/patches.geojson"
    wall="$(sed -E 's/.*wall ([0-9.]+) s.*/\1/' <<<"$report")"
    peak="$(sed -E 's/.*peak RSS ([0-9]+) MiB.*/\1/' <<<"$report")"
    python3 - "$work/summary.json" "$count" "$wall" "$peak" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
t = s["timings"]
stages = ", ".join(f"{k} {t[k]:.1f}" for k in ["read", "check", "reproject", "store", "overlay", "write"] if k in t)
store = s.get("feature_store", "memory")
if store == "disk": store += f" ({s['feature_store_bytes'] / 2**20:,.0f} MiB)"
print(f"| {int(sys.argv[2]):,} | {store} | {sys.argv[3]} | {sys.argv[4]} | {stages} | {sum(r['patches'] for r in s['rules']):,} |")
PY
done
