"""The report's parts (``reports.report.build_report``: rich tables and lines of text) as plain HTML for
the dashboard: each table an HTML table with its title as a heading, each line a paragraph. The
terminal's confusion heatmap is left out here: the dashboard draws the confusion matrix as a figure."""

from __future__ import annotations

import html
import io
import re

from rich.console import Console, Group
from rich.errors import MarkupError
from rich.table import Table
from rich.text import Text

from ..reports.confusion import ConfusionHeatmap


def _text(value) -> Text:
    if isinstance(value, Text):
        return value
    try:
        return Text.from_markup(str(value))
    except MarkupError:  # brackets that are not markup
        return Text(str(value))


def _cell(value) -> str:
    """A cell as HTML: its plain text, in bold where the terminal shows it bold."""
    if not isinstance(value, (str, Text)):
        return f"<pre>{html.escape(_plain(value))}</pre>"
    text = _text(value)
    plain = html.escape(text.plain)
    bold = any("bold" in str(span.style) for span in text.spans) or "bold" in str(text.style)
    return f"<strong>{plain}</strong>" if bold and plain else plain


def _plain(renderable, width: int = 100) -> str:
    console = Console(width=width, file=io.StringIO(), color_system=None)
    with console.capture() as capture:
        console.print(renderable)
    return capture.get().rstrip()


def slug(title: str) -> str:
    """An HTML id from a heading: lower case, words joined by hyphens."""
    return "report-" + (re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") or "part")


def _unsplit(headers: list[str], rows: list[list]) -> tuple[list[str], list[list]]:
    """A table laid out in side-by-side halves (its headers repeat) as one column set, blank rows dropped."""
    width = len(headers)
    for k in range(1, width // 2 + 1):
        if width % k == 0 and headers == headers[:k] * (width // k):
            stacked = [row[h * k : (h + 1) * k] for h in range(width // k) for row in rows]
            return headers[:k], [r for r in stacked if any(_text(c).plain.strip() for c in r)]
    return headers, rows


def table_html(table: Table) -> tuple[str | None, str]:
    """(title, HTML) of a rich table."""
    title = _text(table.title).plain if table.title else None
    headers = [_text(c.header).plain for c in table.columns]
    justify = [c.justify for c in table.columns]
    columns = [list(c.cells) for c in table.columns]
    rows = [[col[i] if i < len(col) else "" for col in columns] for i in range(table.row_count)]
    if table.show_header and any(headers):
        headers, rows = _unsplit(headers, rows)
        justify = justify[: len(headers)]
    parts = ['<table class="report">']
    if table.show_header and any(headers):
        parts.append("<thead><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in headers) + "</tr></thead>")
    parts.append("<tbody>")
    for row in rows:
        cells = "".join(f'<td class="{"num" if j == "right" else "txt"}">{_cell(c)}</td>' for c, j in zip(row, justify))
        parts.append(f"<tr>{cells}</tr>")
    parts.append("</tbody></table>")
    if table.caption:
        caption = "<br>".join(html.escape(line) for line in _text(table.caption).plain.splitlines())
        parts.append(f'<p class="caption">{caption}</p>')
    return title, "\n".join(parts)


def report_parts(group, confusion_link: str | None) -> list[tuple[str | None, str]]:
    """The report as (heading or None, HTML) parts, in the report's order. The first line (the
    report's title) is dropped: the page has its own. ``confusion_link``: where the page draws the
    confusion matrix (the terminal heatmap's place says so)."""
    items = list(group.renderables) if isinstance(group, Group) else [group]
    parts: list[tuple[str | None, str]] = []
    for k, item in enumerate(items):
        if isinstance(item, Table):
            parts.append(table_html(item))
        elif isinstance(item, ConfusionHeatmap):
            if confusion_link:
                parts.append(
                    (
                        None,
                        f'<p>The confusion matrix is drawn as a figure: <a href="#{confusion_link}">confusion</a>.</p>',
                    )
                )
        elif isinstance(item, Text):
            plain = item.plain.strip()
            if plain and not (k == 0 and plain.startswith("Report: ")):
                parts.append((None, f"<p>{html.escape(plain)}</p>"))
        else:
            parts.append((None, f"<pre>{html.escape(_plain(item))}</pre>"))
    return parts
