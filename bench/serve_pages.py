"""`emnist-tuner serve`: how fast a run page answers, how much memory the server holds, and (with
``--browser``) first paint and figures in Chromium and the delay from a trial's end to its point on the page.

    .venv/bin/python bench/serve_pages.py [RUN] [--trials 100] [--repeats 5] [--browser]
    .venv/bin/python bench/serve_pages.py --tiny     # 23 trials written by hand, 2 repeats, no browser
    .venv/bin/python bench/serve_pages.py --search   # only: a real tiny search (synthetic) watched live

RUN (a search folder) is copied into a scratch folder first (the live measurement adds trials to the
copy); without RUN a finished search of ``--trials`` trials is written by hand on the synthetic dataset.
The server is the real command (`emnist-tuner serve` in a subprocess); times are seen by a client on
the same machine (loopback), so they include HTTP but no network.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import _common
from plot import tiny_run
from rich.console import Console
from rich.table import Table


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fetch(url: str) -> tuple[float, int]:
    started = time.perf_counter()
    with urllib.request.urlopen(url, timeout=60) as answer:
        size = len(answer.read())
    return time.perf_counter() - started, size


def rss_mib(pid: int) -> tuple[float, bool]:
    """The server's resident memory (MiB) and whether TensorFlow's library is mapped into it."""
    status = Path(f"/proc/{pid}/status").read_text()
    rss = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")) / 1024
    return rss, "tensorflow" in Path(f"/proc/{pid}/maps").read_text()


def start(root: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "emnist_tuner.cli", "serve", str(root), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        cwd=_common.REPO,
        env={**os.environ, "PYTHONPATH": str(_common.REPO)},
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            fetch(base + "/api/runs")
            return proc, base
        except OSError:
            if proc.poll() is not None:
                raise SystemExit(proc.stderr.read() if proc.stderr else "the server stopped") from None
            time.sleep(0.05)
    raise SystemExit("the server did not answer within 30 s")


def browser_figures(base: str, name: str, run: Path, next_id: int) -> dict:
    """First paint, the six figures drawn (ms after navigation start), and seconds from a trial's files
    being written to its row on the open page (no reload)."""
    sys.path.insert(0, str(_common.REPO / "tests" / "web"))
    sys.path.insert(0, str(_common.REPO / "tests"))
    from serve_runs import add_trial
    from test_browser import chromium, wait_for

    drawn = (
        "return ['history','curves','parallel','contour','importance','pareto'].every("
        "k => document.querySelector('#fig-' + k + ' svg.main-svg')) && performance.now()"
    )
    driver = chromium()
    try:
        driver.get(f"{base}/run/{name}")
        done = wait_for(driver, drawn, 60)
        paint = driver.execute_script(
            "return Object.fromEntries(performance.getEntriesByType('paint').map(e => [e.name, e.startTime]))"
        )
        driver.get(f"{base}/run/{name}")  # again: plotly.min.js from the browser's cache
        again = wait_for(driver, drawn, 60)
        written = time.monotonic()
        trial_id = add_trial(run, next_id)
        wait_for(driver, f"return document.querySelector('#leaderboard tr[data-trial=\"{trial_id}\"]')", 30)
        live = time.monotonic() - written
    finally:
        driver.quit()
    return {
        "first_paint_ms": paint.get("first-contentful-paint"),
        "figures_ms": done,
        "again_ms": again,
        "live_s": live,
    }


def live_search(scratch: Path) -> list[float]:
    """Seconds from each completed trial's end (its RUN/timings "ended") to its completed row on a run page
    open in Chromium, for a real search (synthetic, max_epochs 3, factor 3) served as it runs."""
    sys.path.insert(0, str(_common.REPO / "tests" / "web"))
    sys.path.insert(0, str(_common.REPO / "tests"))
    from test_browser import chromium, served, wait_for

    run = scratch / "runs" / "live"
    search = subprocess.Popen(
        [sys.executable, "-m", "emnist_tuner.cli", "search", "--dataset", "synthetic", "--max-epochs", "3"]
        + ["--factor", "3", "--run-dir", str(run), "--no-tensorboard"],
        env={**os.environ, "PYTHONPATH": str(_common.REPO)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    while not (run / "config.json").exists() and search.poll() is None:
        time.sleep(0.1)
    driver = chromium()
    try:
        with served(run.parent) as base:
            driver.get(f"{base}/run/live")
            wait_for(driver, "return document.getElementById('progress').textContent.includes('updated')", 60)
            driver.execute_script(
                "window.seen = {}; setInterval(() => { for (const tr of document.querySelectorAll("
                "'#leaderboard tbody tr')) { if (tr.children[2].textContent === 'completed' && !(tr.dataset.trial "
                "in window.seen)) window.seen[tr.dataset.trial] = Date.now() / 1000; } }, 50);"
            )
            search.wait(1800)
            time.sleep(3)
            seen = driver.execute_script("return window.seen")
    finally:
        driver.quit()
    ended = [json.loads(f.read_text()) for f in sorted((run / "timings").glob("*.json"))]
    return [seen[t["trial_id"]] - t["ended"] for t in ended if t["status"] == "COMPLETED" and t["trial_id"] in seen]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run", nargs="?", type=Path)
    parser.add_argument("--tiny", action="store_true")
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--browser", action="store_true", help="also measure in headless Chromium (selenium)")
    parser.add_argument("--search", action="store_true", help="only: a real tiny search watched live in Chromium")
    args = parser.parse_args()
    if args.search:
        with tempfile.TemporaryDirectory() as scratch:
            delays = live_search(Path(scratch))
        print(f"{_common.machine()}; a real search (synthetic, max_epochs 3, factor 3): {len(delays)} trials")
        print("seconds from a trial's end to its row on the open page: " + " ".join(f"{d:.1f}" for d in delays))
        print(f"live max {max(delays):.1f} s, mean {sum(delays) / len(delays):.1f} s")
        return
    trials, repeats = (23, 2) if args.tiny else (args.trials, max(2, args.repeats))
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch) / "runs"
        if args.run:
            run = Path(shutil.copytree(args.run, root / args.run.resolve().name))
        else:
            run = tiny_run(root / "bench", trials)
            (run / "final.json").write_text(json.dumps({"trial_id": "0002", "test_accuracy": 0.9, "epochs": 9}))
        name = run.name
        count = len(list((run / "tuner").glob("trial_*")))
        proc, base = start(root)
        try:
            rows = []
            for label, path in (
                ("runs page (HTML)", "/"),
                ("runs data (JSON)", "/api/runs"),
                ("run page (HTML)", f"/run/{name}"),
                ("run data (JSON)", f"/api/run/{name}"),
                ("plotly.min.js", "/static/plotly.min.js"),
            ):
                first, size = fetch(base + path)
                rest = [fetch(base + path)[0] for _ in range(repeats - 1)]
                rows.append((label, size, first, _common.median(rest)))
            rss, tensorflow = rss_mib(proc.pid)
            seen = browser_figures(base, name, run, count) if args.browser else None
            rss_after, tensorflow_after = rss_mib(proc.pid)
        finally:
            proc.terminate()
            proc.wait(30)
    console = Console()
    console.print(f"{_common.machine()}; run {args.run or 'written by hand (synthetic)'}: {count} trials")
    table = Table(title="Answers seen by a client on the same machine")
    for column in ("request", "bytes", "first (ms)", f"median of {repeats - 1} more (ms)"):
        table.add_column(column, justify="left" if column == "request" else "right")
    for label, size, first, median in rows:
        table.add_row(label, f"{size:,}", f"{1000 * first:.0f}", f"{1000 * median:.0f}")
    console.print(table)
    if seen:
        console.print(
            f"Chromium: first contentful paint {seen['first_paint_ms']:.0f} ms, all six figures drawn "
            f"{seen['figures_ms']:.0f} ms after navigation ({seen['again_ms']:.0f} ms when loaded again, plotly.js "
            f"cached); a new trial on the open page {seen['live_s']:.1f} s after its files were written"
        )
    console.print(f"server RSS {rss:.0f} MiB after the requests, {rss_after:.0f} MiB at the end")
    console.print(f"tensorflow loaded: {'yes' if tensorflow or tensorflow_after else 'no'}")
    console.print(f"rss_mib {max(rss, rss_after):.0f}")


if __name__ == "__main__":
    main()
