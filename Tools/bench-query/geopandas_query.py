"""The GeoPandas/shapely peer of the query benchmark.

    Tools/.venv/bin/python geopandas_query.py REGISTRY.gpkg INPUTS_DIR OUT.jsonl [--limit N]

Reads the registry's current regions, zones and items with pyogrio once, and the conformity layers
(ecology, farmland) from INPUTS_DIR; builds their STRtrees (GeoDataFrame.sindex) once. Then, per
site (its bytes already in memory, as the other tools have them): parse the GeoJSON, find the
candidate zones, regions and conformity features with the STRtree (predicate intersects), and
compute the same figures plan-check's answer has:
  - per item, every zone with planar intersection area >= 1 m² (region, source, area);
  - per item, the area of the site outside the union of the regions that have the item and that
    the site touches by >= 1 m² (plan-check's `outside_region`, reported by it when >= 1 m²);
  - rules S1 (ecology) and S2 (farmland): the intersection area per feature (>= 1 m²).
Writes one JSON line per site to OUT.jsonl and prints the summary line (latency per site).
"""
import json
import sys
import time

import numpy as np
import pyogrio
import shapely
from shapely.geometry import shape

import benchlib

registry, inputs, out_path = sys.argv[1:4]
limit = int(sys.argv[sys.argv.index("--limit") + 1]) if "--limit" in sys.argv else None
THRESHOLD = 1.0

t0 = time.perf_counter()
zones = pyogrio.read_dataframe(registry, layer="zones", where="superseded_by_run IS NULL")
regions = pyogrio.read_dataframe(registry, layer="regions", where="superseded_by_run IS NULL")
items = pyogrio.read_dataframe(registry, layer="assessment_items", where="superseded_by_run IS NULL",
                               read_geometry=False)
ecology = pyogrio.read_dataframe(f"{inputs}/ecology.geojson", fid_as_index=True)
farmland = pyogrio.read_dataframe(f"{inputs}/farmland.geojson", fid_as_index=True)
# Item order as plan-check gives it (first assessed), and which regions have which item.
item_order = list(dict.fromkeys(items["item_id"]))  # rows in fid order: first assessed first
items_of_region = items.groupby("region_id")["item_id"].apply(frozenset).to_dict()
z_geom, z_item, z_region, z_source = zones.geometry.values, zones["item_id"].values, zones["region_id"].values, zones["source"].values
r_geom, r_id = regions.geometry.values, regions["region_id"].values
conformity = [("S1", ecology), ("S2", farmland)]
for frame in [zones, regions, ecology, farmland]:
    frame.sindex  # built now, once
prepare_s = time.perf_counter() - t0

sites = [(p, open(p, "rb").read()) for p in benchlib.site_paths(f"{inputs}/sites", limit)]


def answer(body):
    fc = json.loads(body)
    features = fc["features"] if fc.get("type") == "FeatureCollection" else [fc]
    site = shapely.union_all([shape(f["geometry"]) for f in features])
    result = {"zones": [], "outside": {}, "patches": []}
    idx = zones.sindex.query(site, predicate="intersects")
    areas = shapely.area(shapely.intersection(z_geom[idx], site))
    for k, a in zip(idx, areas):
        if a >= THRESHOLD:
            result["zones"].append([z_item[k], z_region[k], z_source[k], float(a)])
    ridx = regions.sindex.query(site, predicate="intersects")
    rareas = shapely.area(shapely.intersection(r_geom[ridx], site))
    touched = [k for k, a in zip(ridx, rareas) if a >= THRESHOLD]
    site_area = shapely.area(site)
    cache = {}
    for item in item_order:
        covering = tuple(k for k in touched if item in items_of_region.get(r_id[k], ()))
        if covering not in cache:
            cache[covering] = float(shapely.area(shapely.difference(site, shapely.union_all(r_geom[list(covering)])))) \
                if covering else float(site_area)
        result["outside"][item] = cache[covering]
    for rule, frame in conformity:
        fidx = frame.sindex.query(site, predicate="intersects")
        fareas = shapely.area(shapely.intersection(frame.geometry.values[fidx], site))
        for k, a in zip(fidx, fareas):
            if a >= THRESHOLD:
                result["patches"].append([rule, str(frame.index[k]), float(a)])
    return result


for _, body in sites[:20]:  # warm-up, as plan-check-bench-query does
    answer(body)
latencies, results = [], []
start = time.perf_counter()
for path, body in sites:
    t = time.perf_counter()
    result = answer(body)
    latencies.append((time.perf_counter() - t) * 1000)
    result["site"] = path.rsplit("/", 1)[-1]
    results.append(result)
wall = time.perf_counter() - start
with open(out_path, "w") as out:
    out.writelines(json.dumps(r) + "\n" for r in results)
print(benchlib.summary(latencies, wall, prepare_s=f"{prepare_s:.3f}", peak_rss_kb=benchlib.own_peak_rss_kb()))
