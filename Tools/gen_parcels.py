#!/usr/bin/env python3
"""Write a synthetic land-use parcel layer as GeoJSON, for benchmarks.

A FeatureCollection in EPSG:4529 (CGCS2000 / 3-degree Gauss-Kruger zone 41, with the 2008 `crs`
member) of N parcels: star-shaped polygons of 8-60 vertices around E 41 480 000..41 520 000,
N 4 360 000..4 400 000 (metres), about 1 in 8 with a hole and 1 in 12 a MultiPolygon of two
parts, with attributes like the 三调 land survey's (DLBM class code, BSM serial, QSDWMC owner,
TBMJ area). Standard library only; the same --seed gives the same file.

    python3 Tools/gen_parcels.py --count 100000 --out Tools/out/parcels-100k.geojson
"""
import argparse
import json
import math
import random

CLASS_CODES = ["0101", "0102", "0103", "0201", "0301", "0307", "0404", "0601", "0702", "1003",
               "1006", "1101", "1104", "1107", "1202", "05H1", "0801", "0901"]
OWNERS = ["某村", "东关村", "西湖村", "南岗村委会", "北山村民小组", "城关镇", "国有"]


def ring(rng, cx, cy, radius, vertices, clockwise=False):
    """A closed star-shaped ring (first position repeated last), coordinates to the millimetre."""
    step = 2 * math.pi / vertices
    angles = [i * step + rng.uniform(0, step * 0.8) for i in range(vertices)]
    if clockwise:
        angles.reverse()
    pts = []
    for a in angles:
        r = radius * rng.uniform(0.6, 1.0)
        pts.append([round(cx + r * math.cos(a), 3), round(cy + r * math.sin(a), 3)])
    pts.append(pts[0])
    return pts


def polygon(rng, cx, cy, radius, with_hole):
    rings = [ring(rng, cx, cy, radius, rng.randint(8, 60))]
    if with_hole:
        rings.append(ring(rng, cx, cy, radius * 0.3, rng.randint(4, 12), clockwise=True))
    return rings


def shoelace(points):
    return abs(sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(points, points[1:]))) / 2


def parcel(rng, serial):
    cx = rng.uniform(41_480_000, 41_520_000)
    cy = rng.uniform(4_360_000, 4_400_000)
    radius = rng.uniform(15, 120)
    if rng.random() < 1 / 12:
        parts = [polygon(rng, cx, cy, radius, False),
                 polygon(rng, cx + 3 * radius, cy + radius, radius * 0.5, rng.random() < 0.2)]
        geometry = {"type": "MultiPolygon", "coordinates": parts}
    else:
        parts = [polygon(rng, cx, cy, radius, rng.random() < 1 / 8)]
        geometry = {"type": "Polygon", "coordinates": parts[0]}
    area = sum(shoelace(p[0]) - sum(shoelace(h) for h in p[1:]) for p in parts)
    properties = {
        "BSM": serial,
        "DLBM": rng.choice(CLASS_CODES),
        "QSDWMC": rng.choice(OWNERS),
        "TBMJ": round(area, 2),
        "ZLDWDM": "1301%08d" % rng.randint(0, 99_999_999),
    }
    return {"type": "Feature", "id": serial, "properties": properties, "geometry": geometry}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, required=True, help="number of parcels")
    parser.add_argument("--out", required=True, help="GeoJSON file to write")
    parser.add_argument("--seed", type=int, default=4529, help="random seed (default 4529)")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    with open(args.out, "w", encoding="utf-8") as out:
        out.write('{"type": "FeatureCollection", "name": "parcels",\n'
                  '"crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4529"}},\n'
                  '"features": [\n')
        for i in range(args.count):
            if i:
                out.write(",\n")
            out.write(json.dumps(parcel(rng, i + 1), ensure_ascii=False))
        out.write("\n]}\n")


if __name__ == "__main__":
    main()
