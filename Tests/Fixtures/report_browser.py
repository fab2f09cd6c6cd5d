"""Opens an HTML report of plan-check (overlay or assess) in headless Chromium (Debian's chromium +
chromium-driver, through python3-selenium) and checks it as a reader would see it.

usage: /usr/bin/python3 report_browser.py REPORT.html SCREENSHOT.png IDS.json TABLE,TABLE,...
(IDS.json: the ids of the map's features (patches or zones) in the order of the report, written
by the test from the run; TABLE,...: the ids of the tables the report must have.)

Checks: no console errors; the map has one SVG path per feature; the tables are there; the
paged feature list shows its first page and counts every feature, also after sorting; the
legend lies outside the drawing; unticking an outline layer in the legend hides it; a click on
a feature (the first with a visible point) shows its id in the info panel. Saves a screenshot.
Exit 0 when all hold; prints what failed otherwise.
"""
import json
import pathlib
import sys

from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
import headless_chromium

# A point of the page where patch `el` is the topmost element (patches can be small, concave or
# overlapped, so the centre of the bounding box may hit another patch or nothing).
FIND_POINT = """
const el = arguments[0], r = el.getBoundingClientRect();
for (let n = 1; n <= 16; n *= 2)
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
    const x = r.left + (i + 0.5) * r.width / n, y = r.top + (j + 0.5) * r.height / n;
    if (document.elementFromPoint(x, y) === el) return [x - (r.left + r.width / 2), y - (r.top + r.height / 2)];
  }
return null;
"""


def main():
    report, screenshot = sys.argv[1], sys.argv[2]
    ids = json.loads(pathlib.Path(sys.argv[3]).read_text())
    tables = sys.argv[4].split(",")
    count = len(ids)
    driver = headless_chromium.start(1400, 1000)
    failures = []
    try:
        driver.get(pathlib.Path(report).resolve().as_uri())
        paths = driver.find_elements(By.CSS_SELECTOR, "#map path.shape")
        if len(paths) != count:
            failures.append(f"{len(paths)} feature paths in the map, expected {count}")
        for table in tables:
            if not driver.find_elements(By.ID, table):
                failures.append(f"no table #{table}")
        page_size = driver.execute_script("return JSON.parse(document.getElementById('report-data').textContent).table.pageSize")
        rows = driver.find_elements(By.CSS_SELECTOR, "table.paged tbody tr")
        if len(rows) != min(count, page_size):
            failures.append(f"{len(rows)} rows on the first page of the list, expected {min(count, page_size)}")
        pager = driver.find_element(By.CSS_SELECTOR, ".pager .page").text
        if f"({count} " not in pager:
            failures.append(f"the pager says {pager!r}, expected {count} rows")
        # The legend is beside or under the drawing, never over it.
        overlap = driver.execute_script("""
            const m = document.getElementById('map').getBoundingClientRect(), l = document.getElementById('legend').getBoundingClientRect();
            return !(l.left >= m.right || l.right <= m.left || l.top >= m.bottom || l.bottom <= m.top);""")
        if overlap:
            failures.append("the legend overlaps the map")
        # An outline layer's box in the legend hides and shows it.
        toggles = driver.find_elements(By.CSS_SELECTOR, "#legend input[data-toggle]")
        if not toggles:
            failures.append("no outline layer in the legend")
        else:
            target = toggles[0].get_attribute("data-toggle")
            toggles[0].click()
            hidden = driver.execute_script(f"return getComputedStyle(document.getElementById('{target}')).display")
            toggles[0].click()
            shown = driver.execute_script(f"return getComputedStyle(document.getElementById('{target}')).display")
            if hidden != "none" or shown == "none":
                failures.append(f"legend toggle of #{target}: display {hidden!r} then {shown!r}")
        clicked = None
        for i, path in enumerate(paths):
            if not path.is_displayed():
                continue
            driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", path)
            offset = driver.execute_script(FIND_POINT, path)
            if offset is not None:
                ActionChains(driver).move_to_element_with_offset(path, int(offset[0]), int(offset[1])).click().perform()
                clicked = int(path.get_attribute("data-i"))
                break
        if clicked is None:
            failures.append("no patch could be clicked")
        else:
            shown = driver.find_elements(By.ID, "info-id")
            if not shown or shown[0].text != ids[clicked]:
                failures.append(f"info panel after a click on patch {clicked}: {[e.text for e in shown]}, expected {ids[clicked]}")
            else:
                print(f"clicked patch {ids[clicked]}: shown in the info panel")
        # Sorting the list by an area column (twice: descending) keeps every row, largest first.
        heading = driver.find_element(By.CSS_SELECTOR, "table.paged th:nth-child(8)")
        heading.click()
        heading.click()
        pager = driver.find_element(By.CSS_SELECTOR, ".pager .page").text
        values = [float(td.get_attribute("data-v")) for td in driver.find_elements(By.CSS_SELECTOR, "table.paged tbody tr td:nth-child(8)")]
        if f"({count} " not in pager or values != sorted(values, reverse=True):
            failures.append(f"sorting: pager {pager!r}, first values {values[:5]}")
        # Sorting by a text column (the second) orders its texts, and a click on a list row shows
        # that row's feature in the info panel.
        driver.find_element(By.CSS_SELECTOR, "table.paged th:nth-child(2)").click()
        texts = [td.text for td in driver.find_elements(By.CSS_SELECTOR, "table.paged tbody tr td:nth-child(2)")]
        # (Chromium's Chinese collation is not Python's order; sorted means each text in one run.)
        runs = [t for k, t in enumerate(texts) if k == 0 or texts[k - 1] != t]
        if not texts or any(t.isdigit() for t in texts) or len(runs) != len(set(texts)):
            failures.append(f"sorting by the second column: {texts[:5]}")
        row = driver.find_elements(By.CSS_SELECTOR, "table.paged tbody tr")[-1]
        row_id = row.find_element(By.CSS_SELECTOR, "td:nth-child(1)").text
        driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", row)
        row.click()
        shown = driver.find_elements(By.ID, "info-id")
        if not shown or shown[0].text != row_id:
            failures.append(f"a click on list row {row_id} shows {[e.text for e in shown]}")
        driver.execute_script("window.scrollTo(0, 0)")
        driver.save_screenshot(screenshot)
        errors = headless_chromium.console_errors(driver)
        if errors:
            failures.append(f"console errors: {errors}")
    finally:
        driver.quit()
    for f in failures:
        print("FAIL:", f)
    print(f"screenshot: {screenshot}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
