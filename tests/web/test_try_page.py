"""The Try page of `serve`: its prediction is `predict`'s own (same probabilities, same prepared image),
uploads are limited and never stored, nothing outside the served folder is reached, models are loaded
lazily, kept and reloaded when their file changes; in Chromium, a digit drawn on the canvas is read."""

from __future__ import annotations

import asyncio
import base64
import io
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import warnings
from pathlib import Path

import numpy as np
import pytest
from helpers import chromium, snapshot
from PIL import Image
from starlette.applications import Starlette

import emnist_tuner as et
from emnist_tuner.data.images import read_inputs
from emnist_tuner.inference.predict import prepare
from emnist_tuner.web.try_page import MAX_UPLOAD, Models, try_routes

with warnings.catch_warnings():  # starlette asks for httpx2; its test client works with httpx
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

REPO = Path(__file__).resolve().parent.parent.parent


def _client(root: Path, models: Models | None = None) -> TestClient:
    return TestClient(Starlette(routes=try_routes(root, models)))


def _scan(folder: Path, name: str = "glyph.png", index: int = 0) -> Path:
    """A synthetic test glyph as a user's file: dark ink on white, 96 pixels, off-centre."""
    from emnist_tuner.data.datasets import load_dataset

    glyph = load_dataset("synthetic").x_test[index]
    big = np.asarray(Image.fromarray(glyph).resize((96, 96), Image.Resampling.BICUBIC))
    page = np.zeros((140, 120), np.uint8)
    page[30:126, 10:106] = big
    path = folder / name
    Image.fromarray(255 - page).save(path)
    return path


def _raw(app, method: str, path: str, body: bytes = b"") -> tuple[int, bytes]:
    """``app``'s answer to a request whose path reaches it as written (no client normalises '..' away,
    as one sent with `curl --path-as-is` does)."""
    scope = {
        "type": "http",
        "http_version": "1.1",
        "method": method,
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "scheme": "http",
        "query_string": b"",
        "headers": [(b"host", b"testserver"), (b"content-length", str(len(body)).encode())],
        "client": ("127.0.0.1", 1),
        "server": ("testserver", 80),
    }
    sent: list[dict] = []

    async def receive():
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message):
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    return sent[0]["status"], b"".join(m.get("body", b"") for m in sent[1:])


def test_prediction_is_predicts_own_top_5_and_image(trained_run, tmp_path):
    png = _scan(tmp_path)
    answer = _client(trained_run.parent).post(
        f"/api/predict/{trained_run.name}?name=glyph.png", content=png.read_bytes()
    )
    assert answer.status_code == 200, answer.text
    document = answer.json()
    assert set(document) == {"run", "model", "top", "seen", "note"} and document["run"] == trained_run.name
    assert document["model"].startswith("train ") and "label smoothing 0.1" in document["note"]
    (row,) = et.predict(trained_run, png, top=5)  # the CLI's and API's predict, on the same file
    assert [t["class"] for t in document["top"]] == [t["class"] for t in row["top"]]
    assert len(document["top"]) == 5 and all(t["class"] in [f"g{i}" for i in range(10)] for t in document["top"])
    assert np.allclose([t["probability"] for t in document["top"]], [t["probability"] for t in row["top"]], atol=1e-6)
    assert document["seen"]["height"] == document["seen"]["width"] == 28
    seen = np.asarray(Image.open(io.BytesIO(base64.b64decode(document["seen"]["png"].split(",", 1)[1]))))
    images = read_inputs([png])
    prepare(images, "mnist", "auto")
    assert seen.shape == (28, 28) and np.array_equal(seen, images[0].pixels)


def test_the_model_is_loaded_once_and_again_when_its_file_changes(trained_run, tmp_path):
    root = tmp_path / "root"
    shutil.copytree(trained_run, root / "run")
    png = _scan(tmp_path).read_bytes()
    models = Models()
    client = _client(root, models)
    assert client.get("/try/run").status_code == 200 and not models.loaded(root / "run")  # the page loads nothing
    first = client.post("/api/predict/run", content=png).json()
    model = models.get(root / "run").source.load()
    assert models.loaded(root / "run") and client.post("/api/predict/run", content=png).json() == first
    assert models.get(root / "run").source.load() is model  # kept
    model_file = models.get(root / "run").source.model_file
    later = model_file.stat().st_mtime_ns + 2_000_000_000
    os.utime(model_file, ns=(later, later))  # written again
    assert client.post("/api/predict/run", content=png).json() == first
    assert models.get(root / "run").source.load() is not model


