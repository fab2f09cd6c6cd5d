"""Fuzzes a running `plan-check serve` with generated malformed requests: every answer must be a
4xx (never a 5xx, a dropped connection or a hang), and the server must still answer after.

usage: python3 fuzz_serve.py PORT SEED REQUESTS SECONDS SITE.geojson

Requests are generated from SEED (the same seed gives the same requests) and sent one after
another on keep-alive connections until REQUESTS are sent or SECONDS have passed. Every request
is malformed by construction: a broken or truncated body, JSON that is no site, a site that
cannot be judged, a wrong Content-Type, a bad, unknown or repeated parameter, a bad bbox or
limit, an unknown path or method. Prints one JSON line (requests sent, statuses, the first
failures); exit 0 when every answer was a 4xx and GET /v1/health answers 200 at the end.
"""
import http.client
import json
import random
import sys
import time
import urllib.parse

PORT, SEED, COUNT, SECONDS, SITE = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
rnd = random.Random(SEED)
site = open(SITE, "rb").read()
site_json = json.loads(site)


def junk(n=None):
    return bytes(rnd.randrange(256) for _ in range(n if n is not None else rnd.randrange(1, 200)))


def text(n=None):
    alphabet = "abcxyz0129-_.,:;!~*'()[]{}%/\\ \t中文\u00e9\u0000\u202e"
    return "".join(rnd.choice(alphabet) for _ in range(n if n is not None else rnd.randrange(1, 30)))


def ascii_text(n):
    return "".join(rnd.choice("abcxyz0129-_.,:;!~*'()[]{}%/ =+") for _ in range(n))


def number():
    return rnd.choice(["nan", "inf", "-inf", "1e400", "-1e400", "", "0x10", "1,2", " ", "--1", "1e", str(rnd.uniform(-1e9, 1e9)) + "x"])


def polygon(ring):
    return {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {}, "geometry": {"type": "Polygon", "coordinates": [ring]}}]}


def bad_body():
    """A body that is no site plan-check can judge."""
    kind = rnd.randrange(12)
    if kind == 0:
        return b"\x00" + junk()
    if kind == 1:  # truncated before its last non-blank byte
        stripped = site.rstrip()
        return stripped[: rnd.randrange(0, len(stripped) - 1)]
    if kind == 2:  # JSON, but not GeoJSON
        return json.dumps(rnd.choice([1, "x", None, [], {}, {"type": text()}, {"features": []}, [1, 2, 3], True])).encode()
    if kind == 3:  # nothing polygonal
        return json.dumps({"type": "Point", "coordinates": [rnd.uniform(-1e6, 1e6), rnd.uniform(-1e6, 1e6)]}).encode()
    if kind == 4:  # a ring too short, or coordinates that are not numbers
        ring = rnd.choice([[[0, 0], [1, 1]], [["a", "b"], ["c", "d"], ["e", "f"], ["a", "b"]], [], [[0]], [[None, None]] * 4])
        return json.dumps(polygon(ring)).encode()
    if kind == 5:  # an unknown CRS
        body = dict(site_json)
        body["crs"] = {"type": "name", "properties": {"name": f"urn:ogc:def:crs:EPSG::{rnd.randrange(900000, 999999)}"}}
        return json.dumps(body).encode()
    if kind == 6:  # far outside the registry CRS's area of use
        x, y = rnd.choice([(-170.0, -80.0), (10.0, 50.0), (-70.0, -30.0)])
        return json.dumps(polygon([[x, y], [x + 0.01, y], [x + 0.01, y + 0.01], [x, y + 0.01], [x, y]])).encode()
    if kind == 7:  # deep nesting
        depth = rnd.randrange(100, 20000)
        return b"[" * depth + b"]" * rnd.randrange(0, depth)
    if kind == 8:  # an empty collection
        return b'{"type": "FeatureCollection", "features": []}'
    if kind == 9:  # a bracket replaced (":" or a quote could sit inside a string and stay valid)
        data = bytearray(site)
        positions = [i for i, b in enumerate(data) if b in b"{}[]"]
        data[rnd.choice(positions)] = rnd.choice(b"#@!`")
        return bytes(data)
    if kind == 10:  # empty body
        return b""
    return junk(rnd.randrange(1, 5000))


def bad_query_parameters():
    choices = [
        ("at", text()), ("at", "2026-02-30"), ("at", "2026-13-01"), ("project_type", text() + "z"),
        ("geometry", rnd.choice(["yes", "1", "TRUE", "", "true "])), (text(5) + "q", "1"), ("project_type", ""),
    ]
    params = [rnd.choice(choices)]
    if rnd.random() < 0.2:
        params.append(("at", "2026-12-01"))
        params.append(("at", "2026-12-02"))
    return params


