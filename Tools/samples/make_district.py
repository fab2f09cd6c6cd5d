#!/usr/bin/env python3
"""Writes the regional pre-assessment (区域评估) layers of the sample district into SampleLayers/.

Standard library only; no randomness at all (every vertex is written out below), so the same
files come out every time:
    python3 Tools/samples/make_district.py SampleLayers

It adds to the plans written by make_samples.py (which it does not read or change):
  ecology.geojson    生态保护红线 ecological protection redline (3 polygons: 青云山 forest hill and two
                     reaches of the 大沙河 river)
  boundary.geojson   城镇开发边界 urban development boundary (the town and the old port)
  hazard.geojson     地质灾害易发区 geological hazard susceptibility, YFCD 高易发/中易发/低易发; the
                     polygons tile the whole district (they share their vertices exactly)
  flood.geojson      洪水淹没区 flood zones along the river, HSPL 20年一遇 / 100年一遇 (the 100-year
                     strips do not overlap the 20-year band)
  regions.geojson    the three assessed regions R1 临港产业园, R2 新城核心区, R3 老港区
  sites/*.geojson    the applicants' sites of SampleLayers/README.md, one outcome each
All in EPSG:4529 with the 2008-style crs member, except sites/conditional.geojson, which is RFC 7946
(WGS 84 lon/lat, no crs member), as a web form would send it. Its lon/lat coordinates are written
out below; they were computed once from the local design with pyproj (EPSG:4529 -> EPSG:4326,
always_xy; PROJ's operation is the ballpark CGCS2000 -> WGS 84 one, i.e. no datum shift) and
rounded to 1e-8 degree (about 1 mm). When pyproj is importable the script checks them again.

All shapes are drawn in district coordinates: metres east and north of the district's south-west
corner (E 41 482 000, N 4 374 000); the district is 4 000 m by 3 000 m. The places were chosen
against landuse.geojson, urban.geojson and farmland.gpkg (Tools/oracle/query_oracle.py asserts
that each site gives the outcome SampleLayers/README.md says).
"""
import json
import os
import sys

CRS = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4529"}}
X0, Y0 = 41_482_000.0, 4_374_000.0
WIDTH, HEIGHT = 4_000.0, 3_000.0

# --- 生态保护红线 -----------------------------------------------------------------------------
# Mostly on the land-use plan's forest (031, the north-east hill) and river (111).
ECOLOGY = [
    ("HX01", {"HXMC": "青云山水源涵养生态保护红线", "HXLX": "水源涵养", "HXBH": "210213-STHX-01",
              "GLDW": "金州区自然资源局"},
     [(3400, 2060), (3520, 1990), (3700, 1970), (3850, 1950), (4000, 1960), (4000, 3000),
      (3380, 3000), (3360, 2700), (3380, 2400), (3360, 2200)]),
    ("HX02", {"HXMC": "大沙河上游湿地生态保护红线", "HXLX": "生物多样性维护", "HXBH": "210213-STHX-02",
              "GLDW": "金州区自然资源局"},
     [(0, 310), (300, 290), (700, 300), (1100, 290), (1400, 320), (1420, 650), (1100, 680),
      (700, 660), (300, 690), (0, 680)]),
    ("HX03", {"HXMC": "大沙河河口湿地生态保护红线", "HXLX": "生物多样性维护", "HXBH": "210213-STHX-03",
              "GLDW": "金州区自然资源局"},
     [(2950, 330), (3300, 340), (3600, 400), (3740, 430), (3760, 600), (3600, 680), (3300, 690),
      (2950, 670)]),
]

# --- 城镇开发边界 -----------------------------------------------------------------------------
# Around the urban plan's construction land, but not all of it: the warehouses' northern tip and
# the green strip along the hill stay outside.
BOUNDARY = [
    (1, {"BJMC": "城镇开发边界", "GNFQ": "集中建设区", "BJBH": "210213-KFBJ-01"},
     [(1120, 1050), (1250, 760), (1650, 720), (2500, 720), (3250, 760), (3270, 1200), (3200, 1700),
      (2880, 1760), (2850, 2050), (2820, 2380), (2000, 2400), (1300, 2380), (1120, 2000)]),
    (2, {"BJMC": "城镇开发边界", "GNFQ": "集中建设区", "BJBH": "210213-KFBJ-02"},
     [(3600, 20), (3990, 20), (3990, 330), (3700, 360), (3620, 250)]),
]

# --- 地质灾害易发区 ---------------------------------------------------------------------------
# A tiling of the district by shared polylines: the river-bank band (medium: bank collapse and
# soft-ground settlement), the hill (medium slopes, high landslide zone on its north part), and a
# karst collapse area under the new town (high, with a medium ring).
L1 = [(0, 120), (1500, 140), (3000, 150), (3400, 350), (4000, 450)]            # river band, south edge
L2 = [(0, 900), (800, 950), (1500, 1080), (1750, 1110), (2000, 1090), (2250, 980), (2600, 900),
      (3000, 880), (3500, 850), (4000, 900)]                                     # river band, north edge