def test_a_large_upload_is_refused_by_its_length_and_by_what_arrives(trained_run):
    client = _client(trained_run.parent)
    url = f"/api/predict/{trained_run.name}"
    too_large = client.post(url, content=b"\0" * (MAX_UPLOAD + 1))
    assert too_large.status_code == 413 and too_large.json() == {
        "error": "the image is larger than 10 MB; send a smaller file"
    }

    def chunks():  # no Content-Length: the body is counted as it arrives
        for _ in range(11):
            yield b"\0" * 2**20

    streamed = client.post(url, content=chunks())
    assert "content-length" not in streamed.request.headers and streamed.status_code == 413
    lying = client.post(url, content=b"\0" * 10, headers={"content-length": str(MAX_UPLOAD + 1)})
    assert lying.status_code == 413


def test_unreadable_and_blank_images_are_400_with_a_message(trained_run):
    client = _client(trained_run.parent)
    url = f"/api/predict/{trained_run.name}"
    garbage = client.post(f"{url}?name=notes.txt", content=b"not an image")
    assert garbage.status_code == 400 and garbage.json()["error"].startswith("notes.txt: not an image that can be read")
    assert "0x" not in garbage.json()["error"]  # no buffer address
    blank = io.BytesIO()
    Image.new("L", (64, 64), 255).save(blank, format="PNG")
    answer = client.post(f"{url}?name=drawing.png", content=blank.getvalue())
    assert answer.status_code == 400 and answer.json() == {"error": "drawing.png: no ink found (a blank image)"}
    empty = client.post(url, content=b"")
    assert empty.status_code == 400 and "no image" in empty.json()["error"]
    huge = io.BytesIO()  # 49 megapixels in a few kB: refused from its header, before decoding
    Image.new("1", (7000, 7000), 1).save(huge, format="PNG")
    answer = client.post(f"{url}?name=huge.png", content=huge.getvalue())
    assert answer.json() == {"error": "huge.png: a 7000x7000 image; images up to 40 megapixels are read"}


def test_nothing_outside_the_served_folder_and_no_unfinished_run(trained_run, tmp_path):
    root = tmp_path / "root"
    shutil.copytree(trained_run, root / "unfinished")
    (root / "unfinished" / "model.keras").unlink()
    (root / "outside").symlink_to(trained_run.parent)  # a link out of the served folder
    app = Starlette(routes=try_routes(root))
    for path in ("/try/../../etc", "/try/..", "/try/outside/train-dense", "/try/nothing"):
        status, body = _raw(app, "GET", path)
        assert status == 404 and b"no run folder" in body, path
    status, body = _raw(app, "POST", "/api/predict/../" + trained_run.parent.name + "/train-dense", b"x")
    assert status == 404 and json.loads(body) == {
        "error": f"no run folder '../{trained_run.parent.name}/train-dense' under the served folder"
    }
    client = _client(root)
    assert client.get("/try/%2e%2e/%2e%2e/etc").status_code == 404
    page = client.get("/try/unfinished")
    why = "the training run did not finish; train it again"
    assert page.status_code == 404 and re.search(rf'<p id="problem" class="problem">[^<]*{why}</p>', page.text)
    assert client.post("/api/predict/unfinished", content=b"x").json()["error"].endswith(why)
    assert _client(trained_run.parent).get(f"/try/{trained_run.name}").status_code == 200  # the same run, served


_RECORDING: list[list] = []  # the writes seen while a test records (an audit hook cannot be removed)
WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC


def _audit(event: str, args: tuple) -> None:
    if event == "open" and _RECORDING:
        path, mode, flags = args
        if (isinstance(mode, str) and any(c in mode for c in "wax+")) or (flags or 0) & WRITE_FLAGS:
            _RECORDING[-1].append(path)


def test_nothing_is_written_anywhere(trained_run, tmp_path, monkeypatch):
    """No file is opened for writing by the process while the page is served, a model loaded and images
    predicted (Python's audit hook sees every open), and the run folder is byte for byte the same."""
    png = _scan(tmp_path).read_bytes()
    before = snapshot(trained_run.parent)
    client = _client(trained_run.parent)
    if not getattr(sys, "_try_page_audit", False):
        sys.addaudithook(_audit)
        sys._try_page_audit = True  # type: ignore[attr-defined]
    writes: list = []
    _RECORDING.append(writes)
    try:
        assert client.get(f"/try/{trained_run.name}").status_code == 200
        assert client.post(f"/api/predict/{trained_run.name}", content=png).status_code == 200
        assert client.post(f"/api/predict/{trained_run.name}", content=png).status_code == 200
        assert client.post(f"/api/predict/{trained_run.name}", content=b"bad").status_code == 400
    finally:
        _RECORDING.remove(writes)
    assert writes == [] and snapshot(trained_run.parent) == before


