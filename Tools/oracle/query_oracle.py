#!/usr/bin/env python3
"""Independent figures for `plan-check assess` and `plan-check query` on the sample district.

    Tools/.venv/bin/python Tools/oracle/query_oracle.py > Tests/Fixtures/query-oracle.json

(needs geopandas, shapely, pyproj, pyogrio and PyYAML, like overlay_oracle.py, whose reading,
class selection, rule evaluation and area functions it reuses.) It reads no plan-check output.
The semantics are those of the issue 4 contract, restated here:

  layers    every layer of SampleLayers/rules.yaml that has a path, read, repaired and reprojected
            into the working CRS (the first layer's, EPSG:4529) as overlay_oracle.py does; regions
            from SampleLayers/regions.geojson (id from `region_id`, name from `name`).
  assess    for each region R and item I: the constraint entries, worst outcome first (reuse <
            conditional < individual < prohibited), file order within one outcome; covered = empty;
            Z_e = (R ∩ union(features selected by e)) − covered; covered = covered ∪ Z_e; the
            default zone = R − covered; zones with no polygonal area are left out. Areas: planar in
            EPSG:4529, ellipsoidal with pyproj Geod on the CGCS2000 ellipsoid after transforming to
            EPSG:4490 (always_xy); ha = m²/10 000 and mu = m²·15/10 000 from the ellipsoidal area.
  records   as `make sample` makes them: R3 assessed with --valid-from 2021-03-01 --valid-until
            2024-02-29, R1 and R2 with --valid-from 2026-01-01 (valid until the day before the
            validity_years anniversary: 2028-12-31 for 3 years, 2030-12-31 for 5).
  query     at D = 2026-12-01, for each site (all its parts repaired, reprojected, unioned): per item,
            the zones Z of the regions with a planar area(S ∩ Z) >= t (t = the item's min_area_m2,
            else the rule set's: 1 m²), the outcome (worst touched zone, reuse if none), and the
            reasons that raise it to at least individual (prohibited stays prohibited):
            outside_region (planar area(S − union(regions)) >= t, with that area), expired /
            not_yet_valid (of a region with planar area(S ∩ R) >= t), excluded_project_type.
            inputs_changed never applies here (no --layer files are given).
            Plan conformity: rules S1-S4 with a = the site (one feature, fid "site") by
            overlay_oracle.run_rule. Exit status 0 when every item is reuse or conditional and no
            conformity patch is critical, else 1.
The script asserts that each sample site shows what SampleLayers/README.md says it shows, and
fails loudly when one does not.
"""
import datetime
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

sys.path.insert(0, str(Path(__file__).resolve().parent))
from overlay_oracle import Areas, polygonal, read_layer, run_rule, select  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "SampleLayers/rules.yaml"
REGIONS = ROOT / "SampleLayers/regions.geojson"
AT = datetime.date(2026, 12, 1)
RANK = {"reuse": 0, "conditional": 1, "individual": 2, "prohibited": 3}
SEVERITY = {"minor": 0, "major": 1, "critical": 2}
# How `make sample` assesses the regions: (valid_from, valid_until or None for validity_years).
RUNS = {"R1": ("2026-01-01", None), "R2": ("2026-01-01", None), "R3": ("2021-03-01", "2024-02-29")}
SITES = [  # file, --project-type
    ("clean", None), ("conditional", None), ("farmland", None), ("redline", None),
    ("hazard", None), ("straddle", None), ("chemical", "chemical"), ("expired", None),
]
ITEMS = ("geohazard", "eia", "flood", "mineral")


