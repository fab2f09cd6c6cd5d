#!/usr/bin/env python3
"""Write a land-use plan and an urban plan of any size that tile the same area, for benchmarks.

    python3 Tools/gen_layers.py --parcels 100000 --out Tools/out/layers-100k [--seed 4529] [--invalid-rate 0.001]

writes OUT/landuse.geojson (土规: integer ids, BSM, DLBM, DLMC, QSDWMC) and OUT/urban.geojson
(城规: string ids "U000001", YDDM, YDMC, GHBH), both FeatureCollections in EPSG:4529 (CGCS2000 /
3-degree Gauss-Kruger zone 41, with the 2008 `crs` member). Standard library only, seeded: the
same arguments give the same bytes. Features are streamed out row by row, so memory stays small.

How the layers are made (as Tools/samples/make_samples.py does for the sample district, at scale):
  - Each plan tiles the same rectangle with its own jittered lattice of ~100 m cells (different
    lattice sizes and seeds), so the two plans' boundaries never coincide while each plan's shared
    edges are identical (the same points, in reverse order). Edges bend gently and carry 1-14
    intermediate points, so a parcel has 8-60 vertices.
  - The classes come from one seeded zoning raster both plans read at each parcel's centre: a city
    with a commercial centre and an industrial quarter, towns, villages, woods, orchards, rivers,
    farmland elsewhere. The urban plan also plans an extension ring of construction land around the
    city and towns that the land-use plan keeps as farmland or woods, and codes villages as E2, so
    rules A (城规建设、土规非建设), B (土规建设、城规非建设) and C (construction on farmland,
    woods, water) all find patches.
  - Some parcels are merged with their right-hand neighbour (one Polygon, shared edge removed);
    some are MultiPolygons (a parcel in two parts with another parcel between them, as a road
    splits a field); some have a small parcel-shaped hole whose land is its own feature (a pond, a
    homestead, a substation), so each layer still tiles the rectangle.
  - --invalid-rate R damages that fraction of features on purpose (see Tools/bench-overlay/README.md):
    bow-ties (two consecutive vertices swapped so the boundary crosses itself), unclosed rings (the
    closing point dropped) and duplicate consecutive points.
A summary (counts, vertex range, defects) is printed to stderr.
"""
import argparse
import math
import os
import random
import sys
import time

CRS_NAME = "urn:ogc:def:crs:EPSG::4529"
X0, Y0 = 41_480_000.0, 4_360_000.0  # south-west corner (metres; easting carries zone number 41)
CELL = 100.0                          # nominal parcel size (metres)
PIXEL = 50.0                          # zoning raster resolution (metres)

# Zoning raster values: low 4 bits the kind, TOWN marks a town (202) rather than the city (201),
# EXT marks the urban plan's planned extension (construction in 城规 only).
FARM, ORCHARD, FOREST, WATER, VILLAGE, CORE, CENTRE, INDUSTRY, LOGISTICS = range(9)
TOWN, EXT = 0x10, 0x40

LANDUSE_NAMES = {"0111": "水田", "0112": "水浇地", "0113": "旱地", "0201": "果园", "031": "有林地",
                 "111": "河流水面", "114": "坑塘水面", "201": "城市", "202": "建制镇", "203": "村庄"}
URBAN_NAMES = {"R2": "二类居住用地", "A1": "行政办公用地", "B1": "商业用地", "M1": "一类工业用地",
               "W1": "一类物流仓储用地", "S1": "城市道路用地", "U1": "供应设施用地", "G1": "公园绿地",
               "E1": "水域", "E2": "农林用地"}
OWNERS = ["东关村", "西湖村", "南岗村", "北山村", "前进村", "红旗村", "城关镇", "大连湾街道", "国有"]


# ---------------------------------------------------------------------------------------------
# The zoning raster (shared by both plans)

