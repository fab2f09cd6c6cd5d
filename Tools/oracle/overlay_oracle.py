#!/usr/bin/env python3
"""Independent figures for `plan-check overlay`, from GDAL (pyogrio), shapely, pyproj and GeoPandas.

    Tools/.venv/bin/python Tools/oracle/overlay_oracle.py > Tests/Fixtures/overlay-oracle.json
    Tools/.venv/bin/python Tools/oracle/overlay_oracle.py --rules R.yaml [--layer NAME=PATH ...] [--no-patches]

(needs geopandas, shapely, pyproj, pyogrio and PyYAML; see Tools/oracle/README.md.) Without
--rules it runs the three rule sets in RULE_SETS. The semantics are plan-check's, restated here:

  skipping  a rule involving a layer with no path (the `site` layer of plan-check query) is skipped
            unless --layer NAME=PATH gives one; layers no remaining rule uses are not read (the
            working CRS is still the first layer's).
  reading   each layer's file (path relative to the rules file, or --layer NAME=PATH), a
            GeoPackage's only layer or `layer_name`; unclosed rings closed by
            shapely.from_wkb(on_invalid="fix"); null/empty geometries rejected; invalid ones
            repaired with make_valid(method="structure", keep_collapsed=False), keeping the
            polygonal parts (a feature left with none is rejected). Repair happens in the source
            CRS; then the layer is reprojected (pyproj, always_xy) into the working CRS, which is
            the CRS of the first layer of the rules file.
  ids       GeoJSON: the feature's `id` member (read with the json module; pyogrio does not give
            string ids), else its 1-based position; GeoPackage: the fid.
  classes   a feature is in class C when its class_field value as text (integers without a
            fraction) equals a pattern of C, or starts with it when the pattern ends with `*`;
            a selector without a class means every feature of the layer.
  intersects  one candidate per (a, b) pair whose geometries intersect: a ∩ b (full precision),
            its polygonal parts; a part whose area is under min_area_m2 (planar in the working CRS,
            ellipsoidal when that CRS is geographic) is a sliver (counted, dropped); the pair is a
            patch when a part is left, its area the sum of its parts. A pair with no polygonal
            intersection (touching only) is counted as lower_dimension.
  outside   one candidate per a feature: a − union(b features intersecting a) (union first, as
            PostGIS and QGIS do), or a itself when no b intersects it; same parts/sliver rule.
  areas     planar: in working CRS units (null for a geographic working CRS); ellipsoidal:
            pyproj Geod.geometry_area_perimeter on the working CRS's ellipsoid, after transforming
            to its geographic CRS, exteriors counter-clockwise.

For comparison it also records GeoPandas' overlay(how="intersection", keep_geom_type=True) and
overlay(how="difference") on the same classified inputs; GeoPandas subtracts the neighbours of a
one by one, which leaves micro slivers that the union-first difference does not have.
"""
import argparse
import json
import sys
import warnings
from pathlib import Path

import geopandas
import numpy
import pyogrio
import pyproj
import shapely
import yaml
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.polygon import orient

ROOT = Path(__file__).resolve().parents[2]
RULE_SETS = [
    "SampleLayers/rules.yaml",
    "Tests/Fixtures/public/ny8.rules.yaml",
    "Tests/Fixtures/public/nc.rules.yaml",
]
ELLIPSOIDAL_RELATIVE_TOLERANCE = 1e-6


def polygonal(g):
    """The polygonal parts of g (a Polygon, MultiPolygon or collection), as a list of Polygons."""
    if g is None or g.is_empty:
        return []
    if isinstance(g, Polygon):
        return [g]
    if isinstance(g, MultiPolygon):
        return [p for p in g.geoms if not p.is_empty]
    if hasattr(g, "geoms"):
        return [p for part in g.geoms for p in polygonal(part)]
    return []


def value_text(v):
    """A class_field value as text: integers (and floats without a fraction) without a fraction."""
    if v is None or (isinstance(v, float) and numpy.isnan(v)):
        return None
    if isinstance(v, (bool, numpy.bool_)):
        return "true" if v else "false"
    if isinstance(v, (int, numpy.integer)):
        return str(int(v))
    if isinstance(v, (float, numpy.floating)):
        return str(int(v)) if float(v).is_integer() else repr(float(v))
    if isinstance(v, bytes):
        return v.decode("utf-8")
    return str(v)


def matches(text, patterns):
    if text is None:
        return False
    for p in patterns:
        p = str(p)
        if p.endswith("*"):
            if text.startswith(p[:-1]):
                return True
        elif text == p:
            return True
    return False


