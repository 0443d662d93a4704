"""`emnist-tuner report RUN --html FILE`: one self-contained HTML page, a table of contents, the
report's tables (as HTML tables) and the run's figures. Images are inline PNG (base64), styles are
inline; no script and no address outside the file, so it opens offline, can be mailed, and prints
(each figure kept on one page)."""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path

from ..errors import ConfigError
from ..io import write_text_atomic
from .plot import FIGURES, build_figures, check_output_file
from .report_html import report_parts, slug

GROUPS = (
    ("The search", ("history", "curves", "pareto", "importance", "effects")),
    ("The final model", ("confusion", "per-class", "confused-images")),
    ("Experiments", ("transfer", "ablation")),
)

STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0 auto; max-width: 1180px;
       padding: 1rem 1.5rem; color: #1b1b1b; background: #fff; }
h1 { font-size: 1.5rem; margin-bottom: 0.2rem; } h2 { font-size: 1.25rem; border-bottom: 1px solid #ccc; }
h3 { font-size: 1.05rem; margin: 1.3rem 0 0.4rem; }
.meta { color: #555; margin-top: 0; }
nav.toc { background: #f6f8fa; border: 1px solid #e1e4e8; padding: 0.5rem 1rem; margin: 1rem 0; }
nav.toc h2 { border: none; font-size: 1rem; margin: 0.3rem 0; }
nav.toc ol { margin: 0.2rem 0; padding-left: 1.4rem; } nav.toc li { margin: 0.1rem 0; }
nav.toc a, .back a { color: #0b5cad; text-decoration: none; } nav.toc a:hover { text-decoration: underline; }
section { scroll-margin-top: 0.5rem; } h3, figure { scroll-margin-top: 0.5rem; }
table.report { border-collapse: collapse; font-size: 0.9rem; margin: 0.3rem 0; }
table.report th { text-align: left; border-bottom: 2px solid #bbb; padding: 0.2rem 0.7rem; background: #f3f3f3; }
table.report td { border-bottom: 1px solid #e5e5e5; padding: 0.2rem 0.7rem; }
table.report td.num { text-align: right; font-variant-numeric: tabular-nums; }
table.report tbody tr:nth-child(even) { background: #fafafa; }
p.caption { color: #555; font-size: 0.85rem; margin: 0.2rem 0 0.8rem; }
pre { font-size: 12px; overflow-x: auto; background: #fafafa; padding: 0.6rem; border: 1px solid #e3e3e3; }
figure { margin: 1rem 0 1.6rem; break-inside: avoid; page-break-inside: avoid; }
figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { color: #444; font-size: 0.9rem; }
.back { font-size: 0.8rem; text-align: right; margin: 0; }
ul.skipped { color: #666; font-size: 0.9rem; }
@media print { body { max-width: none; padding: 0; } nav.toc, .back { display: none; } h2 { break-after: avoid; } }
"""


def _png(figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=96)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _sections(run_dir: Path, data_dir) -> list[tuple[str, str, list[tuple[str, str]], str]]:
    """(id, title, [(sub-id, sub-title)], HTML) of each section of the page, in order."""
    from ..reports.report import build_report

    figures = build_figures(run_dir, data_dir=data_dir)
    drawn = dict(figures.figures)
    back = '<p class="back"><a href="#contents">↑ contents</a></p>'
    report: list[str] = []
    subs: list[tuple[str, str]] = []
    for title, part in report_parts(
        build_report(run_dir, data_dir=data_dir), "confusion" if "confusion" in drawn else None
    ):
        if title:
            anchor = slug(title)
            while anchor in {a for a, _ in subs}:
                anchor += "-2"
            subs.append((anchor, title))
            report.append(f'<h3 id="{anchor}">{html.escape(title)}</h3>')
        report.append(part)
    sections = [("report", "Report", subs, "\n".join(report) + back)]
    for title, names in GROUPS:
        present = [n for n in names if n in drawn]
        if not present:
            continue
        items = [
            f'<figure id="{name}"><img alt="{html.escape(name)}: {html.escape(FIGURES[name])}" '
            f'src="data:image/png;base64,{_png(drawn[name])}">'
            f"<figcaption>{html.escape(FIGURES[name][:1].upper() + FIGURES[name][1:])}.</figcaption></figure>"
            for name in present
        ]
        section_id = slug(title).removeprefix("report-")
        sections.append((section_id, title, [(n, n) for n in present], "\n".join(items) + back))
    notes = "".join(f"<li>{html.escape(n)}: {html.escape(why)}</li>" for n, why in figures.skipped if why)
    if notes:
        sections.append(("not-drawn", "Not drawn", [], f'<ul class="skipped">{notes}</ul>' + back))
    return sections


def _contents(sections) -> str:
    items = []
    for section_id, title, subs, _ in sections:
        inner = "".join(f'<li><a href="#{a}">{html.escape(t)}</a></li>' for a, t in subs)
        items.append(
            f'<li><a href="#{section_id}">{html.escape(title)}</a>' + (f"<ol>{inner}</ol>" if inner else "") + "</li>"
        )
    return f'<nav class="toc" id="contents"><h2>Contents</h2><ol>{"".join(items)}</ol></nav>'


def dashboard_html(run_dir: Path | str, data_dir=None) -> str:
    """The page for ``run_dir`` (read-only on the run folder): a table of contents, the report's tables
    as HTML tables, then the figures by group."""
    run_dir = Path(run_dir)
    sections = _sections(run_dir, data_dir)
    parts = [
        f"<h1>emnist-tuner report: {html.escape(run_dir.resolve().name)}</h1>",
        f'<p class="meta">{html.escape(str(run_dir))}</p>',
        _contents(sections),
    ]
    for section_id, title, _, body in sections:
        parts.append(f'<section id="{section_id}"><h2>{html.escape(title)}</h2>\n{body}</section>')
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
