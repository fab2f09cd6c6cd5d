#!/usr/bin/python3
"""Copy parcels.gpkg to parcels-bigendian.gpkg, rewriting every geometry of layer `parcels`
as a GeoPackage blob with byte-order bit 0 (big-endian header srs_id), envelope indicator 0
(no envelope) and big-endian ISO WKB. Run from the Fixtures folder with Debian's python3
(it needs python3-gdal): /usr/bin/python3 src/make_bigendian.py

The R-tree triggers of the layer call ST_MinX & co.; GDAL registers those on its own
connections, so this script registers equivalents (computed by OGR) on its sqlite3 connection.
"""
import shutil, sqlite3, struct
from osgeo import ogr

SRC, DST = "parcels.gpkg", "parcels-bigendian.gpkg"
ENVELOPE_BYTES = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}

def parse(blob):
    """(flags, srs_id, wkb) of a GeoPackage geometry blob."""
    assert blob[:2] == b"GP", blob[:2]
    flags = blob[3]
    order = "<" if flags & 1 else ">"
    srs_id = struct.unpack(order + "i", blob[4:8])[0]
    start = 8 + ENVELOPE_BYTES[(flags >> 1) & 7]
    return flags, srs_id, bytes(blob[start:])

def ogr_geometry(blob):
    return ogr.CreateGeometryFromWkb(parse(blob)[2])

def envelope(blob, i):
    if blob is None:
        return None
    minx, maxx, miny, maxy = ogr_geometry(blob).GetEnvelope()
    return (minx, maxx, miny, maxy)[i]

shutil.copyfile(SRC, DST)
con = sqlite3.connect(DST)
con.create_function("ST_MinX", 1, lambda b: envelope(b, 0))
con.create_function("ST_MaxX", 1, lambda b: envelope(b, 1))
con.create_function("ST_MinY", 1, lambda b: envelope(b, 2))
con.create_function("ST_MaxY", 1, lambda b: envelope(b, 3))
con.create_function("ST_IsEmpty", 1, lambda b: None if b is None else int(bool(b[3] & 0x10)))
rows = con.execute("SELECT fid, geom FROM parcels WHERE geom IS NOT NULL ORDER BY fid").fetchall()
for fid, blob in rows:
    flags, srs_id, wkb = parse(blob)
    big_wkb = bytes(ogr.CreateGeometryFromWkb(wkb).ExportToIsoWkb(ogr.wkbXDR))
    new_flags = flags & 0x30  # keep empty and extended bits; byte order 0, envelope 0
    header = b"GP" + bytes([blob[2], new_flags]) + struct.pack(">i", srs_id)
    con.execute("UPDATE parcels SET geom = ? WHERE fid = ?", (header + big_wkb, fid))
con.commit()
con.execute("VACUUM")
con.close()
print(f"rewrote {len(rows)} geometries into {DST}")