class Areas:
    """Planar and ellipsoidal areas in a working CRS."""

    def __init__(self, crs):
        self.crs = crs
        self.geographic = crs.is_geographic
        self.to_geog = pyproj.Transformer.from_crs(crs, crs.geodetic_crs, always_xy=True)
        self.geod = pyproj.Geod(a=crs.ellipsoid.semi_major_metre, rf=crs.ellipsoid.inverse_flattening)

    def planar(self, p):
        return p.area

    def ellipsoidal(self, p):
        t = self.to_geog
        lonlat = shapely.transform(orient(p, 1.0), lambda xy: numpy.column_stack(t.transform(xy[:, 0], xy[:, 1])))
        area, _perimeter = self.geod.geometry_area_perimeter(lonlat)
        return abs(area)

    def ellipsoidal_by_rings(self, p):
        """The same area a second way: Geod.polygon_area_perimeter ring by ring (|shell| − Σ|holes|)."""
        def ring_area(ring):
            xy = numpy.asarray(ring.coords)
            lon, lat = self.to_geog.transform(xy[:, 0], xy[:, 1])
            return abs(self.geod.polygon_area_perimeter(lon, lat)[0])
        return ring_area(p.exterior) - sum(ring_area(r) for r in p.interiors)

    def measure(self, p):
        """The area the sliver threshold is compared with."""
        return self.ellipsoidal(p) if self.geographic else p.area


def geojson_ids(path):
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    return [feat.get("id", n) if feat.get("id") is not None else n
            for n, feat in enumerate(doc.get("features", []), start=1)]


def read_layer(name, spec, path, working_crs):
    """Returns (layer summary, list of (fid, class text, geometry in working CRS), crs)."""
    layers = pyogrio.list_layers(path)
    layer = spec.get("layer_name")
    if layer is None:
        if len(layers) != 1:
            raise SystemExit(f"{path}: {len(layers)} layers; say which with layer_name")
        layer = layers[0][0]
    meta, fids, wkbs, fields = pyogrio.raw.read(path, layer=layer, return_fids=True)
    geometries = shapely.from_wkb(wkbs, on_invalid="fix")
    if str(path).lower().endswith((".geojson", ".json")):
        ids = geojson_ids(path)
        if len(ids) != len(geometries):
            raise SystemExit(f"{path}: {len(ids)} features in JSON, {len(geometries)} from GDAL")
    else:
        ids = [int(f) for f in fids]
    crs = pyproj.CRS.from_user_input(meta["crs"]) if meta["crs"] else pyproj.CRS("OGC:CRS84")
    if working_crs is None:
        working_crs = crs
    class_field = spec.get("class_field")
    values = None
    if class_field is not None:
        names = list(meta["fields"])
        if class_field not in names:
            raise SystemExit(f"{path}: no field {class_field}")
        values = fields[names.index(class_field)]
    transformer = None
    if not crs.equals(working_crs):
        transformer = pyproj.Transformer.from_crs(crs, working_crs, always_xy=True)
    rejected, repaired, out = [], [], []
    for i, g in enumerate(geometries):
        fid = ids[i]
        if g is None or g.is_empty:
            rejected.append({"fid": fid, "reason": "null_or_empty"})
            continue
        if not g.is_valid:
            repaired.append({"fid": fid, "reason": shapely.is_valid_reason(g)})
            g = shapely.make_valid(g, method="structure", keep_collapsed=False)
        parts = polygonal(g)
        if not parts:
            rejected.append({"fid": fid, "reason": "no_polygonal_part"})
            continue
        if not isinstance(g, (Polygon, MultiPolygon)):
            g = parts[0] if len(parts) == 1 else shapely.union_all(parts)
        if transformer is not None:
            g = shapely.transform(g, lambda xy: numpy.column_stack(transformer.transform(xy[:, 0], xy[:, 1])))
        out.append((fid, value_text(values[i]) if values is not None else None, g))
    summary = {
        "name": name, "path": str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path),
        "layer": layer, "crs": crs.name, "features": int(len(geometries)),
        "kept": len(out), "rejected": rejected, "repaired": repaired,
        "reprojected": transformer is not None,
        "transformation": transformer.description if transformer is not None else None,
        "invalid_after_reprojection": [f for f, _c, g in out if not g.is_valid] if transformer is not None else [],
    }
    return summary, out, crs


