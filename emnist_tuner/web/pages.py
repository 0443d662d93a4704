"""The HTML of the runs, run and compare pages: a frame that the page's script fills from the JSON
endpoints (``app``) and redraws as the run folders change."""

from __future__ import annotations

import html
import json

from .shell import COMMON, PLOTLY, page


def _data(**values) -> str:
    """Values for the page's script, in a JSON script element (never run, safe from the values' text)."""
    text = json.dumps(values).replace("<", "\\u003c")
    return f'<script type="application/json" id="page-data">{text}</script>'


def runs_page(folder: str) -> str:
    """Every run under the folder, updated every 2 s."""
    body = (
        f"<h1>Runs in {html.escape(folder)}</h1>"
        '<p class="meta">Updated every 2 s while a search runs. Tick two or more runs to compare them. '
        '<button id="compare-selected" disabled>compare</button></p>'
        '<table id="runs" class="data"><thead><tr><th></th><th>run</th><th>kind</th><th>dataset</th>'
        '<th>state</th><th class="num">trials</th><th class="num">best val</th><th class="num">test acc</th>'
        '</tr></thead><tbody></tbody></table><p id="runs-note" class="meta"></p>' + _data(api="/api/runs")
    )
    return page(f"Runs in {folder}", body, (COMMON, "/static/runs.js"))


FIGURES = (
    ("history", "Optimization history", "each completed trial's validation accuracy in start order; the best so far"),
    ("curves", "Learning curves", "validation accuracy epoch by epoch; a promoted trial continues its parent"),
    ("parallel", "Parallel coordinates", "each completed trial's hyperparameters and its validation accuracy"),
    (
        "contour",
        "Two hyperparameters",
        "validation accuracy over two chosen hyperparameters (contour); by the first alone (slice)",
    ),
    ("importance", "Importance", "each hyperparameter's share of the explained variance (bootstrap interval)"),
    (
        "pareto",
        "Pareto front",
        "accuracy against parameters and training time; the front: trials no other beats on both",
    ),
)


def run_page(name: str, try_url: str) -> str:
    """One run: progress, the leaderboard, the figures and a panel for the clicked trial."""
    figures = "".join(
        f'<section class="figure" id="section-{key}"><h3>{html.escape(title)}</h3>'
        f'<p class="caption">{html.escape(caption)}</p>'
        + (
            '<p class="pick">x <select id="contour-x"></select> y <select id="contour-y"></select></p>'
            if key == "contour"
            else ""
        )
        + f'<div class="plot" id="fig-{key}"></div></section>'
        for key, title, caption in FIGURES
    )
    body = (
        f'<h1>Run {html.escape(name)}</h1><p class="meta" id="progress"></p>'
        f'<p class="links"><a id="try-link" href="{html.escape(try_url)}">Try the final model (draw a character)</a>'
        f' · <a href="/compare">compare with other runs</a></p>'
        '<section id="trial" class="trial" hidden></section>'
        '<h2>Leaderboard</h2><p><input id="filter" type="search" placeholder="filter: text in any cell"> '
        '<span id="shown" class="meta"></span></p><div class="scroll"><table id="leaderboard" class="data">'
        "<thead></thead><tbody></tbody></table></div>"
        f'<h2>Figures</h2><p class="meta">Hover a point for its trial; click it to open the trial.</p>'
        f'<div class="figures">{figures}</div>' + _data(run=name, api=f"/api/run/{name}")
    )
    return page(f"Run {name}", body, (PLOTLY, COMMON, "/static/run.js"))


def compare_page(names: list[str], known: list[str]) -> str:
    """Runs side by side (`compare`'s table and figure), or a form to pick them."""
    picks = "".join(
        f'<label><input type="checkbox" name="run" value="{html.escape(n)}"'
        f"{' checked' if n in names else ''}> {html.escape(n)}</label>"
        for n in known
    )
    body = (
        "<h1>Compare runs</h1>"
        f'<form method="get" action="/compare" class="pick">{picks} <button>compare</button></form>'
        '<p id="compare-note" class="meta"></p><div class="scroll"><table id="compare" class="data">'
        '</table></div><div class="plot" id="fig-compare"></div>' + _data(runs=names, api="/api/compare")
    )
    return page("Compare runs", body, (PLOTLY, COMMON, "/static/compare.js"))
