#!/usr/bin/env bash
# Soak benchmark of `plan-check serve` on loopback: 1, 16, 64 and 1 000 concurrent keep-alive
# clients, each level for a bounded time, a mix of projected, lon/lat and large generated sites;
# answers/s, p50/p99 per site kind, errors by status (503 + Retry-After apart), and the server's
# RSS, open files and threads before, at the peak of and 5 s after each level.
#
#   Tools/bench-serve/run.sh [SECONDS_PER_LEVEL [LEVELS]]     (default: 20 s; 1,16,64,1000)
#
# 1. Builds the release binary when it is missing (PLAN_CHECK=path uses another binary).
# 2. Makes a registry from the sample district in a temporary folder, with the two
#    `plan-check assess` runs of `make sample`.
# 3. Starts `plan-check serve --registry R --port 0` on 127.0.0.1 and reads the bound URL from the
#    `plan-check: listening on http://127.0.0.1:PORT` line on stderr.
# 4. soak.py runs the levels (standard-library Python) and prints a Markdown table; the figures
#    also go to Tools/out/bench-serve/soak-DATE.json.
# 5. Stops the server with SIGTERM and counts what its log says (5xx lines, errors).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
duration="${1:-20}"
levels="${2:-1,16,64,1000}"
cd "$root"

bin="${PLAN_CHECK:-$root/.build/release/plan-check}"
if [ ! -x "$bin" ]; then
    echo "building $bin" >&2
    swift build -c release --product plan-check >&2
fi

# 1 000 clients hold 1 000 connections on each side: the server and soak.py need the file
# descriptors (both inherit this limit).
most="$(echo "$levels" | tr ',' '\n' | sort -n | tail -1)"
hard="$(ulimit -Hn)"
want=$((most * 2 + 256)); [ "$want" -lt 65536 ] && want=65536
if [ "$hard" = unlimited ] || [ "$hard" -ge "$want" ]; then ulimit -n "$want"; else ulimit -n "$hard"; fi
if [ "$(ulimit -n)" -lt $((most + 64)) ]; then
    echo "run.sh: ulimit -n is $(ulimit -n), too low for $most clients (raise the hard limit)" >&2
    exit 1
fi

work="$(mktemp -d /tmp/bench-serve.XXXXXX)"
server=""
cleanup() {
    [ -n "$server" ] && kill "$server" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

echo "== registry from the sample district (as make sample) -> $work/registry.gpkg" >&2
"$bin" assess --rules SampleLayers/rules.yaml --regions SampleLayers/regions.geojson \
    --registry "$work/registry.gpkg" --issued-by 大连市自然资源局 --region R3 \
    --valid-from 2021-03-01 --valid-until 2024-02-29 --quiet
"$bin" assess --rules SampleLayers/rules.yaml --regions SampleLayers/regions.geojson \
    --registry "$work/registry.gpkg" --issued-by 大连市自然资源局 --region R1 --region R2 \
    --valid-from 2026-01-01 --quiet

echo "== plan-check serve on 127.0.0.1 (ulimit -n $(ulimit -n))" >&2
# --max-site-parts 5000: the mix's largest site has 5 000 parts (the default limit is 1 000).
"$bin" serve --registry "$work/registry.gpkg" --host 127.0.0.1 --port 0 --max-site-parts 5000 2>"$work/serve.log" &
server=$!
url=""
for _ in $(seq 300); do
    url="$(sed -n 's/^plan-check: listening on \(http:\/\/127\.0\.0\.1:[0-9]*\)$/\1/p' "$work/serve.log" | head -1)"
    [ -n "$url" ] && break
    kill -0 "$server" 2>/dev/null || break
    sleep 0.1
done
[ -n "$url" ] || { echo "run.sh: plan-check serve did not start:" >&2; cat "$work/serve.log" >&2; exit 1; }
echo "   $url (pid $server)" >&2

load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
json="$root/Tools/out/bench-serve/soak-$stamp.json"
python3 "$here/soak.py" --url "$url" --server-pid "$server" --sites SampleLayers/sites \
    --duration "$duration" --levels "$levels" --json "$json" --command "Tools/bench-serve/run.sh $duration $levels"

kill -TERM "$server"
status=0; wait "$server" || status=$?
server=""
requests="$(grep -c ' /v1/query' "$work/serve.log" || true)"
fivexx="$(grep -Ec ' /v1/query[^ ]* 5[0-9][0-9] ' "$work/serve.log" || true)"
errors="$(grep -c 'error:' "$work/serve.log" || true)"
echo
echo "server: exit $status after SIGTERM; log: $requests request lines, $fivexx with a 5xx status, $errors 'error:' lines"
grep -E ' /v1/query[^ ]* [1-9][0-9][0-9] ' "$work/serve.log" | grep -v ' 200 ' | head -5 | sed 's/^/  /' || true
echo "$("$bin" --version), $(nproc) cores, load average before $load_before, after $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%Y-%m-%d)"
echo "figures: $json"