class Zoning:
    def __init__(self, width, height, seed):
        rng = random.Random(f"{seed}-zoning")
        self.w = max(1, math.ceil(width / PIXEL))
        self.h = max(1, math.ceil(height / PIXEL))
        self.r = bytearray(self.w * self.h)  # all FARM
        area_km2 = width * height / 1e6
        span = min(width, height)

        def rand_pt(margin=0.0):
            return (rng.uniform(margin, 1 - margin) * width, rng.uniform(margin, 1 - margin) * height)

        # Orchards and woods: irregular blobs (a few overlapping discs).
        for _ in range(max(1, round(area_km2 / 6))):
            self.blob(rng, *rand_pt(), rng.uniform(150, 400), ORCHARD)
        # Woods: more of them towards the north-east (hills), some scattered.
        for _ in range(max(2, round(area_km2 / 3))):
            x, y = rand_pt()
            if rng.random() < 0.6:
                x, y = width - abs(x - width) * 0.4, height - abs(y - height) * 0.4
            self.blob(rng, x, y, rng.uniform(200, 700), FOREST)
        # The city near the middle, towns spread out; each with an extension ring in the urban plan.
        towns = [(width * rng.uniform(0.4, 0.6), height * rng.uniform(0.4, 0.6),
                  max(300.0, min(0.22 * span, 2500 + 0.02 * span)), 0)]
        for _ in range(round(area_km2 / 40)):
            x, y = rand_pt(0.05)
            towns.append((x, y, rng.uniform(500, 1200), TOWN))
        for x, y, rad, flag in towns:
            self.disc_or(x, y, rad * rng.uniform(1.25, 1.45), EXT)
        # Villages: small clusters of construction land (203), coded E2 by the urban plan.
        for _ in range(max(3, round(area_km2 / 1.5))):
            x, y = rand_pt()
            self.blob(rng, x, y, rng.uniform(80, 220), VILLAGE, keep_flags=True)
        for x, y, rad, flag in towns:
            self.disc(x, y, rad, CORE | flag, keep_flags=True)
            a = rng.uniform(0, 2 * math.pi)
            ix, iy = x + 0.6 * rad * math.cos(a), y + 0.6 * rad * math.sin(a)
            self.disc(ix, iy, 0.4 * rad, INDUSTRY | flag, keep_flags=True)
            self.disc(x + 0.95 * rad * math.cos(a), y + 0.95 * rad * math.sin(a), 0.18 * rad,
                      LOGISTICS | flag, keep_flags=True)
            self.disc(x, y, 0.25 * rad, CENTRE | flag, keep_flags=True)
        # Rivers: meandering bands west to east, one per ~15 km of height; they cut through towns.
        for _ in range(max(1, round(height / 15_000))):
            yc = height * rng.uniform(0.15, 0.85)
            amp = rng.uniform(0.03, 0.08) * height + 200
            wave = rng.uniform(2500, 6000)
            phase = rng.uniform(0, 2 * math.pi)
            half = rng.uniform(40, 110)
            for px in range(self.w):
                x = (px + 0.5) * PIXEL
                y = yc + amp * math.sin(2 * math.pi * x / wave + phase) + 0.3 * amp * math.sin(
                    2 * math.pi * x / (wave * 0.37) + 2 * phase)
                for py in range(max(0, int((y - half) / PIXEL)), min(self.h, int((y + half) / PIXEL) + 1)):
                    self.r[py * self.w + px] = WATER

    def spans(self, x, y, rad):
        """(start, end) raster offsets of each row of the disc centre (x, y), radius rad (metres)."""
        for py in range(max(0, int((y - rad) / PIXEL)), min(self.h, int((y + rad) / PIXEL) + 1)):
            dy = (py + 0.5) * PIXEL - y
            if abs(dy) > rad:
                continue
            half = math.sqrt(rad * rad - dy * dy)
            a = max(0, int(math.ceil((x - half) / PIXEL - 0.5)))
            b = min(self.w, int(math.floor((x + half) / PIXEL - 0.5)) + 1)
            if b > a:
                yield py * self.w + a, py * self.w + b

    def disc(self, x, y, rad, value, keep_flags=False):
        if keep_flags:  # keep the EXT flag, replace the kind
            table = bytes(((v & EXT) | value) for v in range(256))
            for a, b in self.spans(x, y, rad):
                self.r[a:b] = self.r[a:b].translate(table)
        else:
            for a, b in self.spans(x, y, rad):
                self.r[a:b] = bytes([value]) * (b - a)

    def disc_or(self, x, y, rad, flag):
        table = bytes((v | flag) for v in range(256))
        for a, b in self.spans(x, y, rad):
            self.r[a:b] = self.r[a:b].translate(table)

    def blob(self, rng, x, y, rad, value, keep_flags=False):
        for _ in range(3):
            self.disc(x + rng.uniform(-0.6, 0.6) * rad, y + rng.uniform(-0.6, 0.6) * rad,
                      rad * rng.uniform(0.5, 1.0), value, keep_flags)

    def at(self, x, y):
        px = min(self.w - 1, max(0, int((x - X0) / PIXEL)))
        py = min(self.h - 1, max(0, int((y - Y0) / PIXEL)))
        return self.r[py * self.w + px]


