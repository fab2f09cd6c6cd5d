#!/usr/bin/env python3
"""A constructed plan revision and the independent figures of `plan-check diff` on it.

    Tools/.venv/bin/python Tools/oracle/diff_oracle.py > Tests/Fixtures/diff-oracle.json

(needs geopandas, shapely, pyproj and PyYAML; see Tools/oracle/README.md.) It writes the two
versions it compares into Tests/Fixtures/diff/ (old.geojson, new.geojson; the class mapping
classes.yaml is committed beside them), then prints the figures as JSON.

The revision, made from SampleLayers/landuse.geojson (107 parcels with a geometry; the unclosed
ring of feature 17 closed, the null geometry of feature 60 left out):

  old       the parcels as they are, DLBM codes (二调 style), identified by BSM.
  new       the same land in 用地用海分类 codes (field YDYHFLDM), in reverse file order, with:
            reclassified  three farmland parcels become residential (07), one forest parcel farmland;
            merged        two neighbouring parcels of one class become one (the first BSM kept);
            split         one parcel cut in two by a north-south line through its centroid (the
                          west half keeps the BSM, the east half gets a new one);
            removed       one parcel dropped from the plan (its land is only in the old version);
            reshaped      one parcel shrunk by 5 m (negative buffer, mitred);
            added         a new 200 m × 150 m parcel east of the district (land only in the new).

The figures, with plan-check's semantics restated:
  classes   by classes.yaml: the first class whose code pattern matches (exact, or prefix with *).
  matrix    geopandas.overlay(old, new, how="intersection", keep_geom_type=True), areas summed by
            (old class, new class): planar m² in EPSG:4529, and ellipsoidal (pyproj Geod on the
            CGCS2000 ellipsoid after transforming to EPSG:4490).
  only_old  each old parcel minus the union of the new parcels that intersect it (union first,
            as PostGIS and QGIS do), summed by old class; only_new the same the other way.
  totals    each version's parcels measured whole.
  changes   the kinds each BSM must show, from the construction above (not from an overlay).
"""
import json
import sys
from pathlib import Path

import geopandas
import numpy
import pandas
import pyproj
import shapely
import yaml
from shapely.geometry import Polygon, box, mapping, shape
from shapely.geometry.polygon import orient

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "Tests/Fixtures/diff"
CRS = "EPSG:4529"
URN = "urn:ogc:def:crs:EPSG::4529"
NEW_CODE = {"201": "0701", "202": "0701", "203": "0703", "0111": "0101", "0112": "0102", "031": "0301", "111": "1701"}


def read_old():
    data = json.loads((ROOT / "SampleLayers/landuse.geojson").read_text())
    parcels = []
    for f in data["features"]:
        if f["geometry"] is None:
            continue
        rings = f["geometry"]["coordinates"]
        rings = [r if r[0] == r[-1] else r + [r[0]] for r in rings]
        p = Polygon(rings[0], rings[1:])
        props = f["properties"]
        parcels.append({"BSM": props["BSM"], "DLBM": props["DLBM"], "DLMC": props["DLMC"], "geometry": p})
    return parcels


def coords(geom):
    """GeoJSON coordinates of a Polygon, as written (shapely's mapping keeps the positions)."""
    return mapping(geom)["coordinates"]


