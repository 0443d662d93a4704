"""The Try page of `serve` on real test digits drawn through the browser: does a character drawn on the
canvas read as well as the same image given to `predict` as a file?

    .venv/bin/python bench/try_page.py runs/quick-mnist [--images 200] [--data-dir DIR] [--screenshot PNG]
    .venv/bin/python bench/try_page.py --tiny           # a 2-epoch synthetic model, 10 images (the test)

1. The first N held-out test images of the run's dataset become pen strokes: the ink (over 40 % of the
   peak) thinned to a one-pixel skeleton (Zhang-Suen), the skeleton traced into polylines (from its ends
   first), scaled from the image's pixels to the canvas (28 px -> 280 CSS px).
2. The Try page, served by uvicorn in this process, in headless Chromium: for each image the canvas is
   cleared, the strokes are drawn with pointer actions (press, moves, lift), and the page's answer (after
   its debounce and the POST) is read: its top class.
3. `predict` (the package's function) on the same N images written as 28x28 PNG files, and as an array
   (.npy, taken as stored). Top-1 accuracy of each; the goal: the page within 2 points of the files.
"""

from __future__ import annotations

import argparse
import socket
import tempfile
import threading
import time
from pathlib import Path

import _common
import numpy as np
from rich.console import Console
from rich.table import Table

CANVAS_CSS = 280  # the page's canvas, in CSS pixels
NEIGHBOURS = [(-1, 0), (0, 1), (1, 0), (0, -1), (-1, -1), (-1, 1), (1, 1), (1, -1)]  # orthogonal first


def thin(ink: np.ndarray) -> np.ndarray:
    """Zhang-Suen thinning of a boolean image: a one-pixel-wide skeleton of the same connectivity."""
    image = np.pad(ink.astype(np.uint8), 1)
    while True:
        changed = False
        for step in (0, 1):
            c = image[1:-1, 1:-1]
            p2, p3, p4, p5 = image[:-2, 1:-1], image[:-2, 2:], image[1:-1, 2:], image[2:, 2:]
            p6, p7, p8, p9 = image[2:, 1:-1], image[2:, :-2], image[1:-1, :-2], image[:-2, :-2]
            ring = [p2, p3, p4, p5, p6, p7, p8, p9, p2]
            count = sum(p.astype(int) for p in ring[:-1])
            crossings = sum(((a == 0) & (b == 1)).astype(int) for a, b in zip(ring, ring[1:]))
            if step == 0:
                side = (p2 * p4 * p6 == 0) & (p4 * p6 * p8 == 0)
            else:
                side = (p2 * p4 * p8 == 0) & (p2 * p6 * p8 == 0)
            remove = (c == 1) & (count >= 2) & (count <= 6) & (crossings == 1) & side
            if remove.any():
                c[remove] = 0
                changed = True
        if not changed:
            return image[1:-1, 1:-1].astype(bool)


def strokes_of(image: np.ndarray, threshold: float = 0.4) -> list[list[tuple[float, float]]]:
    """Pen strokes that draw ``image``'s character: polylines in (x, y) pixel coordinates (centres)."""
    skeleton = thin(image > threshold * image.max())
    points = {(int(r), int(c)) for r, c in zip(*np.nonzero(skeleton))}

    def joined(p, q) -> bool:  # a diagonal step is left out where an orthogonal path joins the two
        if p[0] != q[0] and p[1] != q[1]:
            return (p[0], q[1]) not in points and (q[0], p[1]) not in points
        return True

    edges = {
        p: [q for dr, dc in NEIGHBOURS if (q := (p[0] + dr, p[1] + dc)) in points and joined(p, q)] for p in points
    }
    used: set[frozenset] = set()
    strokes = []
    ends = sorted(p for p in points if len(edges[p]) == 1)
    for start in ends + sorted(points):
        if not edges[start]:
            strokes.append([start])  # a dot
            continue
        while any(frozenset((start, q)) not in used for q in edges[start]):
            path, here = [start], start
            while nxt := [q for q in edges[here] if frozenset((here, q)) not in used]:
                used.add(frozenset((here, nxt[0])))
                path.append(here := nxt[0])
            strokes.append(path)
    return [[(c + 0.5, r + 0.5) for r, c in stroke] for stroke in strokes]


def driver():
    """Headless Chromium through chromedriver (Debian's chromium and chromium-driver)."""
    import shutil

    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium")
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--window-size=1000,720"):
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tempfile.mkdtemp(prefix='bench-chromium-')}")
    return webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)