def landuse_code(z, x, y, u):
    kind = z & 0x0F
    if kind in (CORE, CENTRE, INDUSTRY, LOGISTICS):
        return "202" if z & TOWN else "201"
    if kind == VILLAGE:
        return "203"
    if kind == WATER:
        return "111"
    if kind == FOREST:
        return "031"
    if kind == ORCHARD:
        return "0201"
    # Farmland: paddy / irrigated / dry fields in blocks of about 1 km.
    k = (int((x - X0) / 1100) * 7 + int((y - Y0) / 900) * 13) % 10
    return "0111" if k < 4 else ("0112" if k < 8 else "0113")


def urban_code(z, u):
    kind = z & 0x0F
    if kind == WATER:
        return "E1"
    if kind == CENTRE:
        return "A1" if u < 0.35 else ("B1" if u < 0.85 else "S1")
    if kind == INDUSTRY:
        return "M1" if u < 0.85 else ("S1" if u < 0.93 else "U1")
    if kind == LOGISTICS:
        return "W1" if u < 0.8 else "S1"
    if kind == CORE:
        return "R2" if u < 0.72 else ("S1" if u < 0.84 else ("G1" if u < 0.95 else ("U1" if u < 0.98 else "B1")))
    if z & EXT and kind != VILLAGE:
        return "R2" if u < 0.6 else ("M1" if u < 0.8 else ("G1" if u < 0.9 else ("S1" if u < 0.97 else "U1")))
    return "E2"


# ---------------------------------------------------------------------------------------------
# Lattice geometry

class Lattice:
    """A jittered nx-by-ny lattice over the rectangle, generated row by row from one RNG."""

    def __init__(self, nx, ny, width, height, rng, jitter=0.2, bend=0.07):
        self.nx, self.ny, self.w, self.h = nx, ny, width, height
        self.dx, self.dy = width / nx, height / ny
        self.rng, self.jitter, self.bend = rng, jitter, bend
        self.rows = {}
        self.edges = {}

    def point(self, i, j):
        row = self.rows.get(j)
        if row is None:
            rng, dx, dy, jit = self.rng, self.dx, self.dy, self.jitter
            y = Y0 + j * dy
            row = []
            for i2 in range(self.nx + 1):
                x = X0 + i2 * dx
                if 0 < i2 < self.nx:
                    x += rng.uniform(-jit, jit) * dx
                yy = y + rng.uniform(-jit, jit) * dy if 0 < j < self.ny else y
                row.append((round(x, 3), round(yy, 3)))
            self.rows[j] = row
        return row[i]

    def drop_below(self, j):
        for k in [k for k in self.rows if k < j]:
            del self.rows[k]
        for k in [k for k in self.edges if k[1][1] < j]:
            del self.edges[k]

    def edge(self, p, q):
        """Intermediate points from lattice point p to q (same list, reversed, for q to p)."""
        key = (p, q) if p < q else (q, p)
        mids = self.edges.get(key)
        if mids is None:
            rng = self.rng
            (ax, ay), (bx, by) = self.point(*key[0]), self.point(*key[1])
            n = 1 + int(14 * rng.random() ** 4)
            on_border = (key[0][0] == key[1][0] and key[0][0] in (0, self.nx)) or \
                        (key[0][1] == key[1][1] and key[0][1] in (0, self.ny))
            ex, ey = bx - ax, by - ay
            length = math.hypot(ex, ey)
            nxn, nyn = -ey / length, ex / length
            c1 = rng.uniform(-self.bend, self.bend) * length
            c2 = rng.uniform(-self.bend, self.bend) * 0.4 * length
            mids = []
            for k in range(1, n + 1):
                t = (k + rng.uniform(-0.3, 0.3)) / (n + 1)
                off = 0.0 if on_border else (c1 * math.sin(math.pi * t) + c2 * math.sin(2 * math.pi * t)
                                             + rng.uniform(-0.005, 0.005) * length)
                mids.append((round(ax + t * ex + off * nxn, 3), round(ay + t * ey + off * nyn, 3)))
            self.edges[key] = mids
        return mids if p == key[0] else mids[::-1]

    def ring(self, path):
        """Closed counter-clockwise ring through the lattice points of path (in order)."""
        out = []
        for k in range(len(path)):
            p, q = path[k], path[(k + 1) % len(path)]
            out.append(self.point(*p))
            out.extend(self.edge(p, q))
        out.append(out[0])
        return out


