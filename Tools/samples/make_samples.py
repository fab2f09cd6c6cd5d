#!/usr/bin/env python3
"""Writes the sample district in SampleLayers/ (EPSG:4529, CGCS2000 3-degree GK zone 41).

Standard library only; seeded, so the same files come out every time:
    python3 Tools/samples/make_samples.py SampleLayers

Each plan tiles the district with its own jittered lattice, so the land-use plan and the urban
plan cover the same land with boundaries that do not coincide, as plans drawn by different
departments do. A few realistic defects are put in on purpose (see SampleLayers/README.md).
The GeoPackage copy of the farmland layer is made by GDAL's ogr2ogr when it is on PATH.
"""
import json
import math
import os
import random
import shutil
import subprocess
import sys

CRS = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4529"}}
# District south-west corner and size (metres, EPSG:4529: easting with the zone number 41).
X0, Y0 = 41_482_000.0, 4_374_000.0
WIDTH, HEIGHT = 4_000.0, 3_000.0


def lattice(nx, ny, jitter, rng):
    """Corner points of an nx-by-ny jittered grid; border points stay on the district edge."""
    dx, dy = WIDTH / nx, HEIGHT / ny
    pts = {}
    for i in range(nx + 1):
        for j in range(ny + 1):
            jx = 0 if i in (0, nx) else rng.uniform(-jitter, jitter) * dx
            jy = 0 if j in (0, ny) else rng.uniform(-jitter, jitter) * dy
            pts[i, j] = (X0 + i * dx + jx, Y0 + j * dy + jy)
    return pts


def edge_points(a, b, key, cache, rng, bend):
    """Intermediate points on the edge a-b, shared by both cells that use the edge."""
    if key in cache:
        return cache[key]
    n = rng.randint(1, 3)
    (ax, ay), (bx, by) = a, b
    length = math.hypot(bx - ax, by - ay)
    nxn, nyn = -(by - ay) / length, (bx - ax) / length
    out = []
    for k in range(1, n + 1):
        t = k / (n + 1)
        off = rng.uniform(-bend, bend) * length
        on_border = (ax == bx and ax in (X0, X0 + WIDTH)) or (ay == by and ay in (Y0, Y0 + HEIGHT))
        if on_border:
            off = 0.0
        out.append((ax + t * (bx - ax) + off * nxn, ay + t * (by - ay) + off * nyn))
    cache[key] = out
    return out


def cells(nx, ny, jitter, bend, seed):
    """Yields (i, j, ring) for every cell; rings are closed and counter-clockwise."""
    rng = random.Random(seed)
    pts = lattice(nx, ny, jitter, rng)
    cache = {}

    def edge(p, q):
        key = (min(p, q), max(p, q))
        mids = edge_points(pts[key[0]], pts[key[1]], key, cache, rng, bend)
        return mids if p == key[0] else list(reversed(mids))

    for j in range(ny):
        for i in range(nx):
            corners = [(i, j), (i + 1, j), (i + 1, j + 1), (i, j + 1)]
            ring = []
            for k in range(4):
                p, q = corners[k], corners[(k + 1) % 4]
                ring.append(pts[p])
                ring.extend(edge(p, q))
            ring.append(ring[0])
            yield i, j, [[round(x, 3), round(y, 3)] for x, y in ring]


def centre(ring):
    xs = [p[0] for p in ring[:-1]]
    ys = [p[1] for p in ring[:-1]]
    return (sum(xs) / len(xs) - X0) / WIDTH, (sum(ys) / len(ys) - Y0) / HEIGHT


def landuse_code(u, v):
    """土规 DLBM codes: town core construction (201/202), villages (203), farmland (011x), forest, water."""
    if 0.30 < u < 0.62 and 0.30 < v < 0.72:
        return "201"
    if abs(v - 0.12 - 0.1 * u) < 0.05:
        return "111"  # 河流水面
    if u > 0.85 and v > 0.70:
        return "031"  # 有林地
    if (u * 7 + v * 5) % 1.0 < 0.12:
        return "203"
    return "0111" if (u + v) % 0.3 < 0.2 else "0112"