def expected(name, items, patches, exit_status):
    """What the contract (and SampleLayers/README.md) says each site shows. Returns a list of
    failures; every site is also expected to show nothing else than what is listed."""
    out = {i: items[i]["outcome"] for i in ITEMS}
    reasons = {i: sorted(r["reason"] for r in items[i]["reasons"]) for i in ITEMS}
    rules = sorted(p["rule"] for p in patches if p["patches"])
    want_rules = []
    want = dict.fromkeys(ITEMS, "reuse")
    want_reasons = {i: [] for i in ITEMS}
    want_exit = 1
    if name == "clean":
        want_exit = 0
    elif name == "conditional":
        want.update(geohazard="conditional", flood="conditional")
        want_exit = 0
    elif name == "farmland":
        want_rules = ["S2"]
    elif name == "redline":
        # The site lies outside the development boundary and on the urban plan's non-construction
        # land too (S3 major, S4 minor), as a site on the redline's edge does.
        want.update(eia="prohibited")
        want_rules = ["S1", "S3", "S4"]
    elif name == "hazard":
        want.update(geohazard="individual")
    elif name == "straddle":
        want = dict.fromkeys(ITEMS, "individual")
        want_reasons = {i: ["outside_region"] for i in ITEMS}
    elif name == "chemical":
        want.update(eia="individual")
        want_reasons["eia"] = ["excluded_project_type"]
    elif name == "expired":
        want = dict.fromkeys(ITEMS, "individual")
        want_reasons = {i: ["expired"] for i in ITEMS}
    failures = []
    if out != want:
        failures.append(f"outcomes {out}, expected {want}")
    if reasons != want_reasons:
        failures.append(f"reasons {reasons}, expected {want_reasons}")
    if rules != want_rules:
        failures.append(f"conformity patches of {rules}, expected {want_rules}")
    crit = [p["rule"] for p in patches if p["patches"] and p["severity"] == "critical"]
    if name in ("farmland", "redline") and not crit:
        failures.append("no critical conformity patch")
    if exit_status != want_exit:
        failures.append(f"exit status {exit_status}, expected {want_exit}")
    return failures


def union(geoms):
    geoms = [g for g in geoms if g is not None and not g.is_empty]
    return shapely.union_all(geoms) if geoms else shapely.Polygon()


def only_polygons(g):
    parts = polygonal(g)
    return shapely.MultiPolygon(parts) if parts else shapely.Polygon()


def measured(g, areas):
    parts = polygonal(g)
    e = sum(areas.ellipsoidal(p) for p in parts)
    return {"planar_area": sum(p.area for p in parts), "ellipsoidal_area_m2": e,
            "area_ha": e / 10_000, "area_mu": e * 15 / 10_000, "parts": len(parts)}


def valid_until(valid_from, years):
    """The day before the validity_years anniversary (a 29 February start has its anniversary on
    1 March in a common year)."""
    try:
        anniversary = valid_from.replace(year=valid_from.year + years)
    except ValueError:
        anniversary = datetime.date(valid_from.year + years, 3, 1)
    return anniversary - datetime.timedelta(days=1)


def assess(region_geom, item, layers, doc, areas):
    """The zones of one region for one item: [(selector, outcome, geometry)]."""
    entries = list((item.get("constraints") or {}).items())
    order = sorted(range(len(entries)), key=lambda k: (-RANK[entries[k][1]], k))
    covered = shapely.Polygon()
    zones = []
    for k in order:
        selector, outcome = entries[k]
        lname = selector.split(".", 1)[0]
        chosen = union(g for _f, g in select(layers[lname], doc["layers"][lname], selector))
        z = only_polygons(shapely.difference(shapely.intersection(region_geom, chosen), covered))
        covered = union([covered, z])
        if not z.is_empty and z.area > 0:
            zones.append((selector, outcome, z))
    d = only_polygons(shapely.difference(region_geom, covered))
    if not d.is_empty and d.area > 0:
        zones.append(("default", item["default_outcome"], d))
    return zones