def revise(old):
    by_bsm = {p["BSM"]: p for p in old}
    new = {p["BSM"]: {"BSM": p["BSM"], "YDYHFLDM": NEW_CODE[p["DLBM"]], "geometry": p["geometry"]} for p in old}
    expected = {}
    used = set()

    def pick(pred):
        for p in old:
            if p["BSM"] not in used and pred(p):
                used.add(p["BSM"])
                return p
        raise SystemExit("diff_oracle: no parcel fits the revision step")

    farm = [pick(lambda p: p["DLBM"].startswith("011")) for _ in range(3)]
    for p in farm:
        new[p["BSM"]]["YDYHFLDM"] = "0702"
        expected[p["BSM"]] = ["reclassified"]
    forest = pick(lambda p: p["DLBM"] == "031")
    new[forest["BSM"]]["YDYHFLDM"] = "0103"
    expected[forest["BSM"]] = ["reclassified"]

    # merged: the first pair of same-code neighbours sharing an edge
    pair = None
    for a in old:
        if a["BSM"] in used:
            continue
        for b in old:
            if b["BSM"] <= a["BSM"] or b["BSM"] in used or b["DLBM"] != a["DLBM"]:
                continue
            if a["geometry"].intersection(b["geometry"]).length > 1:
                pair = (a, b)
                break
        if pair:
            break
    a, b = pair
    used.update([a["BSM"], b["BSM"]])
    merged = shapely.union(a["geometry"], b["geometry"])
    assert merged.geom_type == "Polygon"
    new[a["BSM"]]["geometry"] = merged
    del new[b["BSM"]]
    expected[a["BSM"]] = ["reshaped", "merged"]
    expected[b["BSM"]] = ["removed"]

    # split: a parcel cut by a north-south line through its centroid
    s = pick(lambda p: p["geometry"].area > 50000)
    g = s["geometry"]
    minx, miny, maxx, maxy = g.bounds
    cx = g.centroid.x
    west = g.intersection(box(minx - 1, miny - 1, cx, maxy + 1))
    east = g.intersection(box(cx, miny - 1, maxx + 1, maxy + 1))
    assert west.geom_type == "Polygon" and east.geom_type == "Polygon"
    new[s["BSM"]]["geometry"] = west
    new_bsm = 4109001
    new[new_bsm] = {"BSM": new_bsm, "YDYHFLDM": NEW_CODE[s["DLBM"]], "geometry": east}
    expected[s["BSM"]] = ["reshaped", "split"]
    expected[new_bsm] = ["added"]

    removed = pick(lambda p: True)
    del new[removed["BSM"]]
    expected[removed["BSM"]] = ["removed"]

    shrunk = pick(lambda p: p["geometry"].area > 20000)
    new[shrunk["BSM"]]["geometry"] = shrunk["geometry"].buffer(-5, join_style="mitre")
    expected[shrunk["BSM"]] = ["reshaped"]

    xmax = max(p["geometry"].bounds[2] for p in old)
    ymin = min(p["geometry"].bounds[1] for p in old)
    added_bsm = 4109002
    new[added_bsm] = {"BSM": added_bsm, "YDYHFLDM": "1001", "geometry": box(xmax + 100, ymin + 100, xmax + 300, ymin + 250)}
    expected[added_bsm] = ["added"]
    return list(reversed(list(new.values()))), expected


def write(path, parcels, fields):
    features = []
    for k, p in enumerate(parcels):
        features.append({"type": "Feature", "id": k + 1, "properties": {f: p[f] for f in fields},
                         "geometry": {"type": "Polygon", "coordinates": coords(p["geometry"])}})
    doc = {"type": "FeatureCollection", "name": path.stem, "crs": {"type": "name", "properties": {"name": URN}}, "features": features}
    path.write_text(json.dumps(doc, ensure_ascii=False) + "\n")


def classify(code, classes):
    for name, patterns in classes.items():
        for pattern in patterns:
            if (pattern.endswith("*") and code.startswith(pattern[:-1])) or code == pattern:
                return name
    return "(unclassified)"


class Areas:
    def __init__(self):
        crs = pyproj.CRS(CRS)
        self.to_geog = pyproj.Transformer.from_crs(crs, crs.geodetic_crs, always_xy=True)
        self.geod = pyproj.Geod(a=crs.ellipsoid.semi_major_metre, rf=crs.ellipsoid.inverse_flattening)

    def ellipsoidal(self, g):
        t = self.to_geog
        total = 0.0
        for p in getattr(g, "geoms", [g]):
            if p.geom_type != "Polygon" or p.is_empty:
                continue
            lonlat = shapely.transform(orient(p, 1.0), lambda xy: numpy.column_stack(t.transform(xy[:, 0], xy[:, 1])))
            total += abs(self.geod.geometry_area_perimeter(lonlat)[0])
        return total