def select(features, spec, selector):
    if "." in selector:
        _layer, cls = selector.split(".", 1)
        patterns = spec["classes"][cls]
        if isinstance(patterns, str):
            patterns = [patterns]
        return [(fid, g) for fid, text, g in features if matches(text, patterns)]
    return [(fid, g) for fid, _text, g in features]


def record_parts(parts, areas, min_area, acc):
    """Splits parts into kept ones and slivers; updates the sliver totals in acc."""
    kept = []
    for p in parts:
        if areas.measure(p) < min_area:
            acc["sliver_count"] += 1
            acc["sliver_planar"] += p.area
            acc["sliver_ellipsoidal"] += areas.ellipsoidal(p)
        else:
            kept.append(p)
    return kept


def run_rule(rule, min_area, a, b, areas, with_patches, keep_geometries=False):
    relation = rule["relation"]
    acc = {"sliver_count": 0, "sliver_planar": 0.0, "sliver_ellipsoidal": 0.0}
    lower = 0
    covered = 0
    patches = []
    kept_all = []
    per_a = {}  # outside: a fid -> (area of all parts, part count), for the GeoPandas comparison
    b_geoms = numpy.array([g for _f, g in b], dtype=object)
    tree = shapely.STRtree(b_geoms)
    if relation == "intersects":
        a_geoms = numpy.array([g for _f, g in a], dtype=object)
        ai, bi = tree.query(a_geoms, predicate="intersects") if len(a) and len(b) else (numpy.array([], int),) * 2
        for i, j in sorted(zip(ai.tolist(), bi.tolist())):
            g = shapely.intersection(a[i][1], b[j][1])
            parts = polygonal(g)
            if not parts:
                lower += 1
                continue
            kept = record_parts(parts, areas, min_area, acc)
            if kept:
                patches.append((a[i][0], b[j][0], kept))
    elif relation == "outside":
        for i, (fid, ga) in enumerate(a):
            idx = tree.query(ga, predicate="intersects") if len(b) else []
            if len(idx) == 0:
                g = ga
            else:
                g = shapely.difference(ga, shapely.union_all(b_geoms[idx]))
            parts = polygonal(g)
            per_a[str(fid)] = (sum(areas.measure(p) for p in parts), len(parts))
            if not parts:
                if g is not None and not g.is_empty:
                    lower += 1
                else:
                    covered += 1
                continue
            kept = record_parts(parts, areas, min_area, acc)
            if kept:
                patches.append((fid, None, kept))
    else:
        raise SystemExit(f"rule {rule['id']}: unknown relation {relation}")

    patches.sort(key=lambda p: (p[0], p[1] if p[1] is not None else 0))
    patch_list, total_p, total_e, ge1 = [], 0.0, 0.0, 0
    worst = 0.0  # largest relative difference between the two ways of computing ellipsoidal area
    for afid, bfid, kept in patches:
        p_area = sum(p.area for p in kept)
        e_area = sum(areas.ellipsoidal(p) for p in kept)
        e_check = sum(areas.ellipsoidal_by_rings(p) for p in kept)
        worst = max(worst, abs(e_check - e_area) / e_area if e_area else 0.0)
        total_p += p_area
        total_e += e_area
        if (e_area if areas.geographic else p_area) >= 1.0:
            ge1 += 1
        kept_all.extend(kept)
        patch_list.append({"a_fid": afid, "b_fid": bfid, "parts": len(kept),
                           "planar_area": None if areas.geographic else p_area,
                           "ellipsoidal_area_m2": e_area})
    dissolved = shapely.union_all(kept_all) if kept_all else None
    d_parts = polygonal(dissolved)
    result = {
        "id": rule["id"], "relation": relation, "a": rule["a"], "b": rule["b"], "min_area_m2": min_area,
        "a_features": len(a), "b_features": len(b),
        "patches": len(patches), "patches_ge_1m2": ge1,
        "planar_area": None if areas.geographic else total_p,
        "ellipsoidal_area_m2": total_e,
        "dissolved": {"parts": len(d_parts),
                      "planar_area": None if areas.geographic else sum(p.area for p in d_parts),
                      "ellipsoidal_area_m2": sum(areas.ellipsoidal(p) for p in d_parts)},
        "slivers": {"count": acc["sliver_count"],
                    "planar_area": None if areas.geographic else acc["sliver_planar"],
                    "ellipsoidal_area_m2": acc["sliver_ellipsoidal"]},
        "lower_dimension": lower,
        "ellipsoidal_cross_check_max_relative_difference": worst,
    }
    if relation == "outside":
        result["a_fully_covered"] = covered
    result["_per_a"] = per_a
    result["_all_planar"] = total_p + acc["sliver_planar"]
    result["_all_area"] = (total_e + acc["sliver_ellipsoidal"]) if areas.geographic else (total_p + acc["sliver_planar"])
    if with_patches:
        result["patch_list"] = patch_list
    if keep_geometries:
        # (a_fid, b_fid or None, kept polygon parts), in patch order: for district_oracle.py.
        result["_geometries"] = patches
    return result


