"""Reads a patches file plan-check wrote (.geojson, .gpkg, .shp, .gdb) with GDAL's Python
bindings and prints it as JSON: the layer's field names in order and each feature's values in
that order, plus the layer's CRS as EPSG code. Run with Debian's /usr/bin/python3 (python3-gdal).

    /usr/bin/python3 read_patches.py FILE
"""
import json
import sys

from osgeo import ogr

ogr.UseExceptions()
ds = ogr.Open(sys.argv[1])
layer = ds.GetLayer(0)
defn = layer.GetLayerDefn()
fields = [defn.GetFieldDefn(i).GetName() for i in range(defn.GetFieldCount())]
features = []
for f in layer:
    values = []
    for i in range(len(fields)):
        values.append(None if not f.IsFieldSetAndNotNull(i) else f.GetField(i))
    g = f.GetGeometryRef()
    features.append({"values": values, "area": g.GetArea() if g else None})
srs = layer.GetSpatialRef()
srs.AutoIdentifyEPSG() if srs else None
print(json.dumps({
    "layers": ds.GetLayerCount(),
    "name": layer.GetName(),
    "fields": fields,
    "features": features,
    "epsg": srs.GetAuthorityCode(None) if srs else None,
}, ensure_ascii=False))