M = [(3050, 3000), (3150, 2600), (3300, 2350), (3600, 2250), (4000, 2200)]      # hill, medium from here
H = [(3500, 3000), (3600, 2700), (3800, 2550), (4000, 2500)]                    # hill, high from here
K_HIGH = [(1280, 1700), (1450, 1660), (1680, 1720), (1720, 1900), (1650, 2080), (1420, 2110), (1260, 1950)]
K_MED = [(1180, 1600), (1500, 1540), (1800, 1620), (1860, 1900), (1760, 2200), (1400, 2230), (1150, 2050),
         (1100, 1800)]


def hazard_features():
    low_south = [(0, 0), (WIDTH, 0)] + list(reversed(L1))
    band = L1 + list(reversed(L2))
    low_north = L2 + [(WIDTH, M[-1][1])] + list(reversed(M)) + [(0, HEIGHT)]
    low_north = [p for i, p in enumerate(low_north) if i == 0 or p != low_north[i - 1]]
    hill_medium = M + [(WIDTH, H[-1][1])] + list(reversed(H))
    hill_high = H + [(WIDTH, HEIGHT)]
    return [
        (1, {"YFCD": "低易发", "ZHLX": "崩塌", "QYMC": "大沙河南岸"}, [low_south]),
        (2, {"YFCD": "中易发", "ZHLX": "崩岸、地面沉降", "QYMC": "大沙河沿岸软土区"}, [band]),
        (3, {"YFCD": "低易发", "ZHLX": "地面沉降", "QYMC": "中部平原区"}, [low_north, list(reversed(K_MED))]),
        (4, {"YFCD": "中易发", "ZHLX": "岩溶塌陷", "QYMC": "新城岩溶区外围"}, [K_MED, list(reversed(K_HIGH))]),
        (5, {"YFCD": "高易发", "ZHLX": "岩溶塌陷", "QYMC": "新城岩溶塌陷区"}, [K_HIGH]),
        (6, {"YFCD": "中易发", "ZHLX": "崩塌、滑坡", "QYMC": "青云山南坡"}, [hill_medium]),
        (7, {"YFCD": "高易发", "ZHLX": "滑坡、泥石流", "QYMC": "青云山北坡"}, [hill_high]),
    ]


# --- 洪水淹没区 -------------------------------------------------------------------------------
# The 20-year band along the river; the 100-year strips either side of it. North of the river the
# 100-year water reaches into the low-lying south of the town and is held back by the embankment
# of the industrial riverfront further east.
F100S = [(0, 50), (1000, 70), (2000, 60), (3000, 120), (3500, 300), (4000, 400)]
F20S = [(0, 200), (1000, 210), (2000, 200), (3000, 230), (3500, 330), (4000, 420)]
F20N = [(0, 780), (1000, 790), (1600, 800), (2300, 790), (3000, 770), (3500, 760), (4000, 760)]
F100N = [(0, 1000), (800, 1050), (1500, 1150), (1750, 1180), (2000, 1160), (2250, 1000), (2600, 900),
         (3000, 850), (3500, 830), (4000, 820)]


def flood_features():
    river = {"HLMC": "大沙河", "SJBZ": "1:10000"}
    return [
        (1, dict(river, HSPL="20年一遇", YMSS=1.8), [F20S + list(reversed(F20N))]),
        (2, dict(river, HSPL="100年一遇", YMSS=0.6), [F100S + list(reversed(F20S))]),
        (3, dict(river, HSPL="100年一遇", YMSS=0.7), [F20N + list(reversed(F100N))]),
    ]


# --- 区域评估 regions -------------------------------------------------------------------------
# Feature ids 1-3; plan-check takes the region id from region_id. They do not overlap and leave
# most of the district outside.
REGIONS = [
    (1, {"region_id": "R1", "name": "临港产业园", "GLJG": "大连临港产业园管理委员会"},
     [(1600, 790), (2300, 770), (3000, 740), (3380, 730), (3440, 1300), (3600, 1650), (3630, 2170),
      (3350, 2230), (3050, 2150), (2860, 2050), (2840, 1520), (2460, 1510), (1600, 1520)]),
    (2, {"region_id": "R2", "name": "新城核心区", "GLJG": "新城建设指挥部"},
     [(1250, 1580), (2440, 1560), (2460, 2000), (2420, 2330), (1900, 2360), (1300, 2330), (1180, 2000)]),
    (3, {"region_id": "R3", "name": "老港区", "GLJG": "老港区管理办公室"},
     [(3350, 40), (3980, 40), (3980, 780), (3700, 760), (3450, 700), (3380, 400)]),
]

