"""Do the peers answer the same question? Compares plan-check's JSON answers (one file per site,
from cli_query.py) with the peers' figures (JSON lines from geopandas_query.py and
postgis_query.py), and the web service's answers with the command line's.

    python3 check_answers.py CLI_ANSWERS_DIR [NAME=PEER.jsonl ...] [--http HTTP_ANSWERS_DIR]

Per site and item, the zones the site touches by >= 1 m² (same region, source and planar area),
the area outside the item's regions (plan-check's `outside_region` reason when >= 1 m²; a peer's
area below 1 m² matches no reason), and per conformity rule the patches (feature and area). Areas
must agree within 1e-6 relative. Prints one line per peer; exit 1 on any mismatch.
"""
import json
import os
import sys

TOLERANCE, THRESHOLD = 1e-6, 1.0
args = [a for a in sys.argv[1:]]
http_dir = None
if "--http" in args:
    http_dir = args[args.index("--http") + 1]
    del args[args.index("--http"):args.index("--http") + 2]
cli_dir, peers = args[0], args[1:]


def rel(a, b):
    return abs(a - b) / max(abs(a), abs(b), 1e-300)


answers = {}
for name in sorted(os.listdir(cli_dir)):
    with open(os.path.join(cli_dir, name)) as f:
        answers[name.replace(".json", ".geojson")] = json.load(f)

failed = False
for peer in peers:
    label, path = peer.split("=", 1)
    figures = {}
    with open(path) as f:
        for line in f:
            r = json.loads(line)
            figures[r["site"]] = r
    compared = {"zone": 0, "outside": 0, "patch": 0}
    worst, mismatches = 0.0, []
    for site, answer in answers.items():
        peer_figures = figures.get(site)
        if peer_figures is None:
            mismatches.append(f"{site}: no answer from {label}")
            continue
        mine = {(i["item_id"], z["region_id"], z["source"]): z["area"]["m2"] for i in answer["items"] for z in i["zones"]}
        theirs = {(a, b, c): area for a, b, c, area in peer_figures["zones"]}
        for key in mine.keys() | theirs.keys():
            if key not in mine or key not in theirs:
                mismatches.append(f"{site}: zone {key}: plan-check {mine.get(key)}, {label} {theirs.get(key)}")
                continue
            compared["zone"] += 1
            worst = max(worst, rel(mine[key], theirs[key]))
            if rel(mine[key], theirs[key]) > TOLERANCE:
                mismatches.append(f"{site}: zone {key}: plan-check {mine[key]}, {label} {theirs[key]}")
        for item in answer["items"]:
            reason = next((r for r in item["reasons"] if r["code"] == "outside_region"), None)
            other = peer_figures["outside"].get(item["item_id"])
            if other is None:
                mismatches.append(f"{site}: item {item['item_id']}: no outside area from {label}")
            elif reason is None:
                if other >= THRESHOLD:
                    mismatches.append(f"{site}: item {item['item_id']}: {label} has {other} m² outside, plan-check no outside_region")
                compared["outside"] += 1
            else:
                compared["outside"] += 1
                worst = max(worst, rel(reason["area"]["m2"], other))
                if rel(reason["area"]["m2"], other) > TOLERANCE:
                    mismatches.append(f"{site}: item {item['item_id']} outside: plan-check {reason['area']['m2']}, {label} {other}")
        mine = {(r["rule"], p["b_fid"]): p["area"]["m2"] for r in answer["conformity"]["rules"] for p in r["patches"]}
        theirs = {(a, b): area for a, b, area in peer_figures["patches"]}
        for key in mine.keys() | theirs.keys():
            if key not in mine or key not in theirs:
                mismatches.append(f"{site}: patch {key}: plan-check {mine.get(key)}, {label} {theirs.get(key)}")
                continue
            compared["patch"] += 1
            worst = max(worst, rel(mine[key], theirs[key]))
            if rel(mine[key], theirs[key]) > TOLERANCE:
                mismatches.append(f"{site}: patch {key}: plan-check {mine[key]}, {label} {theirs[key]}")
    print(f"{label}: {len(answers)} sites; {compared['zone']} zone areas, {compared['outside']} outside areas, "
          f"{compared['patch']} patch areas compared; largest relative difference {worst:.1e}; "
          f"mismatches {len(mismatches)}")
    for m in mismatches[:10]:
        print(f"  !! {m}")
    failed |= bool(mismatches)

if http_dir:
    same, differ = 0, []
    for name in sorted(os.listdir(http_dir)):
        with open(os.path.join(http_dir, name)) as f:
            served = json.load(f)
        cli = answers.get(name.replace(".json", ".geojson"))
        if cli is None:
            continue
        served["query"]["site"] = cli["query"]["site"]
        if served == cli:
            same += 1
        else:
            differ.append(name)
    print(f"serve: {same} answers identical to the command line's (query.site aside), {len(differ)} differ"
          + (f": {', '.join(differ[:5])}" if differ else ""))
    failed |= bool(differ)
sys.exit(1 if failed else 0)
