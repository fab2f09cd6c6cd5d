#!/usr/bin/env python3
"""Writes SampleLayers/districts.geojson: three towns (乡镇/街道) of the sample district, for
`plan-check overlay --districts SampleLayers/districts.geojson --district-field XZQMC`.

Standard library only, no randomness (every vertex is below), so the same file comes out every time:
    python3 Tools/samples/make_districts_xzq.py SampleLayers

The towns are fictional (names and 12-digit XZQDM codes in the pattern of 金州区, 210213). They tile
the west and middle of the sample's 4 000 m x 3 000 m extent and share their boundary vertices
exactly (so they do not overlap), but leave the east edge (x > 3 650-3 700 m) and the north-east
corner (above 2 200-2 400 m, east of 2 700-2 800 m) outside every town, so "outside every
district" is not zero. EPSG:4529 with the 2008-style crs member, like the other sample layers;
coordinates in district metres east and north of E 41 482 000, N 4 374 000 (make_district.py).
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_district import feature, polygon, write  # noqa: E402

TOWNS = [
    (1, {"XZQDM": "210213001000", "XZQMC": "二十里堡街道"},
     [(0, 0), (1500, 0), (1420, 1100), (1600, 1800), (1500, 3000), (0, 3000)]),
    (2, {"XZQDM": "210213002000", "XZQMC": "大魏家街道"},
     [(1500, 0), (2900, 0), (2950, 1400), (2800, 2200), (2700, 3000), (1500, 3000), (1600, 1800), (1420, 1100)]),
    (3, {"XZQDM": "210213003000", "XZQMC": "向应街道"},
     [(2900, 0), (3700, 0), (3650, 1500), (3500, 2400), (2800, 2200), (2950, 1400)]),
]


def main(out):
    features = [feature(fid, props, polygon([ring])) for fid, props, ring in TOWNS]
    write(os.path.join(out, "districts.geojson"), "districts", features)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "SampleLayers")
