#!/usr/bin/env python3
"""The dashboard in a real headless browser: Debian's chromium driven by selenium through chromedriver.

Starts redis-server, `logit serve` and `logit worker` on free loopback ports (in a temporary directory), checks the
page's ETag caching over HTTP, then, in the browser: uploads Fixtures/iris.csv from the train form and waits until
the page shows the model "ready"; checks that the objective curve and the coefficient heat map are drawn (SVG with
data); predicts three rows and checks the labels shown; moves an alias when the API has names (otherwise says that
step is skipped); checks that the browser logged no console error; and saves screenshots (wide and narrow) into a
temporary folder, whose path it prints. Stops everything it started.

    python3 scripts/dashboard_check.py [--binary .build/debug/logit] [--screenshots DIR]

Without selenium (`pip install selenium`) or without chromium and chromium-driver (`apt-get install chromium
chromium-driver`) it says so and exits 0, as scripts/api_contract.py does; `scripts/setup.sh` installs them.
"""
import argparse
import importlib.util
import os
import shutil
import sys
import tempfile

import harness

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
# Rows of iris and what a model fitted on iris predicts for them.
PREDICT_ROWS = "6.9,3.1,5.1,2.3\n5.1,3.5,1.4,0.2\n5.9,3.0,4.2,1.5\n"
EXPECTED_LABELS = ["virginica", "setosa", "versicolor"]
DEADLINE = 60


def check_http_caching(port):
    """`/` and `/ui` are the same page; every asset has an ETag and answers 304 to it."""
    pages = {}
    for path in ("/", "/ui", "/ui/app.css", "/ui/app.js"):
        status, headers, body = harness.request("GET", port, path)
        assert status == 200, f"GET {path} answered {status}"
        etag = headers.get("etag")
        assert etag, f"GET {path} has no ETag"
        again, headers304, body304 = harness.request("GET", port, path, headers={"If-None-Match": etag})
        assert again == 304 and body304 == b"" and headers304.get("etag") == etag, f"GET {path} with its ETag answered {again}"
        pages[path] = body
    assert pages["/"] == pages["/ui"], "/ and /ui serve different pages"
    harness.log("HTTP: /, /ui and both assets carry ETags and answer 304 to them")


class Page:
    """The selenium driver with waits on conditions (never a fixed sleep)."""

    def __init__(self, driver, shots):
        self.driver = driver
        self.shots = shots

    def find(self, selector):
        from selenium.webdriver.common.by import By
        return self.driver.find_element(By.CSS_SELECTOR, selector)

    def find_all(self, selector):
        from selenium.webdriver.common.by import By
        return self.driver.find_elements(By.CSS_SELECTOR, selector)

    def until(self, condition, what, timeout=DEADLINE):
        from selenium.webdriver.support.ui import WebDriverWait
        try:
            return WebDriverWait(self.driver, timeout, poll_frequency=0.1).until(lambda _: condition())
        except Exception as error:
            self.screenshot("failure")
            raise AssertionError(f"timed out after {timeout} s waiting for {what}") from error

    def text(self, selector):
        found = self.find_all(selector)
        return found[0].text if found else ""

    def visible(self, selector):
        found = self.find_all(selector)
        return bool(found) and found[0].is_displayed()

    def screenshot(self, name):
        path = os.path.join(self.shots, f"{name}.png")
        # The whole page from its top: the window grows to the document's height first.
        self.driver.execute_script("document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0)")
        height = self.driver.execute_script("return Math.max(document.body.scrollHeight, document.documentElement.scrollHeight)")
        width = self.driver.get_window_size()["width"]
        self.driver.set_window_size(width, min(max(height + 120, 600), 6000))
        self.driver.execute_script("window.scrollTo(0, 0)")
        self.driver.save_screenshot(path)
        harness.log(f"screenshot {path}")
        return path


def console_errors(driver):
    return [entry for entry in driver.get_log("browser") if entry.get("level") == "SEVERE"]