def serve(root: Path):
    """The Try page over ``root`` on a free loopback port: (base URL, uvicorn server) once it listens."""
    import uvicorn
    from starlette.applications import Starlette

    from emnist_tuner.web.try_page import try_routes

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(Starlette(routes=try_routes(root)), port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    return f"http://127.0.0.1:{port}", server


def read_on_page(browser, url: str, images: np.ndarray, scale: float, screenshot: Path | None) -> list[str | None]:
    """The page's top class for each image drawn on its canvas (None where it answered an error)."""
    from selenium.webdriver.common.actions import interaction
    from selenium.webdriver.common.actions.action_builder import ActionBuilder
    from selenium.webdriver.common.actions.pointer_input import PointerInput
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(url)
    canvas = browser.find_element(By.ID, "pad")
    left, top = browser.execute_script(
        "const r = arguments[0].getBoundingClientRect(); return [r.left, r.top];", canvas
    )
    state = "return document.getElementById('try').dataset.state"
    answers: list[str | None] = []
    for i, image in enumerate(images):
        browser.execute_script("document.getElementById('clear').click()")
        actions = ActionBuilder(browser, mouse=PointerInput(interaction.POINTER_MOUSE, "mouse"), duration=5)
        for stroke in strokes_of(image):
            for j, (x, y) in enumerate(stroke):
                actions.pointer_action.move_to_location(round(left + x * scale), round(top + y * scale))
                if j == 0:
                    actions.pointer_action.pointer_down()
            actions.pointer_action.pointer_up()
        actions.perform()
        WebDriverWait(browser, 120, poll_frequency=0.02).until(lambda b: b.execute_script(state) in ("done", "error"))
        if browser.execute_script(state) == "done":
            answers.append(browser.find_element(By.CSS_SELECTOR, "#top li").get_attribute("data-class"))
        else:
            answers.append(None)
        if screenshot and i == 0:
            browser.save_screenshot(str(screenshot))
    return answers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run", nargs="?", help="a finished search or train run folder")
    parser.add_argument("--images", type=int, default=200)
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--screenshot", type=Path, default=None, help="save the page after the first digit")
    parser.add_argument("--tiny", action="store_true", help="train a 2-epoch synthetic model and use 10 images")
    args = parser.parse_args()

    import emnist_tuner as et
    from emnist_tuner.data.datasets import load_dataset
    from emnist_tuner.inference.source import open_source

    work = Path(tempfile.mkdtemp(prefix="bench-try-page-"))
    if args.tiny or not args.run:
        et.train("dense", "synthetic", work / "runs" / "run", epochs=2, console=Console(quiet=True))
        run, n = work / "runs" / "run", min(args.images, 10)
    else:
        run, n = Path(args.run).resolve(), args.images
    source = open_source(run)
    data = load_dataset(source.dataset, data_dir=args.data_dir or _common.default_data_dir())
    x, y = data.x_test[:n], data.y_test[:n]
    truth = np.array(source.class_names)[y]
    from PIL import Image

    (work / "files").mkdir()
    for i, image in enumerate(x):
        Image.fromarray(image).save(work / "files" / f"{i:05d}.png")
    np.save(work / "arrays.npy", x)
    files = [r.get("top", [{}])[0].get("class") for r in et.predict(run, work / "files", top=1)]
    arrays = [r.get("top", [{}])[0].get("class") for r in et.predict(run, work / "arrays.npy", top=1)]

    url, server = serve(run.parent)
    browser = driver()
    try:
        started = time.perf_counter()
        page = read_on_page(browser, f"{url}/try/{run.name}", x, CANVAS_CSS / x.shape[2], args.screenshot)
        seconds = time.perf_counter() - started
    finally:
        browser.quit()
        server.should_exit = True
    accuracy = {name: float(np.mean(np.array(rows) == truth)) for name, rows in (("files", files), ("arrays", arrays))}
    accuracy["page"] = float(np.mean([a == t for a, t in zip(page, truth)]))
    agree = float(np.mean([a == f for a, f in zip(page, files)]))

    table = Table(
        title=f"Try page: {source.label}, the first {n:,} {source.dataset} test images drawn on the canvas",
        title_justify="left",
    )
    for column in ("input", "top-1 accuracy", "agrees with files"):
        table.add_column(column, justify="right" if column != "input" else "left")
    table.add_row("arrays (.npy, as stored)", f"{100 * accuracy['arrays']:.2f} %", "")
    table.add_row("28x28 PNG files (predict)", f"{100 * accuracy['files']:.2f} %", "")
    table.add_row("drawn on the Try page (Chromium)", f"{100 * accuracy['page']:.2f} %", f"{100 * agree:.2f} %")
    errors = sum(a is None for a in page)
    table.caption = (
        f"{seconds / n:.2f} s per drawn image (clear, strokes, debounce, POST, answer); "
        f"{errors} answered an error; {_common.machine()}"
    )
    Console().print(table)
    print(f"difference {100 * (accuracy['files'] - accuracy['page']):.2f}")


if __name__ == "__main__":
    main()