def polygonal(g):
    parts = [p for p in getattr(g, "geoms", [g]) if p.geom_type in ("Polygon", "MultiPolygon") and not p.is_empty]
    return shapely.union_all(parts) if parts else None


def only(a_frame, b_frame, cls_col, areas):
    out = {}
    tree = shapely.STRtree(list(b_frame.geometry))
    for geom, cls in zip(a_frame.geometry, a_frame[cls_col]):
        hits = [b_frame.geometry.iloc[i] for i in tree.query(geom, predicate="intersects")]
        rest = geom.difference(shapely.union_all(hits)) if hits else geom
        rest = polygonal(rest)
        if rest is None or rest.area == 0:
            continue
        entry = out.setdefault(cls, [0.0, 0.0])
        entry[0] += rest.area
        entry[1] += areas.ellipsoidal(rest)
    return [{"class": c, "area_m2": v[0], "area_ellipsoidal_m2": v[1]} for c, v in sorted(out.items())]


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    old = read_old()
    new, expected = revise(old)
    write(OUT / "old.geojson", old, ["BSM", "DLBM", "DLMC"])
    write(OUT / "new.geojson", new, ["BSM", "YDYHFLDM"])
    mapping_ = yaml.safe_load((OUT / "classes.yaml").read_text())
    areas = Areas()
    o = geopandas.GeoDataFrame(
        {"BSM": [p["BSM"] for p in old], "old_class": [classify(p["DLBM"], mapping_["old"]) for p in old]},
        geometry=[p["geometry"] for p in old], crs=CRS)
    n = geopandas.GeoDataFrame(
        {"BSM": [p["BSM"] for p in new], "new_class": [classify(p["YDYHFLDM"], mapping_["new"]) for p in new]},
        geometry=[p["geometry"] for p in new], crs=CRS)
    both = geopandas.overlay(o, n, how="intersection", keep_geom_type=True)
    both["area_m2"] = both.geometry.area
    both["area_ellipsoidal_m2"] = [areas.ellipsoidal(g) for g in both.geometry]
    cells = both.groupby(["old_class", "new_class"])[["area_m2", "area_ellipsoidal_m2"]].sum().reset_index()
    totals = lambda frame: {"area_m2": float(frame.geometry.area.sum()), "area_ellipsoidal_m2": float(sum(areas.ellipsoidal(g) for g in frame.geometry))}
    counts = {}
    for kinds in expected.values():
        for k in kinds:
            counts[k] = counts.get(k, 0) + 1
    ids_both = set(p["BSM"] for p in old) & set(p["BSM"] for p in new)
    result = {
        "libraries": {"geopandas": geopandas.__version__, "shapely": shapely.__version__, "geos": shapely.geos_version_string,
                      "pyproj": pyproj.__version__, "proj": pyproj.proj_version_str, "pandas": pandas.__version__},
        "inputs": {"old": "Tests/Fixtures/diff/old.geojson", "new": "Tests/Fixtures/diff/new.geojson", "classes": "Tests/Fixtures/diff/classes.yaml"},
        "matrix": [{"old_class": r.old_class, "new_class": r.new_class, "area_m2": float(r.area_m2),
                    "area_ellipsoidal_m2": float(r.area_ellipsoidal_m2)} for r in cells.itertuples()],
        "only_old": only(o, n, "old_class", areas),
        "only_new": only(n, o, "new_class", areas),
        "old_total": totals(o),
        "new_total": totals(n),
        "changes": {str(k): v for k, v in sorted(expected.items())},
        "change_counts": counts,
        "unchanged": len(ids_both) - sum(1 for k in expected if k in ids_both),
    }
    json.dump(result, sys.stdout, indent=1, ensure_ascii=False, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