def cell_path(i, j, width=1):
    if width == 1:
        return [(i, j), (i + 1, j), (i + 1, j + 1), (i, j + 1)]
    return [(i, j), (i + 1, j), (i + 2, j), (i + 2, j + 1), (i + 1, j + 1), (i, j + 1)]


def centre(lat, i, j):
    pts = [lat.point(*p) for p in cell_path(i, j)]
    return sum(p[0] for p in pts) / 4, sum(p[1] for p in pts) / 4


def inside(ring, x, y):
    c = False
    for (x1, y1), (x2, y2) in zip(ring, ring[1:]):
        if (y1 > y) != (y2 > y) and x < (x2 - x1) * (y - y1) / (y2 - y1) + x1:
            c = not c
    return c


def seg_dist(px, py, x1, y1, x2, y2):
    ex, ey = x2 - x1, y2 - y1
    ll = ex * ex + ey * ey
    t = 0.0 if ll == 0 else max(0.0, min(1.0, ((px - x1) * ex + (py - y1) * ey) / ll))
    return math.hypot(px - x1 - t * ex, py - y1 - t * ey)


def hole_ring(rng, ring, cx, cy, size):
    """A small parcel-shaped ring (8-12 vertices, counter-clockwise) around (cx, cy) well inside
    ring, or None when it would not fit."""
    if not inside(ring, cx, cy):
        return None
    if min(seg_dist(cx, cy, *a, *b) for a, b in zip(ring, ring[1:])) < 1.6 * size + 2:
        return None
    corners = [(cx + sx * size * rng.uniform(0.7, 1.0), cy + sy * size * rng.uniform(0.7, 1.0))
               for sx, sy in ((-1, -1), (1, -1), (1, 1), (-1, 1))]
    out = []
    for k in range(4):
        (ax, ay), (bx, by) = corners[k], corners[(k + 1) % 4]
        out.append((round(ax, 3), round(ay, 3)))
        n = rng.randint(1, 2)
        for m in range(1, n + 1):
            t = m / (n + 1)
            out.append((round(ax + t * (bx - ax) + rng.uniform(-0.1, 0.1) * size, 3),
                        round(ay + t * (by - ay) + rng.uniform(-0.1, 0.1) * size, 3)))
    out.append(out[0])
    return out


# ---------------------------------------------------------------------------------------------
# Defects

def crosses(a, b, c, d):
    def orient(p, q, r):
        return (q[0] - p[0]) * (r[1] - p[1]) - (q[1] - p[1]) * (r[0] - p[0])
    return (orient(a, b, c) * orient(a, b, d) < 0) and (orient(c, d, a) * orient(c, d, b) < 0)


