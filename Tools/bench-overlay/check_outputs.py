"""Counts and areas of overlay results, so Tools/bench-overlay/run.sh can check that the tools agree.

    python check_outputs.py NAME=FILE.geojson ... [NAME=bareloop:FEATURES:AREA_GE_1:AREA_SUM ...]

For each GeoJSON file: the number of features, the number with planar area >= 1 m² and their
total area, and the total area of all features (shapely, i.e. GEOS, areas of what the file holds).
A `bareloop:` entry gives the figures the bare loop printed (it writes no file). The first entry
is the reference: every other must have the same count of features >= 1 m² and total areas within
a relative 1e-6. Prints one line per entry and exits 1 if any disagrees.
"""
import sys

import shapely
from pyogrio import raw

TOLERANCE = 1e-6
rows = []
for arg in sys.argv[1:]:
    name, spec = arg.split("=", 1)
    if spec.startswith("bareloop:"):
        _, ge1, area_ge1, area_all = spec.split(":")
        rows.append((name, None, int(ge1), float(area_ge1), float(area_all)))
        continue
    meta, _, wkb, _ = raw.read(spec, columns=[], read_geometry=True)
    areas = shapely.area(shapely.from_wkb(wkb))
    big = areas >= 1.0
    rows.append((name, len(areas), int(big.sum()), float(areas[big].sum()), float(areas.sum())))

ref = rows[0]
ok = True
for name, features, ge1, area_ge1, area_all in rows:
    d1 = abs(area_ge1 - ref[3]) / ref[3]
    d2 = abs(area_all - ref[4]) / ref[4]
    agree = ge1 == ref[2] and d1 < TOLERANCE and d2 < TOLERANCE
    ok &= agree
    print(f"{name:<22} features={features if features is not None else '-':>8} features_ge_1m2={ge1:>8} "
          f"area_ge_1m2={area_ge1:.4f} area_all={area_all:.4f} rel_diff={max(d1, d2):.1e} "
          f"{'ok' if agree else 'DIFFERS'}")
sys.exit(0 if ok else 1)
