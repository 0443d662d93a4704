"""The leaderboard of a run: a rich table, or JSON / CSV / Markdown, read from disk only.

One layout whatever the width: the trial columns that fit (``#``, ``time`` and ``epochs`` give way
first), then the hyperparameters that vary, as columns while they fit, or with ``every_hyperparameter``
as one folded cell per trial; notes below the table say what was left out. Exports hold every trial
(unless ``top``) and every column the table can show, under the names ``--sort`` takes (``EXPORT_COLUMNS``,
then each hyperparameter set in a trial shown): CSV and JSON with full values, Markdown rounded as the table.
"""

from __future__ import annotations

import csv
import io
import json

from rich.console import Group, JustifyMethod
from rich.table import Table
from rich.text import Text

from ..errors import plural
from ..runfolder.trials import TrialCounts, TrialRecord, leaderboard_rows, score_ranks, sort_records
from .formatting import duration, fmt_value

STATUS_STYLE = {
    "completed": "green",
    "running": "yellow",
    "interrupted": "yellow",
    "failed": "red",
    "invalid": "red",
    "unreadable": "red",
}
# (header, justify, minimum width); dropped in reverse order of this list's DROP when the width is short
BASE: tuple[tuple[str, JustifyMethod], ...] = (
    ("#", "right"),
    ("trial", "left"),
    ("status", "left"),
    ("val acc", "right"),
    ("epochs", "right"),
    ("time", "right"),
)
DROP = ("time", "epochs", "#")
# the exports' columns (JSON keys, CSV and Markdown headers), then the hyperparameters; the table's "#" is
# rank, "val acc" score, "time" seconds, and its "epochs" cell "A→B of M" is initial_epoch→epochs of
# epochs_scheduled (epochs: the epoch the trial's model reached; epochs_trained: B - A)
EXPORT_COLUMNS = (
    "rank",
    "trial_id",
    "status",
    "score",
    "epochs",
    "initial_epoch",
    "epochs_trained",
    "epochs_scheduled",
    "bracket",
    "round",
    "seconds",
    "message",
)
TABLE_OVERHEAD = 4  # borders and padding rich adds to every column (3) and to the table (1)


def split_columns(records: list[TrialRecord]) -> tuple[list[str], dict]:
    """Hyperparameter names that vary across trials, and those with one value everywhere."""
    names: list[str] = []
    for r in records:
        names += [k for k in r.hyperparameters if k not in names]
    varying, constant = [], {}
    for name in names:
        values = {json.dumps(r.hyperparameters.get(name)) for r in records}
        if len(values) > 1:
            varying.append(name)
        else:
            constant[name] = records[0].hyperparameters.get(name) if records else None
    return varying, constant


def epochs_cell(r: TrialRecord) -> str:
    """Epochs the trial trained (``3→5`` for a continued trial), ``of N`` when it stopped before its schedule."""
    if r.status != "completed":
        return "0" if r.status in ("failed", "invalid") else ""
    if r.reached is None:
        return ""
    trained = f"{r.initial_epoch}→{r.reached}" if r.initial_epoch else str(r.reached)
    return trained + (f" of {r.epochs}" if r.epochs is not None and r.reached < r.epochs else "")


def _cells(r: TrialRecord, ranks: dict) -> dict[str, str]:
    style = STATUS_STYLE.get(r.status, "")
    return {
        "#": str(ranks.get(r.trial_id, "")),
        "trial": r.trial_id,
        "status": f"[{style}]{r.status}[/{style}]" if style else r.status,  # "[]idle[/]" is not markup
        "val acc": f"{r.score:.4f}" if r.score is not None and r.status == "completed" else "",
        "epochs": epochs_cell(r),
        "time": duration(r.seconds),
    }


def _width(header: str, values: list[str]) -> int:
    return max([len(header)] + [len(Text.from_markup(v).plain) for v in values]) + 3


class Leaderboard:
    """A renderable that lays the leaderboard out for the width it is rendered at."""

    def __init__(self, *args, **kwargs):
        self.args, self.kwargs = args, kwargs

    def __rich_console__(self, console, options):
        kwargs = dict(self.kwargs)
        kwargs["width"] = kwargs.get("width") or options.max_width
        yield _layout(*self.args, **kwargs)


def leaderboard_table(
    records: list[TrialRecord],
    top: int | None = 10,
    title: str = "Leaderboard",
    width: int | None = None,
    sort: str | None = None,
    every_hyperparameter: bool = False,
    counts: TrialCounts | None = None,
    descending: bool | None = None,
) -> Leaderboard:
    """The leaderboard (a table and its notes), fitted to ``width`` or else to the width it is printed at.
    ``every_hyperparameter``: every varying hyperparameter, folded into one cell per trial;
    ``descending``: the sort's direction (None: the column's own, see ``sort_records``)."""
    return Leaderboard(
        records,
        top,
        title,
        width=width,
        sort=sort,
        every_hyperparameter=every_hyperparameter,
        counts=counts,
        descending=descending,
    )


