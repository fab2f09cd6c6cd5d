#!/usr/bin/env bash
# The HTML report benchmark: a report of about 100 000 patches, its size, plan-check's time to
# write it, and the time Chromium takes to open it.
#
#   Tools/bench-report/run.sh [PARCELS]      (default: 23000 parcels per layer, about 100 000 patches)
#
# Generates a land-use and an urban plan (Tools/gen_layers.py, seeded, cached in
# Tools/out/layers-PARCELS), then runs the release plan-check overlay with the rules of
# Tools/bench-report/rules.yaml (every urban parcel × the land-use parcels it overlaps, three
# severities, class codes on both sides) twice, best of 2 each, timed with /usr/bin/time -v:
#   without --html (--summary only) and with --html (and --summary);
# the difference of the two is the time to make and write the report. Then opens the report
# 3 times in headless Chromium (load_time.py: navigation start to load end, first contentful
# paint, the first frame after load) and prints the figures.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
parcels="${1:-23000}"
layers="$root/Tools/out/layers-$parcels"
work="$root/Tools/out/bench-report-$parcels"
cd "$root"
mkdir -p "$work"

[ -x /usr/bin/time ] || DEBIAN_FRONTEND=noninteractive apt-get install -y time >/dev/null
[ -f "$layers/urban.geojson" ] || python3 Tools/gen_layers.py --parcels "$parcels" --out "$layers" >&2

echo "building the release binary" >&2
swift build -c release --product plan-check >&2
bin="$(swift build -c release --show-bin-path)/plan-check"

# best NAME CMD...: the fastest wall time (s) and its RSS (MB) of two runs.
best() {
    local name="$1"; shift
    local b="" rss=""
    for r in 1 2; do
        /usr/bin/time -v "$@" >"$work/$name.out" 2>"$work/$name.time"
        local s m
        s=$(awk -F': ' '/Elapsed \(wall clock\)/ {n = split($2, p, ":"); t = 0; for (i = 1; i <= n; i++) t = t * 60 + p[i]; print t}' "$work/$name.time")
        m=$(awk -F': ' '/Maximum resident set size/ {print int($2 / 1024)}' "$work/$name.time")
        echo "  $name run $r: $s s, $m MB" >&2
        if [ -z "$b" ] || awk "BEGIN{exit !($s < $b)}"; then b="$s"; rss="$m"; fi
    done
    echo "$b $rss"
}

overlay=("$bin" overlay --rules Tools/bench-report/rules.yaml
         --layer "landuse=$layers/landuse.geojson" --layer "urban=$layers/urban.geojson" --quiet)
read -r plain plain_rss < <(best plain "${overlay[@]}" --summary "$work/summary.json")
read -r with with_rss < <(best html "${overlay[@]}" --summary "$work/summary.json" --html "$work/report.html")
patches=$(/usr/bin/python3 -c 'import json,sys; print(sum(r["patches"] for r in json.load(open(sys.argv[1]))["rules"]))' "$work/summary.json")
size=$(stat -c %s "$work/report.html")

echo "opening the report in headless Chromium (3 runs)" >&2
/usr/bin/python3 "$here/load_time.py" "$work/report.html" 3 | tee "$work/load.jsonl" >&2
load=$(tail -1 "$work/load.jsonl")

echo
echo "## HTML report of $patches patches ($parcels parcels per layer, Tools/bench-report/rules.yaml)"
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {print int($2 / 1024 / 1024 + 0.5) " GB"}' /proc/meminfo); $(chromium --version 2>/dev/null | head -1)"
echo "report file:              $(awk "BEGIN{printf \"%.1f MB\", $size / 1e6}") ($size bytes)"
echo "overlay without --html:   $plain s, $plain_rss MB"
echo "overlay with --html:      $with s, $with_rss MB  (report: $(awk "BEGIN{printf \"%.2f\", $with - $plain}") s)"
echo "Chromium (median of 3):   $load"