# --- Applicants' sites ------------------------------------------------------------------------
SITES = {
    "clean": [("某装备制造配套项目", [(2020, 1260), (2200, 1245), (2280, 1300), (2290, 1470), (2130, 1485),
                                    (2030, 1440)])],
    "chemical": [("某精细化工项目", [(1700, 1290), (1900, 1280), (1950, 1360), (1940, 1480), (1720, 1490),
                                  (1690, 1400)])],
    "conditional": [("某物流配送中心项目", [(1640, 1030), (1800, 1010), (1900, 1060), (1910, 1240),
                                       (1760, 1260), (1650, 1200)])],
    "farmland": [("某机械加工项目", [(2240, 1050), (2400, 1030), (2520, 1060), (2530, 1230), (2380, 1250),
                                  (2250, 1220)])],
    "redline": [("某文旅配套项目", [(3385, 1800), (3530, 1790), (3580, 1900), (3560, 2070), (3420, 2090),
                                  (3390, 1970)])],
    "hazard": [("某住宅小区项目", [(1360, 1760), (1560, 1740), (1610, 1850), (1590, 1970), (1420, 1990),
                                  (1350, 1880)])],
    "straddle": [("某商业综合体项目（一期）", [(2100, 1915), (2250, 1905), (2340, 1930), (2350, 2040),
                                          (2110, 2045)]),
                 ("某商业综合体项目（二期）", [(2485, 2060), (2560, 2040), (2630, 2035), (2640, 2150),
                                          (2600, 2200), (2490, 2195)])],
    "expired": [("某港口仓储改造项目", [(3720, 80), (3900, 60), (3950, 200), (3880, 280), (3740, 270)])],
}

# sites/conditional.geojson in WGS 84 lon/lat: the ring above, transformed once with pyproj
# (EPSG:4529 -> EPSG:4326, always_xy) and rounded to 1e-8 degree.
CONDITIONAL_LONLAT = [
    [122.80977267, 39.50899444], [122.81163356, 39.50881733], [122.8127951, 39.50926955],
    [122.81290703, 39.51089098], [122.81116236, 39.5110683], [122.80988477, 39.5105258],
    [122.80977267, 39.50899444],
]


def world(ring):
    """District coordinates -> EPSG:4529, closed ring, counter-clockwise for exterior rings."""
    pts = [[round(X0 + x, 3), round(Y0 + y, 3)] for x, y in ring]
    if pts[0] != pts[-1]:
        pts.append(pts[0])
    return pts


def signed_area(ring):
    return sum(ring[i][0] * ring[i + 1][1] - ring[i + 1][0] * ring[i][1] for i in range(len(ring) - 1)) / 2


def polygon(rings):
    """Exterior counter-clockwise, holes clockwise (RFC 7946's right-hand rule)."""
    out = []
    for k, ring in enumerate(rings):
        w = world(ring)
        if (signed_area(w) > 0) != (k == 0):
            w.reverse()
        out.append(w)
    return {"type": "Polygon", "coordinates": out}


def feature(fid, props, geometry):
    f = {"type": "Feature"}
    if fid is not None:
        f["id"] = fid
    f["properties"] = props
    f["geometry"] = geometry
    return f


def write(path, name, features, crs=CRS):
    doc = {"type": "FeatureCollection", "name": name}
    if crs is not None:
        doc["crs"] = crs
    doc["features"] = features
    with open(path, "w", encoding="utf-8") as f:
        json.dump(doc, f, ensure_ascii=False, separators=(",", ":"))
        f.write("\n")


def check_conditional_lonlat():
    """With pyproj at hand, the hard-coded lon/lat ring must be the local design within 1 cm."""
    try:
        import pyproj
    except ImportError:
        return
    t = pyproj.Transformer.from_crs("EPSG:4326", "EPSG:4529", always_xy=True)
    design = world(SITES["conditional"][0][1])
    for (lon, lat), (x, y) in zip(CONDITIONAL_LONLAT, design):
        e, n = t.transform(lon, lat)
        if abs(e - x) > 0.01 or abs(n - y) > 0.01:
            raise SystemExit(f"conditional site: {lon}, {lat} is ({e:.3f}, {n:.3f}), not ({x}, {y})")


def main(out):
    os.makedirs(os.path.join(out, "sites"), exist_ok=True)
    write(os.path.join(out, "ecology.geojson"), "ecology",
          [feature(fid, p, polygon([r])) for fid, p, r in ECOLOGY])
    write(os.path.join(out, "boundary.geojson"), "boundary",
          [feature(fid, p, polygon([r])) for fid, p, r in BOUNDARY])
    write(os.path.join(out, "hazard.geojson"), "hazard",
          [feature(fid, p, polygon(rings)) for fid, p, rings in hazard_features()])
    write(os.path.join(out, "flood.geojson"), "flood",
          [feature(fid, p, polygon(rings)) for fid, p, rings in flood_features()])
    write(os.path.join(out, "regions.geojson"), "regions",
          [feature(fid, p, polygon([r])) for fid, p, r in REGIONS])
    check_conditional_lonlat()
    for name, parts in SITES.items():
        features = []
        for n, (title, ring) in enumerate(parts, start=1):
            props = {"XMMC": title, "BZ": f"第{n}地块" if len(parts) > 1 else "项目用地范围"}
            if name == "conditional":
                lonlat = [list(p) for p in CONDITIONAL_LONLAT]
                features.append(feature(None, props, {"type": "Polygon", "coordinates": [lonlat]}))
            else:
                features.append(feature(n, props, polygon([ring])))
        write(os.path.join(out, "sites", f"{name}.geojson"), name, features,
              crs=None if name == "conditional" else CRS)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "SampleLayers")