def urban_code(u, v):
    """城规 YDDM codes (GB 50137-2011): the urban plan reaches further out than the land-use plan."""
    if 0.26 < u < 0.70 and 0.26 < v < 0.78:
        if u < 0.38:
            return "R2"
        if v > 0.62:
            return "A33"
        if u > 0.58:
            return "M1"
        return "B1" if v > 0.45 else "S1"
    if 0.70 <= u < 0.80 and 0.30 < v < 0.60:
        return "W1"
    if abs(v - 0.12 - 0.1 * u) < 0.05:
        return "E1"
    return "E2" if u < 0.9 else "G1"


def ring_corners(ring):
    """The four extreme corners of a cell ring (min/max of x+y and x-y)."""
    pts = ring[:-1]
    return [min(pts, key=lambda p: p[0] + p[1]), max(pts, key=lambda p: p[0] - p[1]),
            max(pts, key=lambda p: p[0] + p[1]), min(pts, key=lambda p: p[0] - p[1])]


def feature(fid, ring, props):
    return {"type": "Feature", "id": fid, "properties": props,
            "geometry": {"type": "Polygon", "coordinates": [ring]}}


def write(path, name, features):
    doc = {"type": "FeatureCollection", "name": name, "crs": CRS, "features": features}
    with open(path, "w", encoding="utf-8") as f:
        json.dump(doc, f, ensure_ascii=False, separators=(",", ":"))
        f.write("\n")


def main(out):
    os.makedirs(out, exist_ok=True)
    names = {"201": "城市", "203": "村庄", "111": "河流水面", "031": "有林地", "0111": "水田", "0112": "水浇地"}
    landuse = []
    for n, (i, j, ring) in enumerate(cells(12, 9, 0.18, 0.08, seed=41), start=1):
        code = landuse_code(*centre(ring))
        landuse.append(feature(n, ring, {"BSM": 4100000 + n, "DLBM": code, "DLMC": names[code],
                                         "QSDWMC": "大连湾街道", "JBNTBZ": code.startswith("011")}))
    # Defects, as real exports have them: a ring saved without its closing point (feature 17)
    # and a feature whose geometry was deleted in the editor (feature 60).
    landuse[16]["geometry"]["coordinates"][0].pop()
    landuse[59]["geometry"] = None
    write(os.path.join(out, "landuse.geojson"), "landuse", landuse)

    urban = []
    for n, (i, j, ring) in enumerate(cells(10, 8, 0.22, 0.10, seed=1954), start=1):
        code = urban_code(*centre(ring))
        urban.append(feature(f"U{n:03d}", ring, {"YDDM": code, "YDXZ": code[0], "GHBH": "DL-2035"}))
    # Defect: a parcel digitised as a bow-tie: the corners of its top edge were clicked in the
    # wrong order, so the boundary crosses itself.
    ring = urban[33]["geometry"]["coordinates"][0]
    corners = ring_corners(ring)
    urban[33]["geometry"]["coordinates"][0] = [corners[0], corners[1], corners[3], corners[2], corners[0]]
    write(os.path.join(out, "urban.geojson"), "urban", urban)

    farmland = [dict(f, id=None) for f in landuse
                if f["geometry"] is not None and f["properties"]["DLBM"] in ("0111", "0112")
                and f["id"] != 17]
    farm_features = []
    for n, f in enumerate(farmland, start=1):
        farm_features.append(feature(n, f["geometry"]["coordinates"][0],
                                     {"JBNTBH": f"JB{n:04d}", "DLBM": f["properties"]["DLBM"], "BHJB": "永久基本农田"}))
    farm_json = os.path.join(out, "farmland.source.geojson")
    write(farm_json, "farmland", farm_features)
    if shutil.which("ogr2ogr"):
        gpkg = os.path.join(out, "farmland.gpkg")
        if os.path.exists(gpkg):
            os.remove(gpkg)
        subprocess.run(["ogr2ogr", "-f", "GPKG", gpkg, farm_json, "-nln", "farmland"], check=True)
        os.remove(farm_json)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "SampleLayers")