def damage(rng, polygons, kind):
    """Damage the exterior ring of the first polygon in place; returns the kind actually applied
    (unclosed rings are handled when writing: the kind is returned and the writer drops the point)."""
    ring = polygons[0][0]
    if kind == "bowtie":
        n = len(ring) - 1
        for _ in range(20):
            k = rng.randrange(1, n - 2)
            # swapping ring[k] and ring[k+1] makes ring[k-1]-ring[k+1] cross ring[k]-ring[k+2]
            if crosses(ring[k - 1], ring[k + 1], ring[k], ring[k + 2]):
                ring[k], ring[k + 1] = ring[k + 1], ring[k]
                return "bowtie"
        # no local crossing found: click the last two corners of the ring in the wrong order
        ring[n - 1], ring[n - 2] = ring[n - 2], ring[n - 1]
        return "bowtie"
    if kind == "duplicate":
        k = rng.randrange(1, len(ring) - 1)
        ring.insert(k, ring[k])
        return "duplicate"
    return "unclosed"


# ---------------------------------------------------------------------------------------------
# Writing

def fmt_ring(ring, unclosed=False):
    pts = ring[:-1] if unclosed else ring
    return "[" + ",".join("[%.3f,%.3f]" % p for p in pts) + "]"


def fmt_geometry(polygons, unclosed=False):
    if len(polygons) == 1:
        rings = polygons[0]
        body = ",".join(fmt_ring(r, unclosed and k == 0) for k, r in enumerate(rings))
        return '{"type":"Polygon","coordinates":[' + body + "]}"
    parts = []
    for n, rings in enumerate(polygons):
        parts.append("[" + ",".join(fmt_ring(r, unclosed and n == 0 and k == 0) for k, r in enumerate(rings)) + "]")
    return '{"type":"MultiPolygon","coordinates":[' + ",".join(parts) + "]}"


