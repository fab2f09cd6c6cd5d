"""Debian's headless Chromium under Debian's chromedriver, as every browser check uses it.

The report, page, base-map and diff checks in Tests/Fixtures and Tools/bench-report's load timer
import this: one place says which browser runs, with which flags, and what counts as a console
error.
"""

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


def start(width, height, *extra_arguments):
    """A headless Chromium window of width x height CSS pixels that keeps its console log."""
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", f"--window-size={width},{height}", *extra_arguments):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)


def console_errors(driver):
    """The console entries of level SEVERE since the last call (uncaught errors, failed loads)."""
    return [entry for entry in driver.get_log("browser") if entry.get("level") == "SEVERE"]