def _layout(
    records: list[TrialRecord],
    top: int | None,
    title: str,
    width: int,
    sort: str | None,
    every_hyperparameter: bool,
    counts: TrialCounts | None,
    descending: bool | None = None,
) -> Group:
    rows = sort_records(records, sort, descending)
    ranks = score_ranks(records)
    shown = rows[:top] if top else rows
    varying, constant = split_columns(shown)
    if sort in varying:  # the sorted column comes first, so it is always shown
        varying.remove(sort)
        varying.insert(0, sort)
    cells = [_cells(r, ranks) for r in shown]
    folded = [_folded(r, varying) for r in shown] if every_hyperparameter and varying else []
    # the folded column wraps between name=value pairs, never inside one, where the width allows
    longest = max((len(pair) for cell in folded for pair in cell.split()), default=0)
    reserve = max(24, longest + 3) if every_hyperparameter else 0
    base = [name for name, _ in BASE]
    used = TABLE_OVERHEAD + sum(_width(name, [c[name] for c in cells]) for name in base)
    dropped = []
    for name in DROP:
        if used <= width - reserve:
            break
        base.remove(name)
        dropped.append(name)
        used -= _width(name, [c[name] for c in cells])
    columns: list[str] = []
    if not every_hyperparameter:
        for name in varying:
            need = _width(name, [fmt_value(r.hyperparameters.get(name)) for r in shown])
            if used + need > width:
                break
            columns.append(name)
            used += need
    counted = counts.text() if counts else f"{sum(r.status == 'completed' for r in records)}/{len(records)}"
    table = Table(title=f"{title} · trials {counted}", title_justify="left")
    for name, justify in BASE:
        if name in base:
            table.add_column(name, justify=justify, no_wrap=True)
    for name in columns:
        table.add_column(name, justify="right", no_wrap=True)
    if folded:
        room = max(1, width - used - 3)
        table.add_column("hyperparameters", overflow="fold", ratio=1, min_width=min(longest, room))
    for i, (r, c) in enumerate(zip(shown, cells)):
        row = [c[name] for name in base] + [fmt_value(r.hyperparameters.get(name)) for name in columns]
        table.add_row(*(row + folded[i : i + 1]))
    notes = []
    if len(rows) > len(shown):
        notes.append(f"{plural(len(rows) - len(shown), 'more trial')} not shown (--top 0 shows every trial)")
    if dropped:
        notes.append(
            f"columns left out for the terminal's width: {', '.join(dropped)} (a wider terminal, or "
            "--format json/csv/markdown, shows them)"
        )
    if not every_hyperparameter and len(columns) < len(varying):
        notes.append(
            f"hyperparameters not shown: {', '.join(v for v in varying if v not in columns)} (--all shows "
            "every one; --format json/csv/markdown too)"
        )
    if constant:
        notes.append("same in every trial shown: " + ", ".join(f"{k}={fmt_value(v)}" for k, v in constant.items()))
    epochs_notes = [
        *(['"A→B": continued from epoch A to epoch B'] if any("→" in c["epochs"] for c in cells) else []),
        *(['"N of M": stopped early, M scheduled'] if any(" of " in c["epochs"] for c in cells) else []),
    ]
    if epochs_notes:
        notes.append(f"epochs: trained ({'; '.join(epochs_notes)})")
    return Group(table, *[Text(note) for note in notes])


def _folded(r: TrialRecord, names: list[str]) -> str:
    """Every hyperparameter of ``names`` that ``r`` has, as ``name=value`` pairs."""
    return " ".join(f"{n}={fmt_value(r.hyperparameters[n])}" for n in names if n in r.hyperparameters)


def leaderboard_text(
    records: list[TrialRecord],
    fmt: str,
    top: int | None = None,
    sort: str | None = None,
    descending: bool | None = None,
) -> str:
    """Every trial (or the ``top`` ones) as JSON, CSV or Markdown: ``EXPORT_COLUMNS``, then every
    hyperparameter set in a trial shown (CSV and Markdown leave out the ones no trial shown has)."""
    rows = leaderboard_rows(records, sort, descending)
    rows = rows[:top] if top else rows
    if fmt == "json":
        return json.dumps(rows, indent=2) + "\n"
    names: list[str] = []
    for row in rows:
        names += [k for k, v in row["hyperparameters"].items() if k not in names and v is not None]
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(EXPORT_COLUMNS + tuple(names))
        for row in rows:
            writer.writerow(
                ["" if row[k] is None else row[k] for k in EXPORT_COLUMNS]
                + [_csv(row["hyperparameters"].get(n)) for n in names]
            )
        return out.getvalue()
    header = [*EXPORT_COLUMNS, *names]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        cells = [_markdown(row[k], k) for k in EXPORT_COLUMNS]
        lines.append("| " + " | ".join(cells + [_markdown(row["hyperparameters"].get(n)) for n in names]) + " |")
    return "\n".join(lines) + "\n"


def _csv(value) -> str:
    return "" if value is None else str(value)


def _markdown(value, column: str = "") -> str:
    """A Markdown cell, rounded as the table rounds it (score to 4 decimals, seconds to the second,
    hyperparameters as in their columns), with ``|`` escaped."""
    if value is None:
        return ""
    if column == "score":
        return f"{value:.4f}"
    if column == "seconds":
        return str(int(round(value)))
    return (str(value) if column else fmt_value(value)).replace("|", "\\|")
