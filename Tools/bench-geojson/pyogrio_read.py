"""Read a GeoJSON file with GDAL through pyogrio and print how long the read call took.

    python pyogrio_read.py dataframe|raw FILE.geojson

`dataframe` is pyogrio.read_dataframe (GeoDataFrame with shapely geometries); `raw` is
pyogrio.raw.read (numpy arrays of attributes and WKB, the least work GDAL does through pyogrio).
Peak memory is measured from outside (/usr/bin/time -v).
"""
import sys
import time

import pyogrio
from pyogrio import raw

mode, path = sys.argv[1], sys.argv[2]
start = time.perf_counter()
if mode == "dataframe":
    frame = pyogrio.read_dataframe(path)
    count = len(frame)
elif mode == "raw":
    meta, fids, geometry, fields = raw.read(path)
    count = len(geometry)
else:
    sys.exit(f"unknown mode {mode!r}")
seconds = time.perf_counter() - start
print(f"seconds={seconds} features={count}")
