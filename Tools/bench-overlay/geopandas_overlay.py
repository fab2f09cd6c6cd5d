"""The GeoPandas side of Tools/bench-overlay/run.sh, end to end:

    python geopandas_overlay.py URBAN.geojson LANDUSE.geojson OUT.geojson

Reads both layers with pyogrio (GeoPandas' default engine), overlays them with
overlay(urban, landuse, how="intersection", keep_geom_type=True) -- one row per intersecting pair,
polygonal parts only, the attributes of both -- and writes the result as GeoJSON with pyogrio.
Prints the seconds of each stage; wall time and peak memory are measured from outside.
"""
import sys
import time

import geopandas
import pyogrio

urban_path, landuse_path, out_path = sys.argv[1:4]
t0 = time.perf_counter()
urban = geopandas.read_file(urban_path, engine="pyogrio")
landuse = geopandas.read_file(landuse_path, engine="pyogrio")
t1 = time.perf_counter()
result = geopandas.overlay(urban, landuse, how="intersection", keep_geom_type=True)
t2 = time.perf_counter()
pyogrio.write_dataframe(result, out_path, driver="GeoJSON")
t3 = time.perf_counter()
print(f"read_seconds={t1 - t0:.3f} overlay_seconds={t2 - t1:.3f} write_seconds={t3 - t2:.3f} "
      f"seconds={t3 - t0:.3f} features={len(result)}")
