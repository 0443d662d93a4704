"""The served pages as a person sees them, in headless Chromium: the runs page, a run page whose plotly
figures render, a hover that names its trial, a click that opens it, the compare page; and a run page
that shows a new trial without a reload."""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager

import pytest
from helpers import chromium as shared_chromium
from serve_runs import add_trial, write_runs, write_search

pytestmark = pytest.mark.slow
FIGURES = ("history", "curves", "parallel", "contour", "importance", "pareto")


def chromium():
    """The shared headless Chromium (tests/helpers.py) with a window wide enough for the run page."""
    return shared_chromium(size=(1400, 1000))


@contextmanager
def served(root):
    """The app over ``root`` on a free loopback port, in a thread: yields its base URL."""
    import uvicorn

    from emnist_tuner.web.app import make_app
    from emnist_tuner.web.server import bind

    sock = bind("127.0.0.1", 0)
    server = uvicorn.Server(uvicorn.Config(make_app(root), log_level="warning", access_log=False, lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


def wait_for(driver, script: str, seconds: float = 20.0, *args):
    """The first truthy value of ``script`` (JavaScript returning a value) within ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = driver.execute_script(script, *args)
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"not within {seconds} s: {script}")


def test_the_pages_render_a_hover_names_its_trial_and_a_click_opens_it(tmp_path):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    root = write_runs(tmp_path / "runs")
    driver = chromium()
    try:
        with served(root) as base:
            driver.get(base + "/")
            rows = wait_for(
                driver,
                "return document.querySelectorAll('#runs tbody tr').length === 3 && "
                "Array.from(document.querySelectorAll('#runs tbody tr')).map(r => [r.dataset.run, r.className])",
            )
            assert rows == [["big", ""], ["broken", "damaged"], ["small", ""]]
            driver.find_element(By.LINK_TEXT, "big").click()
            for name in FIGURES:  # plotly drew each figure as SVG
                wait_for(driver, f"return document.querySelector('#fig-{name} svg.main-svg')")
            assert len(driver.find_elements(By.CSS_SELECTOR, "#leaderboard tbody tr")) == 12
            points = driver.find_elements(By.CSS_SELECTOR, "#fig-history .scatterlayer .trace:first-child path.point")
            assert len(points) == 12
            ActionChains(driver).move_to_element(points[4]).perform()
            label = wait_for(
                driver,
                "const h = document.querySelector('#fig-history .hoverlayer .hovertext');return h && h.textContent",
            )
            trial = label.split("val acc")[0].removeprefix("trial ").strip()
            assert trial in {f"{i:04d}" for i in range(12)} and "activation: " in label, label
            ActionChains(driver).click(points[4]).perform()
            title = wait_for(driver, "const t = document.getElementById('trial-title'); return t && t.textContent")
            assert title.startswith(f"Trial {trial}")
            wait_for(driver, "return document.querySelector('#fig-trial svg.main-svg')")
            driver.get(base + "/compare?run=big&run=small")
            wait_for(driver, "return document.querySelector('#fig-compare svg.main-svg')")
            assert len(driver.find_elements(By.CSS_SELECTOR, "#compare tbody tr")) >= 7
    finally:
        driver.quit()


def test_a_new_trial_appears_without_a_reload(tmp_path):
    run = write_search(tmp_path / "runs" / "live", 3, final=None, scheduled=9)
    driver = chromium()
    try:
        with served(tmp_path / "runs") as base:
            driver.get(base + "/run/live")
            wait_for(driver, "return document.querySelectorAll('#leaderboard tbody tr').length === 3")
            driver.execute_script("window.notReloaded = true")
            add_trial(run, 3)
            written = time.monotonic()
            wait_for(driver, "return document.querySelector('#leaderboard tr[data-trial=\"0003\"]')", 5.0)
            delay = time.monotonic() - written
            count = "document.querySelectorAll('#fig-history .scatterlayer .trace:first-child path.point').length"
            wait_for(driver, f"return {count} === 4", 2.0)
            assert driver.execute_script("return window.notReloaded") is True
            assert delay <= 5.0
            assert "trials 4/9" in driver.find_element("id", "progress").text
    finally:
        driver.quit()