def test_the_page_is_self_contained_and_imports_no_tensorflow(trained_run):
    """The page and its assets come from the package, and serving them imports neither Keras nor TensorFlow
    (a fresh process: this one has them)."""
    script = (
        "import sys\nfrom pathlib import Path\nfrom starlette.applications import Starlette\n"
        "from starlette.testclient import TestClient\nfrom emnist_tuner.web.try_page import try_routes\n"
        f"client = TestClient(Starlette(routes=try_routes(Path({str(trained_run.parent)!r}))))\n"
        f"page = client.get('/try/{trained_run.name}')\n"
        "assets = [client.get(a) for a in ('/assets/try/try.js', '/assets/try/try.css')]\n"
        "print(page.status_code, [a.status_code for a in assets],"
        " [m for m in ('keras', 'tensorflow') if m in sys.modules])"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONWARNINGS": "ignore"}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120)
    assert done.stdout.strip() == "200 [200, 200] []", done.stderr[-2000:]
    client = _client(trained_run.parent)
    page = client.get(f"/try/{trained_run.name}").text
    linked = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert {"/assets/try/try.css", "/assets/try/try.js"} <= set(linked)  # in the served pages' shell
    assert all(link.startswith("/") or link == "data:," for link in linked), linked  # nothing from outside
    config = json.loads(re.search(r'<script type="application/json" id="try-config">(.*?)</script>', page).group(1))
    assert config["classes"] == [f"g{i}" for i in range(10)] and config["seen"] == [28, 28]
    assert config["predictUrl"] == f"/api/predict/{trained_run.name}" and config["problem"] is None
    for asset, kind in (("try.js", "text/javascript"), ("try.css", "text/css")):
        answer = client.get(f"/assets/try/{asset}")
        assert answer.headers["content-type"].startswith(kind) and "http" not in answer.text  # no outside address
    assert client.get("/assets/try/try.html").status_code == 404  # only the page's own assets


class _Server:
    """The Try page served by uvicorn on a free loopback port, in a thread."""

    def __init__(self, root: Path):
        import uvicorn

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        config = uvicorn.Config(Starlette(routes=try_routes(root)), port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        assert self.server.started
        return f"http://127.0.0.1:{self.port}"

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(10)


def draw(driver, canvas, strokes) -> None:
    """Pointer strokes on ``canvas``: each a polyline in its CSS pixels, pressed, moved and lifted."""
    from selenium.webdriver.common.actions import interaction
    from selenium.webdriver.common.actions.action_builder import ActionBuilder
    from selenium.webdriver.common.actions.pointer_input import PointerInput

    left, top = driver.execute_script("const r = arguments[0].getBoundingClientRect(); return [r.left, r.top];", canvas)
    actions = ActionBuilder(driver, mouse=PointerInput(interaction.POINTER_MOUSE, "mouse"), duration=10)
    for stroke in strokes:
        for i, (x, y) in enumerate(stroke):
            actions.pointer_action.move_to_location(round(left + x), round(top + y))
            if i == 0:
                actions.pointer_action.pointer_down()
        actions.pointer_action.pointer_up()
    actions.perform()


@pytest.mark.slow
def test_chromium_reads_a_digit_drawn_on_the_canvas(trained_run, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    driver = chromium()
    try:
        with _Server(trained_run.parent) as url:
            driver.get(f"{url}/try/{trained_run.name}")
            canvas = driver.find_element(By.ID, "pad")
            # a 7: the bar, then the stem down to the left
            draw(driver, canvas, [[(70, 60), (140, 58), (210, 60)], [(210, 60), (170, 140), (130, 225)]])
            main = driver.find_element(By.ID, "try")
            WebDriverWait(driver, 60).until(lambda d: main.get_attribute("data-state") in ("done", "error"))
            assert main.get_attribute("data-state") == "done", driver.find_element(By.ID, "status").text
            shown = [
                (li.get_attribute("data-class"), li.find_element(By.CLASS_NAME, "p").text)
                for li in driver.find_elements(By.CSS_SELECTOR, "#top li")
            ]
            seen = driver.execute_script("const i = document.getElementById('seen'); return [i.naturalWidth, i.hidden]")
            drawing = driver.execute_script("return document.getElementById('pad').toDataURL('image/png')")
            # an image file chosen instead (the file input; a drop sends the same way)
            shown_so_far = int(main.get_attribute("data-results"))
            driver.find_element(By.ID, "file").send_keys(str(_scan(tmp_path, "chosen.png", index=3)))
            WebDriverWait(driver, 60).until(lambda d: int(main.get_attribute("data-results")) > shown_so_far)
            chosen = driver.find_element(By.CSS_SELECTOR, "#top li").get_attribute("data-class")
    finally:
        driver.quit()
    (tmp_path / "drawing.png").write_bytes(base64.b64decode(drawing.split(",", 1)[1]))
    (row,) = et.predict(trained_run, tmp_path / "drawing.png", top=5)  # the same picture, as a file
    assert [c for c, _ in shown] == [t["class"] for t in row["top"]]
    assert shown[0][1] == f"{100 * row['top'][0]['probability']:.1f} %"
    assert seen == [28, False]
    assert chosen == et.predict(trained_run, tmp_path / "chosen.png", top=1)[0]["top"][0]["class"]
