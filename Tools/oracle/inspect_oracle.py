#!/usr/bin/env python3
"""Independent figures for `plan-check inspect`, from GDAL (pyogrio), shapely and pyproj.

    Tools/.venv/bin/python Tools/oracle/inspect_oracle.py > Tests/Fixtures/inspect-oracle.json

(`make oracle` sets up the venv.) For each layer: feature count, null geometries, the ids of
invalid geometries (shapely is_valid), the extent, and two area totals over the polygonal
features after repair with shapely's make_valid(method="structure") (the same GEOS algorithm
plan-check calls), keeping polygonal parts:
  - planar_area_m2: in the layer's CRS (null for a geographic CRS);
  - ellipsoidal_area_m2: pyproj Geod.geometry_area_perimeter on the CRS's own ellipsoid, after
    transforming to the CRS's geographic CRS (lon/lat order).
The tests compare plan-check's report with these figures; the versions used are recorded.
"""
import json
import sys
from pathlib import Path

import numpy
import pyogrio
import pyproj
import shapely
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.polygon import orient

ROOT = Path(__file__).resolve().parents[2]
LAYERS = [
    ("SampleLayers/landuse.geojson", None),
    ("SampleLayers/urban.geojson", None),
    ("SampleLayers/farmland.gpkg", "farmland"),
    ("Tests/Fixtures/public/ny8_utm18.geojson", None),
    ("Tests/Fixtures/public/nc.gpkg", "nc.gpkg"),
    ("Tests/Fixtures/public/buildings.gpkg", "buildings"),
]


def polygonal(g):
    """The polygonal parts of g (a Polygon, MultiPolygon or collection), as a list of Polygons."""
    if g is None or g.is_empty:
        return []
    if isinstance(g, Polygon):
        return [g]
    if isinstance(g, MultiPolygon):
        return list(g.geoms)
    if hasattr(g, "geoms"):
        return [p for part in g.geoms for p in polygonal(part)]
    return []


def main():
    out = {
        "made_by": "Tools/oracle/inspect_oracle.py",
        "versions": {
            "pyogrio": pyogrio.__version__, "gdal": pyogrio.__gdal_version_string__,
            "shapely": shapely.__version__, "geos": shapely.geos_version_string,
            "pyproj": pyproj.__version__, "proj": pyproj.proj_version_str,
        },
        "layers": [],
    }
    for rel, layer in LAYERS:
        path = ROOT / rel
        meta, fids, wkbs, _fields = pyogrio.raw.read(path, layer=layer, return_fids=True)
        # on_invalid="fix": GDAL passes an unclosed ring through; shapely closes it (as plan-check's
        # repair does) instead of refusing the whole layer.
        geometries = shapely.from_wkb(wkbs, on_invalid="fix")
        crs = pyproj.CRS.from_user_input(meta["crs"]) if meta["crs"] else pyproj.CRS("OGC:CRS84")
        geog = crs.geodetic_crs
        to_geog = pyproj.Transformer.from_crs(crs, geog, always_xy=True)
        geod = pyproj.Geod(a=crs.ellipsoid.semi_major_metre, rf=crs.ellipsoid.inverse_flattening)
        nulls, invalid, planar, ellipsoidal, kept = 0, [], 0.0, 0.0, 0
        minx = miny = float("inf")
        maxx = maxy = float("-inf")
        for i, g in enumerate(geometries):
            if g is None or g.is_empty:
                nulls += 1
                continue
            b = g.bounds
            minx, miny, maxx, maxy = min(minx, b[0]), min(miny, b[1]), max(maxx, b[2]), max(maxy, b[3])
            if not g.is_valid:
                invalid.append({"index": i, "reason": shapely.is_valid_reason(g)})
                g = shapely.make_valid(g, method="structure", keep_collapsed=False)
            parts = polygonal(g)
            if not parts:
                continue
            kept += 1
            for p in parts:
                planar += p.area
                lonlat = shapely.transform(orient(p, 1.0), lambda xy: numpy.column_stack(to_geog.transform(xy[:, 0], xy[:, 1])))
                area, _perimeter = geod.geometry_area_perimeter(lonlat)
                ellipsoidal += abs(area)
        out["layers"].append({
            "path": rel, "layer": layer, "features": int(len(geometries)), "null_or_empty": nulls,
            "invalid": invalid, "polygonal_features_kept": kept,
            "crs_is_geographic": crs.is_geographic, "crs_name": crs.name,
            "extent": [minx, miny, maxx, maxy],
            "planar_area_m2": None if crs.is_geographic else planar,
            "ellipsoidal_area_m2": ellipsoidal,
        })
    json.dump(out, sys.stdout, indent=1, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