def main():
    doc = yaml.safe_load(RULES.read_text(encoding="utf-8"))
    global_min = float(doc.get("min_area_m2", 0) or 0)
    working_crs = None
    layers, summaries = {}, []
    for name, spec in doc["layers"].items():
        if not spec.get("path"):
            continue  # the site layer: given per query
        summary, feats, crs = read_layer(name, spec, (RULES.parent / spec["path"]).resolve(), working_crs)
        working_crs = working_crs or crs
        layers[name] = feats
        summaries.append(summary)
    areas = Areas(working_crs)
    assert working_crs.to_epsg() == 4529 and working_crs.geodetic_crs.to_epsg() == 4490, working_crs
    region_summary, region_feats, _crs = read_layer("regions", {"class_field": "region_id"}, REGIONS, working_crs)
    summaries.append(region_summary)
    names = {str(f.get("id")): f["properties"]["name"]
             for f in json.loads(REGIONS.read_text(encoding="utf-8"))["features"]}
    regions = [(rid, fid, names[str(fid)], g) for fid, rid, g in region_feats]
    items = {i["id"]: i for i in doc["assessments"]}
    assert tuple(items) == ITEMS, tuple(items)

    # Records, as `make sample` writes them.
    records = {}
    for rid, _fid, _name, _g in regions:
        vf, vu = RUNS[rid]
        vf = datetime.date.fromisoformat(vf)
        records[rid] = {i: (vf, datetime.date.fromisoformat(vu) if vu else valid_until(vf, items[i]["validity_years"]))
                        for i in ITEMS}

    # (a) assess: zones per region and item.
    zones = {}  # (region id, item) -> [(selector, outcome, geometry)]
    region_out = []
    for rid, fid, name, g in regions:
        r = {"region_id": rid, "fid": fid, "name": name, **measured(g, areas), "items": []}
        for iid in ITEMS:
            item = items[iid]
            zs = assess(g, item, layers, doc, areas)
            zones[rid, iid] = zs
            total = sum(z.area for _s, _o, z in zs)
            assert abs(total - g.area) <= 1e-6 * g.area, (rid, iid, total, g.area)
            vf, vu = records[rid][iid]
            r["items"].append({
                "item": iid, "title": item["title"], "validity_years": item["validity_years"],
                "valid_from": vf.isoformat(), "valid_until": vu.isoformat(),
                "zones": [{"selector": s, "outcome": o, "condition": (item.get("conditions") or {}).get(o),
                           **measured(z, areas)} for s, o, z in zs],
            })
        region_out.append(r)
    region_union = union(g for _r, _f, _n, g in regions)

    # (b) query: every sample site at AT.
    site_out, failures = [], []
    for name, project_type in SITES:
        path = ROOT / "SampleLayers/sites" / f"{name}.geojson"
        s_summary, s_feats, s_crs = read_layer("site", {}, path, working_crs)
        site = only_polygons(union(g for _f, _c, g in s_feats))
        answer = {"site": name, "file": s_summary["path"], "crs": s_crs.name, "reprojected": s_summary["reprojected"],
                  "transformation": s_summary["transformation"], "features": s_summary["features"],
                  "repaired": s_summary["repaired"], "rejected": s_summary["rejected"],
                  "project_type": project_type, "at": AT.isoformat(), **measured(site, areas), "items": []}
        for iid in ITEMS:
            item = items[iid]
            t = float(item.get("min_area_m2", global_min))
            touched, touched_regions = [], {}
            for rid, _fid, _name, rg in regions:
                a = shapely.intersection(site, rg).area
                if a >= t:
                    touched_regions[rid] = a
                for sel, outcome, z in zones[rid, iid]:
                    piece = shapely.intersection(site, z)
                    if piece.area >= t:
                        touched.append({"region_id": rid, "selector": sel, "outcome": outcome,
                                        "condition": (item.get("conditions") or {}).get(outcome),
                                        **measured(piece, areas)})
            zone_outcome = max((z["outcome"] for z in touched), key=RANK.get, default="reuse")
            reasons = []
            outside = only_polygons(shapely.difference(site, region_union))
            if outside.area >= t:
                reasons.append({"reason": "outside_region", **measured(outside, areas)})
            for rid in touched_regions:
                vf, vu = records[rid][iid]
                if vu < AT:
                    reasons.append({"reason": "expired", "region_id": rid, "valid_from": vf.isoformat(),
                                    "valid_until": vu.isoformat()})
                elif vf > AT:
                    reasons.append({"reason": "not_yet_valid", "region_id": rid, "valid_from": vf.isoformat(),
                                    "valid_until": vu.isoformat()})
            if project_type is not None and project_type in (item.get("excluded_project_types") or []):
                reasons.append({"reason": "excluded_project_type", "project_type": project_type})
            outcome = zone_outcome
            if reasons and RANK[outcome] < RANK["individual"]:
                outcome = "individual"
            # Cross-check with GeoPandas: the touched zones' areas from its intersection overlay.
            gz = [(rid, sel, z) for rid, _f, _n, _g in regions for sel, _o, z in zones[rid, iid]]
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ov = geopandas.overlay(
                    geopandas.GeoDataFrame({"s": [1]}, geometry=[site], crs=working_crs),
                    geopandas.GeoDataFrame({"key": [f"{r}|{s}" for r, s, _z in gz]},
                                           geometry=[z for _r, _s, z in gz], crs=working_crs),
                    how="intersection", keep_geom_type=True)
            gp = {k: a for k, a in zip(ov["key"], ov.area) if a >= t}
            ours = {f"{z['region_id']}|{z['selector']}": z["planar_area"] for z in touched}
            assert gp.keys() == ours.keys() and all(abs(gp[k] - ours[k]) <= 1e-6 * max(1, ours[k]) for k in ours), \
                (name, iid, gp, ours)
            answer["items"].append({"item": iid, "title": item["title"], "outcome": outcome,
                                    "zone_outcome": zone_outcome, "sliver_threshold_m2": t,
                                    "reasons": reasons, "regions_touched": touched_regions, "zones": touched})
        conformity = []
        for rule in doc["rules"]:
            if "site" not in (rule["a"].split(".", 1)[0], rule["b"].split(".", 1)[0]):
                continue
            t = float(rule.get("min_area_m2", global_min))
            side = {}
            for k in ("a", "b"):
                lname = rule[k].split(".", 1)[0]
                side[k] = [("site", site)] if lname == "site" else select(layers[lname], doc["layers"][lname], rule[k])
            r = run_rule(rule, t, side["a"], side["b"], areas, True)
            conformity.append({"rule": rule["id"], "title": rule["title"], "severity": rule["severity"],
                               "relation": rule["relation"], "min_area_m2": t, "patches": r["patches"],
                               "planar_area": r["planar_area"], "ellipsoidal_area_m2": r["ellipsoidal_area_m2"],
                               "slivers": r["slivers"], "lower_dimension": r["lower_dimension"],
                               "patch_list": r["patch_list"]})
        answer["conformity"] = conformity
        bad_item = any(i["outcome"] not in ("reuse", "conditional") for i in answer["items"])
        critical = any(c["patches"] and c["severity"] == "critical" for c in conformity)
        answer["exit_status"] = 1 if bad_item or critical else 0
        by_id = {i["item"]: i for i in answer["items"]}
        failures += [f"sites/{name}.geojson: {f}" for f in expected(name, by_id, conformity, answer["exit_status"])]
        if not 10_000 <= answer["planar_area"] <= 80_000:
            failures.append(f"sites/{name}.geojson: {answer['planar_area']:.0f} m², not 1-8 ha")
        site_out.append(answer)

    if failures:
        for f in failures:
            print(f"query_oracle: FAILED: {f}", file=sys.stderr)
        raise SystemExit(1)

    out = {
        "made_by": "Tools/oracle/query_oracle.py",
        "versions": {
            "geopandas": geopandas.__version__, "pyogrio": pyogrio.__version__,
            "gdal": pyogrio.__gdal_version_string__, "shapely": shapely.__version__,
            "geos": shapely.geos_version_string, "pyproj": pyproj.__version__, "proj": pyproj.proj_version_str,
            "numpy": numpy.__version__, "python": sys.version.split()[0],
        },
        "rules": str(RULES.relative_to(ROOT)), "regions_file": str(REGIONS.relative_to(ROOT)),
        "working_crs": {"name": working_crs.name, "authority": working_crs.to_authority(),
                        "geodetic_crs": working_crs.geodetic_crs.name,
                        "geodetic_authority": working_crs.geodetic_crs.to_authority(),
                        "ellipsoid": {"name": working_crs.ellipsoid.name, "a": working_crs.ellipsoid.semi_major_metre,
                                      "rf": working_crs.ellipsoid.inverse_flattening}},
        "area_units": "planar_area in EPSG:4529 m²; ellipsoidal_area_m2 on CGCS2000; area_ha and area_mu "
                      "from the ellipsoidal area",
        "tolerance": {"ellipsoidal_area_relative": 1e-6, "planar_area_relative": 1e-9,
                      "note": "how closely plan-check's areas must match these"},
        "at": AT.isoformat(),
        "runs": {rid: {"valid_from": vf, "valid_until": vu} for rid, (vf, vu) in RUNS.items()},
        "layers": summaries,
        "regions": region_out,
        "sites": site_out,
    }
    json.dump(out, sys.stdout, indent=1, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
