"""Checks `plan-check serve --basemap` in headless Chromium against a stand-in WMS on loopback.

usage: /usr/bin/python3 basemap_browser.py PLAN_CHECK REGISTRY SITE.geojson SCREENSHOT.png

Starts a stand-in WMS (Python's http.server on 127.0.0.1, any free port) that answers every
GetMap with a small PNG and records the requests; starts `PLAN_CHECK serve --registry REGISTRY
--port 0 --basemap 'http://127.0.0.1:WMS/wms?SRS={crs}&BBOX={bbox}&WIDTH={width}&HEIGHT={height}'`;
uploads SITE on the page. Checks: the map has one <image> under everything else, its URL asks
the WMS for the map's own box (data-bbox) in the registry's CRS; the WMS got that request from
the browser; no console errors (the page's Content-Security-Policy lets the WMS origin in, for
images only). Saves a screenshot. Exit 0 when all hold; prints what failed otherwise.
"""
import http.server
import pathlib
import struct
import subprocess
import sys
import threading
import time
import urllib.parse
import zlib

from selenium.webdriver.common.by import By
import headless_chromium

def png(width=64, height=64):
    """A light grey PNG, written by hand (the standard library has no image writer)."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    rows = b"".join(b"\x00" + b"\xdd\xdd\xdd" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


PNG = png()
requests = []


class WMS(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        requests.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", str(len(PNG)))
        self.end_headers()
        self.wfile.write(PNG)

    def log_message(self, *args):
        pass


def main():
    plan_check, registry, site, screenshot = sys.argv[1:5]
    wms = http.server.ThreadingHTTPServer(("127.0.0.1", 0), WMS)
    threading.Thread(target=wms.serve_forever, daemon=True).start()
    template = f"http://127.0.0.1:{wms.server_port}/wms?SRS={{crs}}&BBOX={{bbox}}&WIDTH={{width}}&HEIGHT={{height}}"
    server = subprocess.Popen([plan_check, "serve", "--registry", registry, "--port", "0", "--basemap", template],
                              stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    failures = []
    driver = None
    try:
        seen = []
        for line in server.stderr:  # warnings of the rules may come first
            seen.append(line)
            if "listening on " in line or len(seen) > 50:
                break
        if "listening on " not in line:
            print(f"FAIL: plan-check serve did not start: {''.join(seen)}")
            return 1
        threading.Thread(target=lambda: [None for _ in server.stderr], daemon=True).start()  # keep the pipe drained
        base = line.strip().split("listening on ")[1]
        driver = headless_chromium.start(1280, 1800)
        driver.get(base + "/")
        driver.find_element(By.ID, "file").send_keys(str(pathlib.Path(site).resolve()))
        driver.execute_script("document.getElementById('at').value = '2026-12-01'")
        driver.find_element(By.ID, "submit").click()
        end = time.time() + 60
        while time.time() < end and driver.execute_script("return document.getElementById('answer').dataset.state") not in ("done", "error"):
            time.sleep(0.05)
        images = driver.find_elements(By.CSS_SELECTOR, "#map-svg image.basemap")
        bbox = driver.find_element(By.ID, "map-svg").get_attribute("data-bbox")
        if len(images) != 1:
            failures.append(f"{len(images)} base map images in the map, expected 1")
        else:
            first = driver.execute_script("return document.getElementById('map-svg').firstElementChild.tagName")
            if first != "image":
                failures.append(f"the base map is not under everything: the first child is {first}")
            href = urllib.parse.urlsplit(images[0].get_attribute("href"))
            query = urllib.parse.parse_qs(href.query)
            want = ",".join(f"{float(v):.3f}" for v in bbox.split(","))
            if query.get("BBOX") != [want] or query.get("SRS") != ["EPSG:4529"]:
                failures.append(f"the base map asks {query}, expected BBOX={want} SRS=EPSG:4529")
        end = time.time() + 10
        while time.time() < end and not requests:
            time.sleep(0.05)
        if not any("BBOX=" in r for r in requests):
            failures.append(f"the stand-in WMS got no GetMap: {requests}")
        driver.execute_script("document.getElementById('map').scrollIntoView()")
        driver.save_screenshot(screenshot)
        errors = headless_chromium.console_errors(driver)
        if errors:
            failures.append(f"console errors: {errors}")
        print(f"base map requests: {requests[:2]}")
    finally:
        if driver is not None:
            driver.quit()
        server.terminate()
        server.wait(20)
        wms.shutdown()
    for failure in failures:
        print("FAIL:", failure)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
