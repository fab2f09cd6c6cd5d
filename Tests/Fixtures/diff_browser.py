"""Opens a `plan-check diff --html` page in headless Chromium (Debian's chromium + chromium-driver,
through python3-selenium) and checks that a reader sees the figures of the summary.

usage: /usr/bin/python3 diff_browser.py PAGE.html SCREENSHOT.png GRID.json
(GRID.json: the matrix as the text table prints it, row by row, written by the test from the run.)

Checks: no console errors; the first table (the matrix) shows exactly GRID's cells; the changes
table has one row per changed id. Saves a screenshot. Exit 0 when all hold; prints what failed.
"""
import json
import pathlib
import sys

from selenium.webdriver.common.by import By
import headless_chromium


def main():
    page, screenshot = sys.argv[1], sys.argv[2]
    expected = json.loads(pathlib.Path(sys.argv[3]).read_text())
    driver = headless_chromium.start(1200, 900)
    failures = []
    try:
        driver.get(pathlib.Path(page).resolve().as_uri())
        tables = driver.find_elements(By.TAG_NAME, "table")
        if len(tables) != 3:
            failures.append(f"{len(tables)} tables, expected 3 (matrix, pairs, changes)")
        else:
            shown = [[cell.text for cell in row.find_elements(By.CSS_SELECTOR, "th, td")]
                     for row in tables[0].find_elements(By.TAG_NAME, "tr")]
            if shown != expected["grid"]:
                failures.append(f"matrix as shown: {shown}\nexpected: {expected['grid']}")
            changes = tables[2].find_elements(By.TAG_NAME, "tr")
            if len(changes) - 1 != expected["changes"]:
                failures.append(f"{len(changes) - 1} change rows, expected {expected['changes']}")
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
