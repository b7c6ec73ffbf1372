"""gridgov app in headless Chromium: time to first render and per lever change, screenshots in en and zh.

    .venv/bin/python -m benchmarks.bench_app [--out DIR] [--changes N]

Prints, per language: seconds from opening the page to the first KPI table and charts, and from
each lever change to the new results (median and range over the changes); a change's time is
also given as a ratio to the first render's. Screenshots: DIR/app_<language>_first.png,
DIR/app_<language>_pinned.png (after pinning and moving a lever), DIR/app_<language>_stale.png
(just after a change, results greyed). Needs Debian's chromium and chromium-driver.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from tests.app_browser import (
    browser_missing,
    change_and_wait,
    choose,
    chromium,
    done,
    open_page,
    page_errors,
    served,
    set_slider,
    wait_until,
)

GRID_WORKERS = "gridgov-lever-workforce-grid-workers"
QUEUE = ".gridgov-lever-dispatch-queue-discipline"


def measure(language: str, out: Path, changes: int) -> dict:
    from selenium.webdriver.common.by import By

    with served(language) as url:
        driver = chromium()
        try:
            first = open_page(driver, url)
            driver.save_screenshot(str(out / f"app_{language}_first.png"))
            driver.find_element(By.CSS_SELECTOR, ".gridgov-explorer button").click()  # pin this run
            wait_until(lambda: "[" in driver.find_element(By.CSS_SELECTOR, ".gridgov-kpis").text
                       and len(driver.find_elements(By.CSS_SELECTOR, ".gridgov-kpis th")) == 5, 60, "the pinned table")
            times = []
            for i in range(changes):
                value = 60 + 25 * i
                seconds, _, _ = change_and_wait(driver, lambda v=value: set_slider(driver, GRID_WORKERS, v))
                times.append(seconds)
            # a quick double change: the first is debounced away or cancelled
            start = time.perf_counter()
            choose(driver, QUEUE, 2)
            time.sleep(0.15)
            driver.save_screenshot(str(out / f"app_{language}_stale.png"))
            choose(driver, QUEUE, 1)
            wait_until(lambda: not done(driver), 10, "stale", poll_s=0.02)
            wait_until(lambda: done(driver), 120, "results of the double change")
            double = time.perf_counter() - start
            driver.save_screenshot(str(out / f"app_{language}_pinned.png"))
            errors = page_errors(driver)
        finally:
            driver.quit()
    return {"first": first, "changes": times, "double": double, "errors": errors}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("outputs/bench_app"))
    parser.add_argument("--changes", type=int, default=3)
    parser.add_argument("--language", choices=["en", "zh"], action="append")
    args = parser.parse_args()
    missing = browser_missing()
    if missing:
        raise SystemExit(missing)
    args.out.mkdir(parents=True, exist_ok=True)
    for language in args.language or ["en", "zh"]:
        r = measure(language, args.out, args.changes)
        median = statistics.median(r["changes"])
        print(f"{language}: first render {r['first']:.1f} s; lever change median {median:.1f} s "
              f"(range {min(r['changes']):.1f}-{max(r['changes']):.1f} s over {len(r['changes'])}), "
              f"{median / r['first']:.2f} x the first render; two quick changes {r['double']:.1f} s; "
              f"errors on the page: {r['errors'] or 'none'}")
    print(f"screenshots in {args.out}/")


if __name__ == "__main__":
    main()
