"""Driving `gridgov app` in headless Chromium (Selenium): start the server, open the page, move a lever, wait.

Shared by the browser test (tests/test_app_browser.py) and the measurement script
(benchmarks/bench_app.py). Debian's chromium and chromium-driver are used where they are
installed (`/usr/bin/chromium`, `/usr/bin/chromedriver`); `browser_missing()` says why not.
"""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = ("chromium", "chromium-browser")
DRIVER = "chromedriver"


def browser_missing() -> str:
    """'' when Selenium, Chromium and ChromeDriver are all there; else what is missing and how to install it."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install 'gridgov[test]')"
    browser = next((shutil.which(name) for name in CHROMIUM if shutil.which(name)), None)
    driver = shutil.which(DRIVER)
    if not browser or not driver:
        return ("Chromium and ChromeDriver are not installed: as root, apt-get install -y chromium chromium-driver "
                "(Debian)")
    for program in (browser, driver):  # an install cut short can leave a program that does not start
        try:
            subprocess.run([program, "--version"], capture_output=True, timeout=30, check=True)
        except (OSError, subprocess.SubprocessError) as error:
            return f"{program} --version failed ({error}): reinstall chromium and chromium-driver"
    return ""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def served(language: str = "en", port: int | None = None, timeout_s: float = 120, replications: int = 4):
    """`gridgov app` running on a free port until the block ends; yields its URL."""
    port = port or free_port()
    log = open(os.devnull, "w")
    process = subprocess.Popen([sys.executable, "-m", "sim", "app", "--port", str(port), "--language", language,
                                "--replications", str(replications)],
                               cwd=ROOT, stdout=log, stderr=log, start_new_session=True)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"gridgov app ended with status {process.returncode} before serving")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                time.sleep(0.3)
        else:
            raise TimeoutError(f"gridgov app did not listen on port {port} within {timeout_s} s")
        yield url
    finally:
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=20)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(process.pid, signal.SIGKILL)
        log.close()


def chromium(width: int = 1400, height: int = 1800):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = next(shutil.which(n) for n in CHROMIUM if shutil.which(n))
    # On a machine whose network reaches only package registries, Chromium's own connections (updates,
    # sync, field trials) fail at every start: the background-networking flags leave them out.
    profile = tempfile.mkdtemp(prefix="gridgov-chromium-")
    atexit.register(shutil.rmtree, profile, ignore_errors=True)
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     "--disable-quic", "--no-first-run", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", f"--user-data-dir={profile}",
                     f"--window-size={width},{height}"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(shutil.which(DRIVER)), options=options)
    driver.set_page_load_timeout(120)
    driver.set_script_timeout(60)
    return driver


def wait_until(condition, timeout_s: float, what: str, poll_s: float = 0.1):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(poll_s)
    raise TimeoutError(f"{what} did not happen within {timeout_s} s")


def table_text(driver) -> str:
    from selenium.webdriver.common.by import By

    tables = driver.find_elements(By.CSS_SELECTOR, ".gridgov-kpis table")
    return tables[0].text if tables else ""


def done(driver) -> bool:
    """The latest settings' results, charts included, are on the page."""
    from selenium.webdriver.common.by import By

    return bool(driver.find_elements(By.CSS_SELECTOR, ".gridgov-status.gridgov-done")) and bool(table_text(driver))


def page_errors(driver) -> list[str]:
    """Errors that reached the page: a Python traceback or error output, the explorer's error line, a failed widget."""
    from selenium.webdriver.common.by import By

    found = []
    for selector in (".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']",
                     ".jp-RenderedText[data-mime-type='application/vnd.jupyter.stderr']", ".gridgov-error",
                     ".jp-OutputArea-output .ansi-red-fg"):
        found += [e.text for e in driver.find_elements(By.CSS_SELECTOR, selector) if e.text.strip()]
    body = driver.find_element(By.TAG_NAME, "body").text
    for marker in ("Traceback", "Error displaying widget", "Kernel error", "There was an error"):
        if marker in body:
            found.append(marker)
    return found


def open_page(driver, url: str, timeout_s: float = 120) -> float:
    """Open the page and wait for the first results; seconds from the request to the KPI table and charts."""
    start = time.perf_counter()
    driver.get(url)
    wait_until(lambda: done(driver), timeout_s, "the first results")
    return time.perf_counter() - start


def set_slider(driver, lever_class: str, value: int) -> None:
    """Type a value into a slider's readout (what a reader does to set an exact head count)."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    readout = driver.find_element(By.CSS_SELECTOR, f".{lever_class} .widget-readout")
    readout.click()
    readout.send_keys(Keys.CONTROL, "a")
    readout.send_keys(str(value), Keys.ENTER)


def choose(driver, css: str, index: int) -> None:
    """Pick an option of a dropdown by its index."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    Select(driver.find_element(By.CSS_SELECTOR, f"{css} select")).select_by_index(index)


def change_and_wait(driver, change, timeout_s: float = 120) -> tuple[float, str, str]:
    """Make a change; wait until new results are shown; (seconds, table before, table after)."""
    before = table_text(driver)
    start = time.perf_counter()
    change()
    wait_until(lambda: not done(driver), 10, "the page to mark its results stale", poll_s=0.02)
    wait_until(lambda: done(driver), timeout_s, "the results of the change")
    return time.perf_counter() - start, before, table_text(driver)
