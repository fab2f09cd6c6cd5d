"""Times how long an HTML report of plan-check takes to open in headless Chromium (Debian's
chromium + chromium-driver, through python3-selenium).

usage: /usr/bin/python3 load_time.py REPORT.html [RUNS]

Each run opens the file in a fresh browser and reads the Performance API: navigation start to
the end of the load event (`loadEventEnd`: the HTML parsed, the map's SVG built, the script run,
the first page of the patch list drawn), the first contentful paint, and the time the first
frame after the load event was presented (two requestAnimationFrame callbacks after load: the
map is on screen). Prints one JSON line per run and a last line with the median of each.
"""
import json
import pathlib
import statistics
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2] / "Tests" / "Fixtures"))
import headless_chromium  # noqa: E402

FRAME_AFTER_LOAD = """
const done = arguments[arguments.length - 1];
const nav = performance.getEntriesByType("navigation")[0];
const paints = Object.fromEntries(performance.getEntriesByType("paint").map(p => [p.name, p.startTime]));
requestAnimationFrame(() => requestAnimationFrame(() => done({
  load_end_ms: nav.loadEventEnd, dom_content_loaded_ms: nav.domContentLoadedEventEnd,
  first_contentful_paint_ms: paints["first-contentful-paint"] ?? null, map_frame_ms: performance.now(),
  shapes: document.querySelectorAll("#map path.shape").length,
  list_rows: document.querySelectorAll("table.paged tbody tr").length,
})));
"""


def once(url):
    driver = headless_chromium.start(1400, 1000)
    try:
        driver.set_page_load_timeout(600)
        driver.set_script_timeout(600)
        driver.get(url)
        figures = driver.execute_async_script(FRAME_AFTER_LOAD)
        figures["console_errors"] = len(headless_chromium.console_errors(driver))
        return figures
    finally:
        driver.quit()


def main():
    url = pathlib.Path(sys.argv[1]).resolve().as_uri()
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    results = []
    for _ in range(runs):
        r = once(url)
        print(json.dumps(r), flush=True)
        results.append(r)
    keys = ["dom_content_loaded_ms", "load_end_ms", "first_contentful_paint_ms", "map_frame_ms"]
    # A figure Chromium did not give in any run (no paint entry yet) is null, not an error.
    median = {k: (statistics.median(v) if (v := [r[k] for r in results if r[k] is not None]) else None) for k in keys}
    median.update(shapes=results[0]["shapes"], list_rows=results[0]["list_rows"],
                  console_errors=max(r["console_errors"] for r in results), runs=runs)
    print(json.dumps({"median": median}))


if __name__ == "__main__":
    sys.exit(main())