def geopandas_figures(rule, min_area, a, b, areas, ours):
    """GeoPandas' overlay on the same classified inputs, and how it compares with ours."""
    crs = areas.crs
    da = geopandas.GeoDataFrame({"a_fid": [str(f) for f, _g in a]}, geometry=[g for _f, g in a], crs=crs)
    db = geopandas.GeoDataFrame({"b_fid": [str(f) for f, _g in b]}, geometry=[g for _f, g in b], crs=crs)
    how = "intersection" if rule["relation"] == "intersects" else "difference"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if how == "intersection":
            res = geopandas.overlay(da, db, how="intersection", keep_geom_type=True)
        else:
            res = geopandas.overlay(da, db, how="difference")
    parts = [p for g in res.geometry for p in polygonal(g)]
    measures = [areas.measure(p) for p in parts]
    total = float(sum(measures))
    kept = [m for m in measures if m >= min_area]
    out = {
        "how": how, "rows": int(len(res)), "polygon_parts": len(parts),
        "area_all_parts": total,
        "parts_under_1m2": sum(1 for m in measures if m < 1.0),
        "parts_under_min_area": len(measures) - len(kept),
        "area_parts_at_least_min_area": float(sum(kept)),
        "area_difference_vs_oracle_all_parts": total - ours["_all_area"],
    }
    if how == "difference":
        # Per a feature: where GeoPandas' one-by-one difference differs from the union-first one.
        differing = []
        for fid, g in zip(res["a_fid"], res.geometry):
            gp = polygonal(g)
            g_area = sum(areas.measure(p) for p in gp)
            o_area, o_parts = ours["_per_a"].get(fid, (0.0, 0))
            if len(gp) != o_parts or abs(g_area - o_area) > 1e-9 * max(1.0, o_area):
                differing.append({"a_fid": fid, "geopandas_parts": len(gp), "oracle_parts": o_parts,
                                  "geopandas_area": g_area, "oracle_area": o_area,
                                  "geopandas_parts_under_1m2": sum(1 for p in gp if areas.measure(p) < 1.0)})
        missing = set(ours["_per_a"]) - set(res["a_fid"]) - {f for f, v in ours["_per_a"].items() if v[1] == 0}
        out["a_features_differing"] = len(differing) + len(missing)
        out["differing_examples"] = differing[:10]
    return out