def bad_map_parameters(path):
    choices = [
        ("bbox", ",".join(number() for _ in range(4))), ("bbox", ",".join(str(rnd.uniform(-1e7, 1e7)) for _ in range(rnd.choice([1, 2, 3, 5, 8])))),
        ("bbox", "10,10,0,0"), ("bbox", text()), ("limit", rnd.choice(["0", "-1", "5001", "99999999999999999999999", "1.5", text()])),
        (text(4) + "x", "1"), ("bbox", ""),
    ]
    if path == "/v1/zones":
        choices.append(("item", text(6) + "nosuchitem"))
    params = [rnd.choice(choices)]
    if rnd.random() < 0.2:
        params += [("limit", "10"), ("limit", "20")]
    return params


def request():
    """(method, path with query, headers, body)"""
    kind = rnd.randrange(10)
    if kind <= 3:
        return "POST", "/v1/query?at=2026-12-01", {"Content-Type": rnd.choice(["application/geo+json", "application/json"])}, bad_body()
    if kind == 4:
        return "POST", "/v1/query?" + urllib.parse.urlencode(bad_query_parameters()), {"Content-Type": "application/geo+json"}, site
    if kind == 5:
        content_type = rnd.choice(["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", ascii_text(8), "image/png"])
        return "POST", "/v1/query", {"Content-Type": content_type}, site
    if kind == 6:  # a zip, GeoPackage or KML that is not one (GDAL knows formats by their bytes: a
        # whole GeoJSON site sent as any of these is read, and answered, as the site it is)
        content_type = rnd.choice(["application/zip", "application/geopackage+sqlite3", "application/vnd.google-earth.kml+xml", "application/flatgeobuf", "application/gml+xml"])
        body = rnd.choice([junk(), b"PK\x03\x04" + junk(), b"SQLite format 3\x00" + junk(200), b"<kml>" + junk(), site[: len(site) // 2]])
        return "POST", "/v1/query", {"Content-Type": content_type}, body
    if kind == 7:
        path = rnd.choice(["/v1/zones", "/v1/regions"])
        return "GET", path + "?" + urllib.parse.urlencode(bad_map_parameters(path)), {}, None
    if kind == 8:
        # (/v1/health and /v1/items ignore parameters: nothing could change their answer)
        path = rnd.choice(["/v1/project-types", "/", "/assets/page.js", "/assets/page.css", "/v1/openapi.json"])
        params = [(text(4) + "p", text(3))] if path != "/" else [("lang", rnd.choice(["fr", "", "ZH", text(3)]))]
        return "GET", path + "?" + urllib.parse.urlencode(params), {}, None
    method = rnd.choice(["GET", "PUT", "DELETE", "PATCH", "POST"])
    path = rnd.choice(["/v1/" + urllib.parse.quote(text()), "/" + urllib.parse.quote(text()), "/v1/query", "/v1/zones", "/assets/" + urllib.parse.quote(text())])
    if (method, path) in (("POST", "/v1/query"), ("GET", "/v1/zones")):
        method = "DELETE"
    return method, path, {}, junk() if method in ("PUT", "PATCH", "POST") else None


def main():
    statuses, failures = {}, []
    connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
    start, sent = time.time(), 0
    while sent < COUNT and time.time() - start < SECONDS:
        method, path, headers, body = request()
        sent += 1
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            payload = response.read()
            status = response.status
            if response.getheader("Connection", "").lower() == "close":
                connection.close()
        except Exception as error:  # a dropped connection or a hang is a failure
            status = f"{type(error).__name__}"
            connection.close()
            connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
            payload = b""
        statuses[str(status)] = statuses.get(str(status), 0) + 1
        if not isinstance(status, int) or not 400 <= status < 500:
            if len(failures) < 10:
                failures.append({"request": f"{method} {path[:200]}", "body": (body or b"")[:120].decode("utf-8", "replace"),
                                 "status": status, "answer": payload[:300].decode("utf-8", "replace")})
    connection.close()
    health = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
    health.request("GET", "/v1/health")
    after = health.getresponse().status
    print(json.dumps({"seed": SEED, "sent": sent, "seconds": round(time.time() - start, 1), "statuses": statuses,
                      "health_after": after, "failures": failures}, ensure_ascii=False))
    return 0 if not failures and after == 200 else 1


if __name__ == "__main__":
    sys.exit(main())
