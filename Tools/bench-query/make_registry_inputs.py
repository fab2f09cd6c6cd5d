#!/usr/bin/env python3
"""Writes the inputs of the query benchmark: a synthetic district big enough for 1 000 assessed
regions, its constraint layers, a rule set with 10 assessment items, and N applicants' sites.

    python3 Tools/bench-query/make_registry_inputs.py --out Tools/out/bench-query/inputs
        [--regions-x 40 --regions-y 25] [--sites 2000] [--seed 4529]

Standard library only; the same arguments give the same bytes. Everything is in EPSG:4529
(CGCS2000 / 3-degree GK zone 41, the sample district's CRS) with the 2008-style crs member; the
district is 40 km x 25 km from E 41 470 000, N 4 360 000 (the sample district lies inside it).

What is written (OUT/):
  regions.geojson   one region per 1 km cell (40 x 25 = 1 000): a star-shaped polygon of 8-30
                    vertices, radius 360-465 m around the cell centre, so regions never overlap
                    (region_id R0001..., name)
  hazard.geojson    地质灾害易发区  1 000 blobs, YFCD 高易发 / 中易发 / 低易发
  flood.geojson     洪水淹没区      600 blobs, HSPL 20年一遇 / 100年一遇
  ecology.geojson   生态保护红线    200 blobs (one class)
  relics.geojson    文物保护        800 small blobs, BHLX 保护范围 / 建设控制地带
  seismic.geojson   活动断裂避让带  200 blobs, DLLX 活动断裂 / 隐伏断裂
  slope.geojson     水土流失敏感区  600 blobs, PDJB 陡坡 / 缓坡
  mineral.geojson   压覆矿产        150 blobs (one class)
  farmland.geojson  永久基本农田    2 000 blobs (conformity only)
  rules.yaml        10 items (geohazard, eia, flood, mineral, relics, seismic, soil_water,
                    traffic, energy, water_resources) and the site rules S1 (ecology) and S2
                    (farmland), both `intersects`, critical
  sites/site-NNNN.geojson   N sites of 1-10 ha (5-9 vertices): 75 % inside a region, 15 % across
                    a region's edge, 10 % at the corners between regions (mostly outside)
Other --regions-x/--regions-y give a smaller or larger district with the same density: the blob
counts above scale with the area (they are for 40 x 25 km). Constraint blobs are star-shaped (8-20 vertices, radii 60-100 % of their size) at uniform random
places; blobs of one layer may overlap each other (assess unions them).
"""
import argparse
import json
import math
import os
import random

CRS = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4529"}}
X0, Y0 = 41_470_000.0, 4_360_000.0
CELL = 1_000.0


def star(rng, cx, cy, r_min, r_max, n_min, n_max):
    """A star-shaped (so simple) polygon around (cx, cy): vertex radii in [r_min, r_max]."""
    n = rng.randint(n_min, n_max)
    phase = rng.uniform(0, 2 * math.pi)
    ring = []
    for k in range(n):
        a = phase + 2 * math.pi * (k + rng.uniform(-0.3, 0.3)) / n
        r = rng.uniform(r_min, r_max)
        ring.append([round(cx + r * math.cos(a), 2), round(cy + r * math.sin(a), 2)])
    ring.append(list(ring[0]))
    return {"type": "Polygon", "coordinates": [ring]}


def write(path, name, features):
    with open(path, "w", encoding="utf-8") as f:
        json.dump({"type": "FeatureCollection", "name": name, "crs": CRS, "features": features},
                  f, ensure_ascii=False, separators=(",", ":"))
        f.write("\n")


def blobs(rng, count, width, height, r_lo, r_hi, props):
    """`count` blobs at uniform places; props(rng, i) gives the attributes."""
    features = []
    for i in range(count):
        cx, cy = X0 + rng.uniform(0, width), Y0 + rng.uniform(0, height)
        size = rng.uniform(r_lo, r_hi)
        features.append({"type": "Feature", "id": i + 1, "properties": props(rng, i),
                          "geometry": star(rng, cx, cy, 0.6 * size, size, 8, 20)})
    return features