def run_browser(port, shots, iris):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.keys import Keys

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1400,1000",
                     "--lang=en-GB"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    profile = tempfile.mkdtemp(prefix="logit-chromium-")
    options.add_argument(f"--user-data-dir={profile}")
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    page = Page(driver, shots)
    base = f"http://127.0.0.1:{port}"
    try:
        driver.get(base + "/")
        page.until(lambda: page.text("#live").startswith("live"), "the page to read the model list")
        names = page.visible("#train-name-field")

        # Train iris from the page.
        page.find("#train-file").send_keys(iris)
        if names:
            page.find("#train-name").send_keys("iris")
        page.find("#train-submit").click()
        page.until(lambda: page.text("#model-state") == "ready", 'the model panel to show "ready"')
        page.until(lambda: page.find_all('#models-body tr[aria-selected="true"] .state.ready'), "the list to show the model ready")
        harness.log("trained iris from the page: ready")

        # The charts, with data.
        curve = page.until(lambda: page.find_all("#objective-chart svg path.curve"), "the objective curve")[0]
        points = int(page.find("#objective-chart svg").get_attribute("data-points"))
        assert points >= 2 and len(curve.get_attribute("d")) > 10, f"objective curve with {points} points"
        cells = page.find_all("#coef-chart svg rect.cell")
        values = [float(cell.get_attribute("data-value")) for cell in cells]
        assert len(cells) == 3 * 4, f"heat map has {len(cells)} cells, expected 3 classes × 4 features"
        assert any(value != 0 for value in values), "heat map values are all zero"
        labels = page.find("#coef-chart svg").text
        for name in ("x1", "x4", "setosa", "virginica"):
            assert name in labels, f"heat map lacks the label {name!r}"
        harness.log(f"objective curve: {points} points; heat map: {len(cells)} cells")

        # Predictions: labels and probability bars.
        page.find("#predict-text").send_keys(PREDICT_ROWS)
        page.find("#predict-submit").click()
        page.until(lambda: len(page.find_all("#predictions td.label")) == len(EXPECTED_LABELS), "the predictions table")
        shown = [cell.text for cell in page.find_all("#predictions td.label")]
        assert shown == EXPECTED_LABELS, f"predicted {shown}, expected {EXPECTED_LABELS}"
        assert len(page.find_all("#predictions .prob")) == 3 * len(EXPECTED_LABELS), "a probability bar per class and row"
        assert not page.find("#predict-download").get_attribute("disabled"), "Download CSV stays disabled"
        harness.log(f"predictions shown: {shown}")

        # Keyboard: the model's link in the list takes the focus and opens the model with Enter.
        link = page.find('#models-body tr[aria-selected="true"] a')
        link.send_keys(Keys.ENTER)
        page.until(lambda: page.text("#model-state") == "ready", "the model to stay open after Enter on its link")

        # An alias, when the API has names.
        if names:
            page.find("#alias-name").clear()
            page.find("#alias-name").send_keys("production")
            page.find("#alias-move").click()
            page.until(lambda: "production" in page.text("#model-action-result"), "the alias to move")
            page.until(lambda: "production" in page.text("#models-body"), "the alias in the list")
            harness.log("alias production moved to iris v1")
        else:
            harness.log("alias step SKIPPED: this API has no model names yet (POST /models documents no name parameter)")

        page.screenshot("dashboard-wide")
        driver.set_window_size(420, 900)
        page.until(lambda: driver.execute_script("return document.documentElement.scrollWidth <= window.innerWidth + 1"),
                   "the narrow page to fit its window (no sideways scrolling)", timeout=10)
        page.screenshot("dashboard-narrow")

        errors = console_errors(driver)
        assert not errors, f"console errors: {errors}"
        harness.log("no console errors")
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--binary", default=harness.default_binary())
    parser.add_argument("--screenshots", help="folder for the screenshots (default: a new temporary folder, kept)")
    args = parser.parse_args()
    missing = [what for what, ok in (("selenium (pip install selenium)", importlib.util.find_spec("selenium") is not None),
                                     ("chromium", CHROMIUM is not None), ("chromium-driver", CHROMEDRIVER is not None)) if not ok]
    if missing:
        print(f"dashboard_check: {', '.join(missing)} not installed; the browser test is SKIPPED", file=sys.stderr)
        return 0
    harness.stop_on_signals()
    shots = args.screenshots or tempfile.mkdtemp(prefix="logit-dashboard-shots-")
    os.makedirs(shots, exist_ok=True)
    workdir = harness.make_workdir("logit-dashboard-")
    try:
        with harness.Processes(workdir) as procs:
            _, api_port = harness.start_service(procs, args.binary, workdir)
            try:
                check_http_caching(api_port)
                run_browser(api_port, shots, os.path.abspath(harness.IRIS))
            except AssertionError as failure:
                print(f"dashboard_check: FAILED: {failure}", file=sys.stderr)
                for name in ("api", "worker"):
                    print(f"--- {name} log:\n" + "\n".join(harness.tail(procs.log_path(name), 20)), file=sys.stderr)
                print(f"screenshots: {shots}", file=sys.stderr)
                return 1
    except harness.Interrupted:
        return harness.interrupted()
    except KeyboardInterrupt:
        return harness.interrupted()
    shutil.rmtree(workdir, ignore_errors=True)
    print(f"dashboard_check: passed; screenshots in {shots}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
