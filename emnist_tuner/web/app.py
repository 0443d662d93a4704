"""The Starlette app: the pages, their JSON endpoints and the page assets, every route read-only (GET).

    GET /                              the runs page          GET /api/runs             its data
    GET /run/{run}                     a run's page           GET /api/run/{run}        its data (?since=VERSION:
                                                                                        {"unchanged": true} when so)
    GET /api/run/{run}/trial/{trial}   one trial's details
    GET /compare?run=A&run=B           runs side by side      GET /api/compare?run=A&run=B  its data
    GET /static/...                    our CSS and scripts, and plotly.min.js from the installed plotly package
    /try/{run}, /api/predict/{run}     the Try page (``try_page.try_routes``)

``{run}`` is the name of a run folder under the served folder (the folder itself when it is a run): a URL
can only name a run found there, never another path.
"""

from __future__ import annotations

import html
import importlib.util
from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ..errors import EmnistTunerError
from . import pages
from .run_data import run_view, trial_view
from .runs_data import compare_view, find_run_folders, runs_view
from .shell import page
from .try_page import try_routes

STATIC = Path(__file__).resolve().parent / "static"
NO_STORE = {"Cache-Control": "no-store"}
# what a run whose files cannot be read raises: shown on its page, never a failure of the whole app
UNREADABLE = (EmnistTunerError, OSError, ValueError, TypeError, KeyError, IndexError, AttributeError)


def why(exc: Exception) -> str:
    """What went wrong reading a run: our errors say it in a line; any other names its type."""
    return str(exc) if isinstance(exc, EmnistTunerError) else f"{type(exc).__name__}: {exc}"


def plotly_js() -> Path:
    """plotly.js as the installed plotly Python package bundles it (served, so pages work offline); found
    without importing plotly's Python modules."""
    spec = importlib.util.find_spec("plotly")
    assert spec is not None and spec.origin is not None, "the serve extra's plotly is checked before the app starts"
    return Path(spec.origin).resolve().parent / "package_data" / "plotly.min.js"


def make_app(root: Path | str, allowed_hosts: list[str] | None = None) -> Starlette:
    """The app over the run folders under ``root`` (read-only). ``allowed_hosts``: the only Host headers
    answered (others get 400), so a web page elsewhere cannot read the runs through a DNS name rebound
    to this machine; None answers any."""
    root = Path(root)

    def folder_of(request: Request) -> Path | None:
        return find_run_folders(root).get(request.path_params["run"])

    def not_found(what: str, api: bool) -> Response:
        if api:
            return JSONResponse({"error": what}, status_code=404, headers=NO_STORE)
        body = f'<h1>Not found</h1><p>{html.escape(what)}</p><p><a href="/">all runs</a></p>'
        return HTMLResponse(page("Not found", body), status_code=404)

    def unknown_run(request: Request, api: bool = False) -> Response:
        return not_found(f"no run {request.path_params['run']!r} in {root}", api)

    async def runs_html(request: Request) -> Response:
        return HTMLResponse(pages.runs_page(str(root)))

    async def runs_json(request: Request) -> Response:
        return JSONResponse(runs_view(root), headers=NO_STORE)

    async def run_html(request: Request) -> Response:
        if folder_of(request) is None:
            return unknown_run(request)
        name = request.path_params["run"]
        return HTMLResponse(pages.run_page(name, f"/try/{name}"))

    async def run_json(request: Request) -> Response:
        folder = folder_of(request)
        if folder is None:
            return unknown_run(request, api=True)
        try:
            view = run_view(folder)
        except UNREADABLE as exc:
            return JSONResponse({"error": why(exc), "damaged": True}, headers=NO_STORE)
        if request.query_params.get("since") == view["version"]:
            return JSONResponse({"version": view["version"], "unchanged": True}, headers=NO_STORE)
        return JSONResponse(view, headers=NO_STORE)

    async def trial_json(request: Request) -> Response:
        folder = folder_of(request)
        if folder is None:
            return unknown_run(request, api=True)
        trial = request.path_params["trial"]
        try:
            detail = trial_view(folder, trial)
        except UNREADABLE as exc:
            return JSONResponse({"error": why(exc)}, headers=NO_STORE)
        if detail is None:
            return not_found(f"no trial {trial!r} in run {request.path_params['run']!r}", api=True)
        return JSONResponse(detail, headers=NO_STORE)

    def chosen(request: Request) -> tuple[list[str], list[str]]:
        names = list(dict.fromkeys(request.query_params.getlist("run")))
        return names, list(find_run_folders(root))

    async def compare_html(request: Request) -> Response:
        names, known = chosen(request)
        return HTMLResponse(pages.compare_page([n for n in names if n in known], known))

    async def compare_json(request: Request) -> Response:
        names, known = chosen(request)
        unknown = [n for n in names if n not in known]
        if unknown:
            return not_found(f"no run {unknown[0]!r} in {root}", api=True)
        if len(names) < 2:
            return JSONResponse({"error": "pick two or more runs to compare"}, status_code=400, headers=NO_STORE)
        folders = find_run_folders(root)
        try:
            return JSONResponse(compare_view([folders[n] for n in names]), headers=NO_STORE)
        except UNREADABLE as exc:
            return JSONResponse({"error": why(exc)}, headers=NO_STORE)

    async def plotly(request: Request) -> Response:
        return FileResponse(plotly_js(), media_type="text/javascript")

    routes = [
        Route("/", runs_html),
        Route("/api/runs", runs_json),
        Route("/run/{run}", run_html),
        Route("/api/run/{run}", run_json),
        Route("/api/run/{run}/trial/{trial}", trial_json),
        Route("/compare", compare_html),
        Route("/api/compare", compare_json),
        Route("/static/plotly.min.js", plotly),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
        *try_routes(root),
    ]
    middleware = [Middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts)] if allowed_hosts else []
    return Starlette(routes=routes, middleware=middleware)