def run(rules_path, overrides, with_patches=True, with_geopandas=True):
    rules_path = Path(rules_path).resolve()
    doc = yaml.safe_load(rules_path.read_text(encoding="utf-8"))
    global_min = float(doc.get("min_area_m2", 0) or 0)
    working_crs = None
    layer_info, features = [], {}

    def layer_path(name):
        if name in overrides:
            return Path(overrides[name]).resolve()
        if doc["layers"][name].get("path"):
            return (rules_path.parent / doc["layers"][name]["path"]).resolve()
        return None

    # As plan-check overlay does: a rule that involves a layer with no file (the `site` layer of
    # plan-check query, given with --layer site=PATH) is skipped; layers no remaining rule uses
    # (e.g. the constraint layers only the assessments use) are not read.
    rules = []
    for rule in doc["rules"]:
        missing = [n for n in (rule["a"].split(".", 1)[0], rule["b"].split(".", 1)[0]) if layer_path(n) is None]
        if missing:
            print(f"{rules_path.name}: rule {rule['id']} skipped: layer {missing[0]} has no path "
                  f"(give --layer {missing[0]}=PATH)", file=sys.stderr)
        else:
            rules.append(rule)
    used = {r[side].split(".", 1)[0] for r in rules for side in ("a", "b")}
    first = next(iter(doc["layers"]))
    if first not in used and layer_path(first) is not None:
        # The working CRS is still the first layer's, even when no rule reads that layer.
        info = pyogrio.read_info(layer_path(first), layer=doc["layers"][first].get("layer_name"))
        working_crs = pyproj.CRS.from_user_input(info["crs"]) if info["crs"] else pyproj.CRS("OGC:CRS84")
    for name, spec in doc["layers"].items():
        if name not in used:
            continue
        summary, feats, crs = read_layer(name, spec, layer_path(name), working_crs)
        if working_crs is None:
            working_crs = crs
        layer_info.append(summary)
        features[name] = feats
    areas = Areas(working_crs)
    results = []
    for rule in rules:
        min_area = float(rule.get("min_area_m2", global_min))
        sel = {}
        for side in ("a", "b"):
            lname = rule[side].split(".", 1)[0]
            sel[side] = select(features[lname], doc["layers"][lname], rule[side])
        r = run_rule(rule, min_area, sel["a"], sel["b"], areas, True)
        if with_geopandas:
            r["geopandas"] = geopandas_figures(rule, min_area, sel["a"], sel["b"], areas, r)
        r["_a_planar"] = sum(p.area for _f, g in sel["a"] for p in polygonal(g))
        r["a_area"] = sum((areas.ellipsoidal(p) if areas.geographic else p.area)
                          for _f, g in sel["a"] for p in polygonal(g))
        if not with_patches:
            r.pop("patch_list")
        results.append(r)
    # Check: for an outside rule and an intersects rule over the same two selectors, the area of a
    # (outside rule's a) = outside (all parts) + Σ pairwise intersections (all parts), as long as
    # the other side's features do not overlap one another.
    checks = []
    for o in results:
        if o["relation"] != "outside":
            continue
        for x in results:
            if x["relation"] == "intersects" and {x["a"], x["b"]} == {o["a"], o["b"]}:
                total = o["_all_area"] + x["_all_area"]
                checks.append({"outside": o["id"], "intersects": x["id"], "a": o["a"], "a_area": o["a_area"],
                               "outside_plus_intersects": total,
                               "relative_difference": (total - o["a_area"]) / o["a_area"] if o["a_area"] else None,
                               "planar_relative_difference":
                                   (o["_all_planar"] + x["_all_planar"] - o["_a_planar"]) / o["_a_planar"]
                                   if o["_a_planar"] else None})
    for r in results:
        r.pop("_all_area")
        r.pop("_per_a")
        r.pop("_all_planar")
        r.pop("_a_planar")
    rel = str(rules_path.relative_to(ROOT)) if rules_path.is_relative_to(ROOT) else str(rules_path)
    return {
        "rules": rel,
        "working_crs": {"name": working_crs.name, "is_geographic": working_crs.is_geographic,
                        "authority": working_crs.to_authority(), "geodetic_crs": working_crs.geodetic_crs.name,
                        "ellipsoid": {"name": working_crs.ellipsoid.name,
                                      "a": working_crs.ellipsoid.semi_major_metre,
                                      "rf": working_crs.ellipsoid.inverse_flattening}},
        "area_units": "planar_area in working CRS units (null when geographic); ellipsoidal_area_m2 in m²",
        "layers": layer_info,
        "results": results,
        "checks": checks,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rules", action="append", help="rules file (default: the three fixture rule sets)")
    parser.add_argument("--layer", action="append", default=[], metavar="NAME=PATH", help="layer file override")
    parser.add_argument("--no-patches", action="store_true", help="leave out the per-patch lists")
    parser.add_argument("--no-geopandas", action="store_true", help="skip the GeoPandas comparison")
    args = parser.parse_args()
    overrides = dict(s.split("=", 1) for s in args.layer)
    out = {
        "made_by": "Tools/oracle/overlay_oracle.py",
        "versions": {
            "geopandas": geopandas.__version__, "pyogrio": pyogrio.__version__,
            "gdal": pyogrio.__gdal_version_string__, "shapely": shapely.__version__,
            "geos": shapely.geos_version_string, "pyproj": pyproj.__version__, "proj": pyproj.proj_version_str,
            "numpy": numpy.__version__, "python": sys.version.split()[0],
        },
        "tolerance": {"ellipsoidal_area_relative": ELLIPSOIDAL_RELATIVE_TOLERANCE,
                      "note": "plan-check's per-patch ellipsoidal area must match each patch's "
                              "ellipsoidal_area_m2 within this relative difference"},
        "rule_sets": [run(r if Path(r).is_absolute() or Path(r).exists() else ROOT / r, overrides,
                          not args.no_patches, not args.no_geopandas)
                      for r in (args.rules or RULE_SETS)],
    }
    json.dump(out, sys.stdout, indent=1, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
