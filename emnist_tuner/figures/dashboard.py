"""`emnist-tuner report RUN --html FILE`: one self-contained HTML page, the report's tables and the
run's figures. Images are inline PNG (base64), styles are inline; no script and no address outside
the file, so it opens offline, can be mailed, and prints (each figure kept on one page)."""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path

from rich.console import Console
from rich.terminal_theme import DEFAULT_TERMINAL_THEME

from ..errors import ConfigError
from ..io import write_text_atomic
from .plot import FIGURES, build_figures, check_output_file

GROUPS = (
    ("The search", ("history", "curves", "pareto", "importance", "effects")),
    ("The final model", ("confusion", "per-class", "confused-images")),
    ("Experiments", ("transfer", "ablation")),
)

STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0 auto; max-width: 1180px;
       padding: 1rem 1.5rem; color: #1b1b1b; background: #fff; }
h1 { font-size: 1.5rem; margin-bottom: 0.2rem; } h2 { font-size: 1.2rem; border-bottom: 1px solid #ccc; }
.meta { color: #555; margin-top: 0; }
pre.report { font-size: 12px; line-height: 1.25; overflow-x: auto; background: #fafafa; padding: 0.8rem;
             border: 1px solid #e3e3e3; }
figure { margin: 1rem 0 1.6rem; break-inside: avoid; page-break-inside: avoid; }
figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { color: #444; font-size: 0.9rem; }
ul.skipped { color: #666; font-size: 0.9rem; }
@media print { body { max-width: none; padding: 0; } pre.report { font-size: 9px; border: none; }
               h2 { break-after: avoid; } }
"""


def _report_html(run_dir, data_dir, width: int) -> str:
    from ..reports.report import build_report

    console = Console(record=True, width=width, file=io.StringIO(), color_system="truecolor")
    console.print(build_report(run_dir, data_dir=data_dir))
    return console.export_html(
        theme=DEFAULT_TERMINAL_THEME, inline_styles=True, code_format='<pre class="report"><code>{code}</code></pre>'
    )


def _png(figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=96)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def dashboard_html(run_dir: Path | str, data_dir=None, width: int = 110) -> str:
    """The page for ``run_dir`` (read-only on the run folder)."""
    run_dir = Path(run_dir)
    figures = build_figures(run_dir, data_dir=data_dir)
    drawn = dict(figures.figures)
    parts = [
        f"<h1>emnist-tuner report: {html.escape(run_dir.resolve().name)}</h1>",
        f'<p class="meta">{html.escape(str(run_dir))}</p>',
        "<h2>Report</h2>",
        _report_html(run_dir, data_dir, width),
    ]
    for title, names in GROUPS:
        present = [n for n in names if n in drawn]
        if not present:
            continue
        parts.append(f"<h2>{html.escape(title)}</h2>")
        for name in present:
            parts.append(
                f'<figure id="{name}"><img alt="{html.escape(name)}: {html.escape(FIGURES[name])}" '
                f'src="data:image/png;base64,{_png(drawn[name])}">'
                f"<figcaption>{html.escape(FIGURES[name][:1].upper() + FIGURES[name][1:])}.</figcaption>"
                "</figure>"
            )
    if figures.skipped:
        items = "".join(f"<li>{html.escape(n)}: {html.escape(why)}</li>" for n, why in figures.skipped if why)
        if items:
            parts.append(f'<h2>Not drawn</h2><ul class="skipped">{items}</ul>')
    body = "\n".join(parts)
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>emnist-tuner report: {html.escape(run_dir.resolve().name)}</title><style>{STYLE}</style></head>"
        f"<body>\n{body}\n</body></html>\n"
    )


def check_html_path(path: Path | str) -> Path:
    """ConfigError (exit 2) unless ``path`` can be written (checked before any work)."""
    return check_output_file("--html", path)


def write_dashboard(run_dir: Path | str, path: Path | str, data_dir=None) -> Path:
    path = check_html_path(path)
    text = dashboard_html(run_dir, data_dir)
    try:
        write_text_atomic(path, text)
    except OSError as exc:
        raise ConfigError(
            f"--html {path}: cannot write it ({exc.strerror or exc}); choose a path in a folder you can write to"
        ) from None
    return path