def pick(rng, choices):
    """choices: [(value, weight)]."""
    x = rng.uniform(0, sum(w for _, w in choices))
    for value, w in choices:
        x -= w
        if x <= 0:
            return value
    return choices[-1][0]


RULES = """\
# The query benchmark's rule set (Tools/bench-query/make_registry_inputs.py): 10 assessment items
# over seven generated constraint layers, and the applicant's site against the ecological redline
# and the basic farmland.
version: 1
min_area_m2: 1
grid_size_m: 0
project_types:
  industrial: 一般工业
  chemical: 化工
layers:
  hazard:
    title: 地质灾害易发区
    path: hazard.geojson
    class_field: YFCD
    classes: {high: ["高易发"], medium: ["中易发"], low: ["低易发"]}
  flood:
    title: 洪水淹没区
    path: flood.geojson
    class_field: HSPL
    classes: {p20: ["20年一遇"], p100: ["100年一遇"]}
  ecology: {title: 生态保护红线, path: ecology.geojson}
  relics:
    title: 文物保护范围及建设控制地带
    path: relics.geojson
    class_field: BHLX
    classes: {site: ["保护范围"], control: ["建设控制地带"]}
  seismic:
    title: 活动断裂避让带
    path: seismic.geojson
    class_field: DLLX
    classes: {active: ["活动断裂"], buried: ["隐伏断裂"]}
  slope:
    title: 水土流失敏感区
    path: slope.geojson
    class_field: PDJB
    classes: {steep: ["陡坡"], gentle: ["缓坡"]}
  mineral: {title: 压覆重要矿产资源, path: mineral.geojson}
  farmland: {title: 永久基本农田, path: farmland.geojson}
  site: {title: 项目用地范围}
rules:
  - {id: S1, title: 项目用地占用生态保护红线, severity: critical, relation: intersects, a: site, b: ecology}
  - {id: S2, title: 项目用地占用永久基本农田, severity: critical, relation: intersects, a: site, b: farmland}
assessments:
  - id: geohazard
    title: 地质灾害危险性评估
    validity_years: 3
    default_outcome: reuse
    constraints: {hazard.high: individual, hazard.medium: conditional}
    conditions: {conditional: 落实区域评估提出的地质灾害防治措施, individual: 位于地质灾害高易发区，须单独评估}
  - id: eia
    title: 环境影响评价
    validity_years: 5
    default_outcome: reuse
    constraints: {ecology: prohibited}
    conditions: {reuse: 符合区域规划环评结论, prohibited: 生态保护红线内禁止开发性、生产性建设活动}
    excluded_project_types: [chemical]
  - id: flood
    title: 洪水影响评价
    validity_years: 5
    default_outcome: reuse
    constraints: {flood.p20: individual, flood.p100: conditional}
  - id: mineral
    title: 压覆重要矿产资源评估
    validity_years: 5
    default_outcome: reuse
    constraints: {mineral: individual}
  - id: relics
    title: 文物考古调查勘探
    validity_years: 5
    default_outcome: reuse
    constraints: {relics.site: prohibited, relics.control: conditional}
  - id: seismic
    title: 地震安全性评价
    validity_years: 5
    default_outcome: reuse
    constraints: {seismic.active: individual, seismic.buried: conditional}
  - id: soil_water
    title: 水土保持方案
    validity_years: 5
    default_outcome: reuse
    constraints: {slope.steep: conditional}
  - id: traffic
    title: 交通影响评价
    validity_years: 5
    default_outcome: reuse
  - id: energy
    title: 节能评价
    validity_years: 5
    default_outcome: reuse
  - id: water_resources
    title: 水资源论证
    validity_years: 5
    default_outcome: reuse
    constraints: {flood.p20: conditional}
"""


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--regions-x", type=int, default=40)
    ap.add_argument("--regions-y", type=int, default=25)
    ap.add_argument("--sites", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=4529)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    out = args.out
    os.makedirs(os.path.join(out, "sites"), exist_ok=True)
    width, height = args.regions_x * CELL, args.regions_y * CELL

    # Regions: one per cell, never reaching the cell's edge (centre ±30 m, radius <= 465 m).
    regions, centres = [], []
    for j in range(args.regions_y):
        for i in range(args.regions_x):
            k = j * args.regions_x + i + 1
            cx = X0 + (i + 0.5) * CELL + rng.uniform(-30, 30)
            cy = Y0 + (j + 0.5) * CELL + rng.uniform(-30, 30)
            centres.append((cx, cy))
            regions.append({"type": "Feature", "id": k,
                            "properties": {"region_id": f"R{k:04d}", "name": f"区域{k:04d}"},
                            "geometry": star(rng, cx, cy, 360, 465, 8, 30)})
    write(os.path.join(out, "regions.geojson"), "regions", regions)

    layers = {
        "hazard": (1000, 150, 500, lambda r, i: {"YFCD": pick(r, [("高易发", 3), ("中易发", 5), ("低易发", 2)])}),
        "flood": (600, 200, 600, lambda r, i: {"HSPL": pick(r, [("20年一遇", 4), ("100年一遇", 6)])}),
        "ecology": (200, 150, 500, lambda r, i: {"HXBH": f"HX{i + 1:04d}"}),
        "relics": (800, 30, 150, lambda r, i: {"BHLX": pick(r, [("保护范围", 4), ("建设控制地带", 6)])}),
        "seismic": (200, 100, 300, lambda r, i: {"DLLX": pick(r, [("活动断裂", 5), ("隐伏断裂", 5)])}),
        "slope": (600, 100, 400, lambda r, i: {"PDJB": pick(r, [("陡坡", 5), ("缓坡", 5)])}),
        "mineral": (150, 200, 500, lambda r, i: {"KQBH": f"KQ{i + 1:04d}"}),
        "farmland": (2000, 60, 200, lambda r, i: {"JBNTBH": f"JB{i + 1:05d}"}),
    }
    total = 0
    scale = args.regions_x * args.regions_y / 1000  # the counts above are for 1 000 km²
    for name, (count, r_lo, r_hi, props) in layers.items():
        count = max(1, round(count * scale))
        write(os.path.join(out, f"{name}.geojson"), name, blobs(rng, count, width, height, r_lo, r_hi, props))
        total += count
    with open(os.path.join(out, "rules.yaml"), "w", encoding="utf-8") as f:
        f.write(RULES)

    # Sites: radius from the area (1-10 ha); inside, across an edge, or at a corner between cells.
    kinds = {"inside": 0, "straddle": 0, "corner": 0}
    for s in range(args.sites):
        area = rng.uniform(10_000, 100_000)
        r = math.sqrt(area / math.pi)
        kind = pick(rng, [("inside", 75), ("straddle", 15), ("corner", 10)])
        kinds[kind] += 1
        if kind == "corner":
            cx = X0 + rng.randint(1, args.regions_x - 1) * CELL + rng.uniform(-40, 40)
            cy = Y0 + rng.randint(1, args.regions_y - 1) * CELL + rng.uniform(-40, 40)
        else:
            ccx, ccy = centres[rng.randrange(len(centres))]
            a = rng.uniform(0, 2 * math.pi)
            d = rng.uniform(0, max(0.0, 300 - 1.15 * r)) if kind == "inside" else rng.uniform(380, 440)
            cx, cy = ccx + d * math.cos(a), ccy + d * math.sin(a)
        site = {"type": "Feature", "id": 1, "properties": {"XMMC": f"项目{s + 1:04d}", "KIND": kind},
                "geometry": star(rng, cx, cy, 0.85 * r, 1.1 * r, 5, 9)}
        write(os.path.join(out, "sites", f"site-{s + 1:04d}.geojson"), f"site-{s + 1:04d}", [site])
    print(f"regions={len(regions)} constraint_and_farmland_features={total} sites={args.sites} "
          + " ".join(f"{k}={v}" for k, v in kinds.items()))


if __name__ == "__main__":
    main()
