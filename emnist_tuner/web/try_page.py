"""The Try page of `serve`: draw a character (or drop an image file) and see a run's final model read it.

``GET /try/RUN`` is the page, ``POST /api/predict/RUN`` (the image file's bytes as the body) its top 5
classes as JSON with the image the model saw. RUN is a run folder relative to the served root; nothing
outside the root is reached. The prediction is `predict`'s own (``inference.predict.predict_images``: the
same model source, preprocessing and inference), on bytes decoded in memory: nothing is written to disk.
Models are loaded on the first prediction of their run (TensorFlow is imported only then), kept, and
loaded again when their file changes.
"""

from __future__ import annotations

import base64
import html
import io
import json
import threading
from dataclasses import dataclass, field
from pathlib import Path

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from ..data.images import read_image_bytes
from ..errors import ConfigError, DataError, RunError
from ..inference.predict import predict_images, smoothing_note
from ..inference.source import ModelSource, open_source
from ..quiet import import_keras_quietly
from .shell import page

MAX_UPLOAD = 10 * 1024 * 1024  # bytes of one uploaded image
MAX_PIXELS = 40_000_000  # pixels of one uploaded image (its header says, before decoding)
TOP = 5
STATIC = Path(__file__).resolve().parent / "static" / "try"
ASSETS = {"try.js": "text/javascript", "try.css": "text/css"}


class Refused(Exception):
    """A request the Try page answers with ``status`` and a one-line ``message`` (shown on the page)."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def run_folder(root: Path, run: str) -> Path:
    """The folder ``run`` under ``root`` (resolved, links followed); Refused (404) for anything outside
    ``root`` or not a folder."""
    base = root.resolve()
    folder = (base / run).resolve()
    if not folder.is_relative_to(base) or not folder.is_dir():
        raise Refused(404, f"no run folder '{run}' under the served folder")
    return folder


def final_model(folder: Path) -> ModelSource:
    """The final model (or ensemble) of the run in ``folder``, as `predict` opens it (reads only the
    run's small files); Refused (404) with `predict`'s own one-line reason when it has none."""
    try:
        source = open_source(folder)
    except (RunError, ConfigError, DataError) as exc:
        raise Refused(404, str(exc)) from None
    # the page names the run as the served folder does, not by the server's absolute path
    source.label = source.label.replace(str(folder), folder.name)
    return source


def _signature(path: Path) -> tuple[int, int, int]:
    try:
        stat = path.stat()
    except OSError:
        raise Refused(404, f"{path} is missing: the run's final model was removed") from None
    return stat.st_mtime_ns, stat.st_size, stat.st_ino


@dataclass
class _Loaded:
    source: ModelSource  # holds the Keras model once it has been loaded
    signature: tuple[int, int, int]
    lock: threading.Lock = field(default_factory=threading.Lock)


class Models:
    """The final model of each run, loaded on its first prediction and kept; a model file that changed
    since (written again, or the run's deliverable became its ensemble) is loaded again."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._runs: dict[Path, _Loaded] = {}

    def get(self, folder: Path) -> _Loaded:
        """The run's entry: the cached one while its model file is unchanged, else a fresh (unloaded) one."""
        source = final_model(folder)
        signature = _signature(source.model_file)
        with self._lock:
            entry = self._runs.get(folder)
            if entry is None or entry.source.model_file != source.model_file or entry.signature != signature:
                entry = self._runs[folder] = _Loaded(source, signature)
            return entry

    def loaded(self, folder: Path) -> bool:
        """Whether the run's model is in memory (for tests and the page's status)."""
        entry = self._runs.get(folder)
        return entry is not None and entry.source._model is not None


def _png(pixels) -> str:
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def prediction(entry: _Loaded, data: bytes, name: str) -> dict:
    """`predict` on one image file's bytes: the top classes, and the image the model saw (as a PNG data
    URL); Refused (400) for an image that cannot be read or prepared, (500) for a model that cannot load."""
    image = read_image_bytes(data, name, MAX_PIXELS)
    if image.error:
        raise Refused(400, image.error)
    source = entry.source
    with entry.lock:  # one load per run, one inference at a time per model
        import_keras_quietly()
        try:
            (row,) = predict_images(source, [image], top=min(TOP, len(source.class_names)))
        except DataError as exc:  # the model file cannot be loaded
            raise Refused(500, str(exc)) from None
    if "error" in row:
        raise Refused(400, row["error"])
    assert image.pixels is not None  # prepared in place: what the model read
    height, width = image.pixels.shape
    return {
        "model": source.label,
        "top": row["top"],
        "seen": {"png": _png(image.pixels), "height": height, "width": width},
        "note": smoothing_note(source),
    }


async def _body(request: Request) -> bytes:
    """The request body, refused (413) past MAX_UPLOAD by its Content-Length or by what arrives."""
    too_large = Refused(413, f"the image is larger than {MAX_UPLOAD // 2**20} MB; send a smaller file")
    length = request.headers.get("content-length")
    if length is not None and (not length.isdigit() or int(length) > MAX_UPLOAD):
        raise too_large
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_UPLOAD:
            raise too_large
    if not body:
        raise Refused(400, "no image in the request: send the image file's bytes as its body")
    return bytes(body)


def _page(root: Path, run: str, source: ModelSource | None, problem: str | None) -> str:
    template = (STATIC / "try.html").read_text()
    config = {"run": run, "predictUrl": f"/api/predict/{run}", "maxBytes": MAX_UPLOAD, "problem": problem}
    if source is not None:
        height, width = source.input_shape
        config |= {"classes": source.class_names, "seen": [height, width], "dataset": source.dataset}
        accuracy = f"{100 * source.test_accuracy:.2f} %" if source.test_accuracy is not None else "not measured"
        about = f"{source.label}; {source.dataset}, test accuracy {accuracy}; the model reads {height}x{width} images"
    else:
        about = "no model to try"
    title = f"Try {run or root.name}"
    body = (
        template.replace("{{title}}", html.escape(title))
        .replace("{{about}}", html.escape(about))
        .replace("{{problem}}", html.escape(problem or ""))
        .replace("{{config}}", json.dumps(config).replace("</", "<\\/"))
    )
    return page(title, body, scripts=("/assets/try/try.js",), styles=("/assets/try/try.css",))


def try_routes(root: Path, models: Models | None = None) -> list[Route]:
    """The Try page's routes over the run folders under ``root``: the page, its prediction, its assets;
    ``models``: the cache of loaded models (a new one by default)."""
    root = Path(root)
    models = models if models is not None else Models()

    async def page(request: Request) -> Response:
        run = request.path_params["run"].strip("/")
        try:
            source = final_model(run_folder(root, run))
        except Refused as refused:
            return HTMLResponse(_page(root, run, None, str(refused)), status_code=refused.status)
        return HTMLResponse(_page(root, run, source, None))

    async def predict(request: Request) -> Response:
        run = request.path_params["run"].strip("/")
        try:
            entry = models.get(run_folder(root, run))
            data = await _body(request)
            name = request.query_params.get("name", "the image")[:100] or "the image"
            return JSONResponse({"run": run, **await run_in_threadpool(prediction, entry, data, name)})
        except Refused as refused:
            return JSONResponse({"error": str(refused)}, status_code=refused.status)

    async def asset(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in ASSETS:
            return Response("not found", status_code=404, media_type="text/plain")
        return FileResponse(STATIC / name, media_type=ASSETS[name])

    return [
        Route("/try/{run:path}", page, methods=["GET"]),
        Route("/api/predict/{run:path}", predict, methods=["POST"]),
        Route("/assets/try/{name}", asset, methods=["GET"]),
    ]
