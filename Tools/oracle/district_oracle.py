#!/usr/bin/env python3
"""Independent district table for `plan-check overlay --districts`: the oracle's own patches
(overlay_oracle.run_rule, not plan-check's output) ∩ districts, per rule × district.

    Tools/.venv/bin/python Tools/oracle/district_oracle.py > Tests/Fixtures/district-oracle.json

Defaults: SampleLayers/rules.yaml, SampleLayers/districts.geojson, field XZQMC. Semantics:
  patches   exactly overlay_oracle.py's (reading, repair, classes, slivers dropped); each patch is
            its kept polygon parts.
  districts read like a layer (overlay_oracle.read_layer; repaired with make_valid "structure",
            reprojected into the working CRS when their CRS differs); features with the same field
            value are one district.
  split     per patch part and district: shapely.intersection(part, district) at full precision,
            its polygonal area (planar in working-CRS units; ellipsoidal with pyproj Geod on the
            working CRS's ellipsoid); a patch counts in a district when its part there has area > 0.
  outside   per patch part: part − union_all(every district), its area likewise.
  largest   per patch: the district with the largest planar part and that part / patch area
            (the CSV's `district` and `district_share`); null when in no district.
"""
import argparse
import json
import sys
from pathlib import Path

import pyproj
import shapely
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
import overlay_oracle as oo  # noqa: E402

ROOT = oo.ROOT


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rules", default="SampleLayers/rules.yaml")
    parser.add_argument("--districts", default="SampleLayers/districts.geojson")
    parser.add_argument("--field", default="XZQMC")
    args = parser.parse_args()
    rules_path = (ROOT / args.rules).resolve()
    doc = yaml.safe_load(rules_path.read_text(encoding="utf-8"))
    global_min = float(doc.get("min_area_m2", 0) or 0)

    def layer_path(name):
        p = doc["layers"][name].get("path")
        return (rules_path.parent / p).resolve() if p else None

    rules = [r for r in doc["rules"]
             if all(layer_path(r[s].split(".", 1)[0]) is not None for s in ("a", "b"))]
    used = {r[s].split(".", 1)[0] for r in rules for s in ("a", "b")}
    working_crs, features = None, {}
    for name, spec in doc["layers"].items():
        if name not in used:
            continue
        _summary, feats, crs = oo.read_layer(name, spec, layer_path(name), working_crs)
        working_crs = working_crs or crs
        features[name] = feats
    areas = oo.Areas(working_crs)

    d_summary, d_feats, _d_crs = oo.read_layer("districts", {"class_field": args.field},
                                                (ROOT / args.districts).resolve(), working_crs)
    names, geoms = [], {}
    for _fid, text, g in d_feats:
        if text not in geoms:
            names.append(text)
            geoms[text] = []
        geoms[text].append(g)
    district = {n: shapely.union_all(gs) for n, gs in geoms.items()}
    everything = shapely.union_all(list(district.values()))

    def measure(g):
        parts = oo.polygonal(g)
        return sum(p.area for p in parts), sum(areas.ellipsoidal(p) for p in parts)

    out_rules, largest = [], {}
    for rule in rules:
        min_area = float(rule.get("min_area_m2", global_min))
        sel = {s: oo.select(features[rule[s].split(".", 1)[0]], doc["layers"][rule[s].split(".", 1)[0]], rule[s])
               for s in ("a", "b")}
        r = oo.run_rule(rule, min_area, sel["a"], sel["b"], areas, False, keep_geometries=True)
        cells = {n: {"patches": 0, "planar_area": 0.0, "ellipsoidal_area_m2": 0.0} for n in names}
        outside = {"patches": 0, "planar_area": 0.0, "ellipsoidal_area_m2": 0.0}
        total = 0.0
        for afid, bfid, kept in r["_geometries"]:
            patch_area = sum(p.area for p in kept)
            total += patch_area
            best = None
            for n in names:
                pl, el = 0.0, 0.0
                for p in kept:
                    a, e = measure(shapely.intersection(p, district[n]))
                    pl, el = pl + a, el + e
                if pl > 0:
                    cells[n]["patches"] += 1
                    cells[n]["planar_area"] += pl
                    cells[n]["ellipsoidal_area_m2"] += el
                    if best is None or pl > best[1]:
                        best = (n, pl)
            pl, el = 0.0, 0.0
            for p in kept:
                a, e = measure(shapely.difference(p, everything))
                pl, el = pl + a, el + e
            if pl > 0:
                outside["patches"] += 1
                outside["planar_area"] += pl
                outside["ellipsoidal_area_m2"] += el
            pid = f"{rule['id']}:{afid}" + (f":{bfid}" if bfid is not None else "")
            largest[pid] = {"district": best[0], "share": best[1] / patch_area} if best else None
        out_rules.append({"rule": rule["id"], "patches": r["patches"], "planar_area": total,
                          "districts": cells, "outside": outside})
    json.dump({
        "made_by": "Tools/oracle/district_oracle.py",
        "versions": {"shapely": shapely.__version__, "geos": shapely.geos_version_string,
                     "pyproj": pyproj.__version__, "proj": pyproj.proj_version_str,
                     "gdal": oo.pyogrio.__gdal_version_string__, "python": sys.version.split()[0]},
        "rules_file": args.rules, "districts_file": args.districts, "field": args.field,
        "working_crs": working_crs.to_authority(),
        "districts_layer": d_summary,
        "names": names,
        "tolerance": {"planar_relative": 1e-9},
        "rules": out_rules,
        "largest_share": largest,
    }, sys.stdout, indent=1, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
