#!/usr/bin/env bash
# EnvelopeTree.query speed, the revision REV (default main) against the working tree:
#   Tools/bench-tree/run.sh [REV] [COUNT...]      # COUNT: b boxes, default 100000 1000000
# Compiles EnvelopeTree.swift of both (renamed TreeOld / TreeNew) with PlanModel's Envelope
# into one optimised binary in a temporary folder; prints ns per query and the hits (equal).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"; root="$(cd "$here/../.." && pwd)"
rev="${1:-main}"; shift || true
counts=("$@"); [ ${#counts[@]} -gt 0 ] || counts=(100000 1000000)
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
strip() { sed -e 's/public //' -e '/^import /d'; }
git -C "$root" show "$rev:Sources/PlanGeometry/EnvelopeTree.swift" | strip | sed 's/struct EnvelopeTree/struct TreeOld/' > "$work/old.swift"
strip < "$root/Sources/PlanGeometry/EnvelopeTree.swift" | sed 's/struct EnvelopeTree/struct TreeNew/' > "$work/new.swift"
# PlanModel's Envelope (from its doc comment to its closing brace) and a stand-in Position.
awk '/^public struct Envelope/{p=1} p{print} p&&/^}/{exit}' "$root/Sources/PlanModel/Geometry.swift" | strip > "$work/envelope.swift"
echo 'struct Position { var x: Double; var y: Double }' >> "$work/envelope.swift"
swiftc -O "$work/envelope.swift" "$work/old.swift" "$work/new.swift" "$here/main.swift" -o "$work/bench" 2>&1 | grep -v warning | grep . || true
for count in "${counts[@]}"; do "$work/bench" "$count"; done
