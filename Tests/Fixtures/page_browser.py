"""Uses the applicants' page of a running `plan-check serve` in headless Chromium (Debian's
chromium + chromium-driver, through python3-selenium) as an applicant would, and checks what it
shows against the command line's answers.

usage: /usr/bin/python3 page_browser.py URL CASES.json ARTEFACTS_DIR

CASES.json: [{"name", "how": "file"|"paste"|"coords", "path" (file, paste), "corners" and "epsg"
(coords; no epsg: longitude/latitude), "project_type" or null, "at", "answer": the
`plan-check query --format json` answer}].

Per case: the site is given (uploaded, pasted or typed), the form sent, and the page must show
the answer's verdict, every item's outcome in order, the areas (ha to 4 decimals, mu to 2) of the
site and of every zone touched, and every conformity patch (one row and one map path each). The
map must draw each zone of its view once, exactly the zones GET /v1/zones gives for the view's
bbox. Then: the English switch, no console errors, and the artefacts: page-answer.png,
page-print.png (print media emulated through CDP), page-print.pdf (A4), page-en.png.
Exit 0 when all hold; prints what failed otherwise.
"""
import base64
import json
import pathlib
import sys
import time
import urllib.request

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select
import headless_chromium


def wait(driver, condition, seconds=60):
    end = time.time() + seconds
    while time.time() < end:
        value = driver.execute_script(condition)
        if value:
            return value
        time.sleep(0.05)
    return None


def give_site(driver, case):
    driver.find_element(By.CSS_SELECTOR, f"input[name=source][value={case['how']}]").click()
    if case["how"] == "file":
        field = driver.find_element(By.ID, "file")
        driver.execute_script("arguments[0].value = ''", field)
        field.send_keys(str(pathlib.Path(case["path"]).resolve()))
    elif case["how"] == "paste":
        area = driver.find_element(By.ID, "paste")
        area.clear()
        driver.execute_script("arguments[0].value = arguments[1]", area, pathlib.Path(case["path"]).read_text())
    else:
        if case.get("epsg"):
            Select(driver.find_element(By.ID, "coord-crs")).select_by_value("gk")
            epsg = driver.find_element(By.ID, "epsg")
            epsg.clear()
            epsg.send_keys(str(case["epsg"]))
        else:
            Select(driver.find_element(By.ID, "coord-crs")).select_by_value("lonlat")
            if driver.find_element(By.ID, "epsg").is_displayed():
                raise AssertionError("the EPSG field is shown for longitude/latitude")
        corners = driver.find_element(By.ID, "coords")
        corners.clear()
        corners.send_keys("\n".join(f"{x} {y}" for x, y in case["corners"]))
    Select(driver.find_element(By.ID, "project-type")).select_by_value(case["project_type"] or "")
    driver.execute_script("document.getElementById('at').value = arguments[0]", case["at"])


