"""`gridgov app` in a real browser: headless Chromium, driven by Selenium, on the served page.

The test starts `gridgov app` on a free local port, opens the page, waits for the first KPI
table, moves the grid-worker lever, waits for the new results and checks that the table changed
and that no error reached the page. Without Chromium and ChromeDriver (Debian: `apt-get install
chromium chromium-driver`; `make test` installs them when it runs as root) it is skipped, and the
skip says what is missing. Timings are measured by benchmarks/bench_app.py, not asserted here.
"""

from __future__ import annotations

import pytest

from .app_browser import browser_missing, change_and_wait, chromium, open_page, page_errors, served, set_slider

MISSING = browser_missing()
pytestmark = pytest.mark.skipif(bool(MISSING), reason=f"no browser test: {MISSING}")


def test_moving_a_lever_in_the_browser_changes_the_kpi_table_and_no_error_reaches_the_page():
    with served("en", replications=2) as url:
        driver = chromium()
        try:
            open_page(driver, url, timeout_s=150)
            assert "Grid workers" in driver.page_source and "On-time closure rate" in driver.page_source
            assert "from sim.reporting" not in driver.find_element("tag name", "body").text  # no code shown
            _, before, after = change_and_wait(
                driver, lambda: set_slider(driver, "gridgov-lever-workforce-grid-workers", 60), timeout_s=150)
            assert after != before
            assert "60" in driver.find_element("css selector", ".gridgov-lever-workforce-grid-workers").text
            assert page_errors(driver) == []
        finally:
            driver.quit()