def write_layer(path, name, lattice, zoning, rng, make_props, fid_text, hole_codes, invalid_rate, stats):
    """Streams one layer. make_props(code, fid, x, y) -> properties JSON text; code chosen by the
    caller-supplied classify(zone, x, y, u)."""
    nx, ny = lattice.nx, lattice.ny
    size = 0.11 * min(lattice.dx, lattice.dy)
    fid = 0
    vmin, vmax = 10 ** 9, 0
    kinds = ("bowtie", "unclosed", "duplicate")
    with open(path, "w", encoding="utf-8", buffering=1 << 20) as out:
        out.write('{"type":"FeatureCollection","name":"%s",\n"crs":{"type":"name","properties":{"name":"%s"}},\n'
                  '"features":[\n' % (name, CRS_NAME))
        first = True
        for j in range(ny):
            lattice.drop_below(j)
            taken = set()
            for i in range(nx):
                if i in taken:
                    continue
                cx, cy = centre(lattice, i, j)
                z = zoning.at(cx, cy)
                u = rng.random()
                code = make_props.classify(z, cx, cy, u)
                roll = rng.random()
                polygons = None
                filler = None
                if roll < 0.02 and i + 1 < nx and (i + 1) not in taken:
                    ring = lattice.ring(cell_path(i, j, 2))
                    if len(ring) - 1 <= 60:
                        polygons = [[ring]]
                        taken.add(i + 1)
                        stats["merged"] += 1
                elif roll < 0.035 and i + 2 < nx and (i + 2) not in taken:
                    r1, r2 = lattice.ring(cell_path(i, j)), lattice.ring(cell_path(i + 2, j))
                    if len(r1) + len(r2) - 2 <= 60:
                        polygons = [[r1], [r2]]
                        taken.add(i + 2)
                        stats["multipolygon"] += 1
                elif roll < 0.055:
                    ring = lattice.ring(cell_path(i, j))
                    hole = hole_ring(rng, ring, cx, cy, size)
                    if hole is not None and len(ring) + len(hole) - 2 <= 60:
                        polygons = [[ring, hole[::-1]]]
                        filler = hole
                        stats["holes"] += 1
                if polygons is None:
                    polygons = [[lattice.ring(cell_path(i, j))]]
                for feature_polys, feature_code in ((polygons, code), ([[filler]] if filler else None, None)):
                    if feature_polys is None:
                        continue
                    if feature_code is None:
                        feature_code = hole_codes(code, u)
                    fid += 1
                    unclosed = False
                    if invalid_rate and rng.random() < invalid_rate:
                        feature_polys = [[list(r) for r in p] for p in feature_polys]
                        kind = damage(rng, feature_polys, kinds[rng.randrange(3)])
                        stats["invalid_" + kind] += 1
                        unclosed = kind == "unclosed"
                    nv = sum(len(r) - 1 for p in feature_polys for r in p)
                    vmin, vmax = min(vmin, nv), max(vmax, nv)
                    stats["classes"][feature_code] = stats["classes"].get(feature_code, 0) + 1
                    out.write(('' if first else ',\n') + '{"type":"Feature","id":' + fid_text(fid) +
                              ',"properties":' + make_props(feature_code, fid, cx, cy) +
                              ',"geometry":' + fmt_geometry(feature_polys, unclosed) + '}')
                    first = False
        out.write("\n]}\n")
    stats["features"] = fid
    stats["vertices_min"], stats["vertices_max"] = vmin, vmax


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parcels", type=int, required=True, help="about this many features per layer")
    parser.add_argument("--out", required=True, help="directory to write landuse.geojson and urban.geojson")
    parser.add_argument("--seed", type=int, default=4529, help="random seed (default 4529)")
    parser.add_argument("--invalid-rate", type=float, default=0.0,
                        help="fraction of features damaged on purpose (default 0)")
    args = parser.parse_args()
    if args.parcels < 1:
        parser.error("--parcels must be positive")
    os.makedirs(args.out, exist_ok=True)
    t0 = time.time()
    n = args.parcels
    # Land-use lattice: about n cells of CELL metres, 4:3; the urban lattice has other counts.
    nx = max(2, round(math.sqrt(n * 4 / 3)))
    ny = max(2, round(n / nx))
    width, height = nx * CELL, ny * CELL
    nxu = max(2, round(nx * 0.93))
    nyu = max(2, round(n / nxu))
    zoning = Zoning(width, height, args.seed)

    class LanduseProps:
        def __call__(self, code, fid, x, y):
            owner = OWNERS[(int((x - X0) / 2000) + 7 * int((y - Y0) / 2000)) % len(OWNERS)]
            return '{"BSM":%d,"DLBM":"%s","DLMC":"%s","QSDWMC":"%s"}' % (
                4100000000 + fid, code, LANDUSE_NAMES[code], owner)

        @staticmethod
        def classify(z, x, y, u):
            return landuse_code(z, x, y, u)

    class UrbanProps:
        def __call__(self, code, fid, x, y):
            return '{"YDDM":"%s","YDMC":"%s","GHBH":"DL-2035"}' % (code, URBAN_NAMES[code])

        @staticmethod
        def classify(z, x, y, u):
            return urban_code(z, u)

    report = {"parcels": n, "seed": args.seed, "extent": [X0, Y0, X0 + width, Y0 + height]}
    for name, lat_dims, props, fid_text, hole_codes in (
            ("landuse", (nx, ny), LanduseProps(), str,
             lambda code, u: "031" if code == "111" else ("203" if code[0] == "0" and u < 0.3 else "114")),
            ("urban", (nxu, nyu), UrbanProps(), lambda f: '"U%06d"' % f,
             lambda code, u: "E1" if code[0] == "E" else ("U1" if u < 0.5 else "G1"))):
        rng = random.Random(f"{args.seed}-{name}")
        lattice = Lattice(lat_dims[0], lat_dims[1], width, height, rng)
        stats = {"merged": 0, "multipolygon": 0, "holes": 0, "invalid_bowtie": 0, "invalid_unclosed": 0,
                 "invalid_duplicate": 0, "classes": {}}
        write_layer(os.path.join(args.out, name + ".geojson"), name, lattice, zoning, rng, props,
                    fid_text, hole_codes, args.invalid_rate, stats)
        stats["lattice"] = list(lat_dims)
        report[name] = stats
    report["seconds"] = round(time.time() - t0, 2)
    import json
    json.dump(report, sys.stderr, ensure_ascii=False, sort_keys=True)
    sys.stderr.write("\n")


if __name__ == "__main__":
    main()