def check_case(driver, base, case, failures):
    name, answer = case["name"], case["answer"]
    give_site(driver, case)
    driver.execute_script("document.getElementById('answer').dataset.state = 'sent'")
    driver.find_element(By.ID, "submit").click()
    state = wait(driver, "const s = document.getElementById('answer').dataset.state; return s === 'done' || s === 'error' ? s : null")
    if state != "done":
        failures.append(f"{name}: the page did not show an answer ({state}): {driver.find_element(By.ID, 'error').text}")
        return
    verdict = driver.find_element(By.ID, "verdict").get_attribute("data-may-proceed")
    if verdict != str(answer["may_proceed"]).lower():
        failures.append(f"{name}: verdict {verdict}, the CLI says may_proceed={answer['may_proceed']}")
    rows = driver.find_elements(By.CSS_SELECTOR, "#items tbody tr")
    shown = [(r.get_attribute("data-item"), r.get_attribute("data-outcome")) for r in rows]
    expected = [(i["item_id"], i["outcome"]) for i in answer["items"]]
    if shown != expected:
        failures.append(f"{name}: outcomes shown {shown}, the CLI says {expected}")
    for row, item in zip(rows, answer["items"]):
        areas = [(s.get_attribute("data-ha"), s.get_attribute("data-mu")) for s in row.find_elements(By.CSS_SELECTOR, "li.zone-touch .area")]
        want = [(f"{z['area']['ha']:.4f}", f"{z['area']['mu']:.2f}") for z in item["zones"]]
        if areas != want:
            failures.append(f"{name}: item {item['item_id']}: zone areas shown {areas}, the CLI's {want}")
        badges = [b.get_attribute("data-outcome") for b in row.find_elements(By.CSS_SELECTOR, "li.zone-touch .outcome")]
        if badges != [z["outcome"] for z in item["zones"]]:
            failures.append(f"{name}: item {item['item_id']}: zone outcomes shown {badges}")
    site_area = driver.find_element(By.CSS_SELECTOR, "#summary .area")
    if site_area.get_attribute("data-ha") != f"{answer['site']['area']['ha']:.4f}":
        failures.append(f"{name}: site area shown {site_area.text}, the CLI's {answer['site']['area']['ha']:.4f} ha")
    patch_ids = [p["id"] for r in answer["conformity"]["rules"] for p in r["patches"]]
    listed = [e.get_attribute("data-id") for e in driver.find_elements(By.CSS_SELECTOR, "li.patch-row")]
    drawn = [e.get_attribute("data-id") for e in driver.find_elements(By.CSS_SELECTOR, "#map path.patch")]
    if listed != patch_ids or sorted(drawn) != sorted(patch_ids):
        failures.append(f"{name}: patches listed {listed}, drawn {drawn}, the CLI's {patch_ids}")
    # The map against the zones endpoint for the same view: each zone once, none missing.
    bbox = driver.find_element(By.ID, "map-svg").get_attribute("data-bbox")
    with urllib.request.urlopen(f"{base}/v1/zones?bbox={bbox}&limit=5000") as response:
        zones = json.load(response)
    fids = [e.get_attribute("data-fid") for e in driver.find_elements(By.CSS_SELECTOR, "#map path.zone")]
    if len(fids) != len(set(fids)):
        failures.append(f"{name}: a zone is drawn twice: {sorted(fids)}")
    if sorted(map(int, fids)) != sorted(f["id"] for f in zones["features"]):
        failures.append(f"{name}: zones drawn {sorted(fids)}, /v1/zones gives {sorted(f['id'] for f in zones['features'])}")
    if not driver.find_elements(By.CSS_SELECTOR, "#map path.site"):
        failures.append(f"{name}: the site is not drawn")
    worst = max(answer["items"], key=lambda i: ["reuse", "conditional", "individual", "prohibited"].index(i["outcome"]))
    shown_item = driver.find_element(By.ID, "map-figure").get_attribute("data-item")
    if shown_item != worst["item_id"] and any(f["properties"]["item_id"] == worst["item_id"] for f in zones["features"]):
        failures.append(f"{name}: the map shows the zones of {shown_item}, not of the worst item {worst['item_id']}")
    print(f"{name}: {shown}, {len(fids)} zones drawn, {len(drawn)} patches")


def main():
    base, cases, artefacts = sys.argv[1], json.loads(pathlib.Path(sys.argv[2]).read_text()), pathlib.Path(sys.argv[3])
    artefacts.mkdir(parents=True, exist_ok=True)
    driver = headless_chromium.start(1280, 1800, "--lang=zh-CN")
    failures = []
    try:
        driver.get(base + "/")
        if not wait(driver, "return document.body.dataset.ready === 'true'"):
            failures.append(f"the page did not load its project types: {driver.find_element(By.ID, 'error').text}")
        if driver.find_element(By.TAG_NAME, "h1").text != "区域评估一张表单":
            failures.append(f"not Chinese by default: {driver.find_element(By.TAG_NAME, 'h1').text}")
        types = [o.get_attribute("value") for o in driver.find_elements(By.CSS_SELECTOR, "#project-type option")]
        print(f"project types offered: {types}")
        shot = None
        for case in cases:
            check_case(driver, base, case, failures)
            if case.get("screenshot"):
                shot = case
                driver.execute_script("window.scrollTo(0, 0)")
                driver.save_screenshot(str(artefacts / "page-answer.png"))
                driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
                driver.save_screenshot(str(artefacts / "page-print.png"))
                pdf = driver.execute_cdp_cmd("Page.printToPDF", {"paperWidth": 8.27, "paperHeight": 11.69, "printBackground": True,
                                                                  "marginTop": 0, "marginBottom": 0, "marginLeft": 0, "marginRight": 0,
                                                                  "preferCSSPageSize": True})
                data = base64.b64decode(pdf["data"])
                (artefacts / "page-print.pdf").write_bytes(data)
                pages = data.count(b"/Type /Page") - data.count(b"/Type /Pages")
                print(f"print: {pages} A4 page(s)")
                if pages != 1:
                    failures.append(f"the one-form answer of {case['name']} prints on {pages} A4 pages, not one")
                hidden = driver.execute_script("return getComputedStyle(document.getElementById('ask')).display")
                if hidden != "none":
                    failures.append(f"the form is printed (display {hidden})")
                driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
        if shot is None:
            failures.append("no case asked for the screenshot")
        driver.find_element(By.ID, "lang").click()
        verdict = driver.find_element(By.CSS_SELECTOR, "#verdict strong").text
        if verdict not in ("May proceed on the regional assessment", "May not simply reuse the regional assessment"):
            failures.append(f"the English switch left the verdict as {verdict!r}")
        driver.execute_script("window.scrollTo(0, 0)")
        driver.save_screenshot(str(artefacts / "page-en.png"))
        driver.find_element(By.ID, "lang").click()
        errors = headless_chromium.console_errors(driver)
        if errors:
            failures.append(f"console errors: {errors}")
    finally:
        driver.quit()
    for failure in failures:
        print("FAIL:", failure)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
