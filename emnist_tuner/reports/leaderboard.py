"""The leaderboard of a run: a rich table, or JSON / CSV / Markdown, read from disk only."""

from __future__ import annotations

import csv
import io
import json

from rich.table import Table

from ..runfolder.trials import TrialRecord, leaderboard_rows, score_ranks, sort_records
from .formatting import SHORT, duration, fmt_value

STATUS_STYLE = {"COMPLETED": "green", "RUNNING": "yellow", "FAILED": "red", "INVALID": "red", "UNREADABLE": "red"}
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


def _fit_columns(varying: list[str], rows: list[TrialRecord], width: int | None, used: int) -> list[str]:
    """The hyperparameter columns that fit in ``width`` (in declaration order, the space's main knobs first)."""
    if width is None:
        return varying
    chosen = []
    for name in varying:
        need = max([len(SHORT.get(name, name))] + [len(fmt_value(r.hyperparameters.get(name))) for r in rows]) + 3
        if used + need > width:
            break
        chosen.append(name)
        used += need
    return chosen


def leaderboard_table(records: list[TrialRecord], top: int | None = 10, title: str = "Leaderboard",
                      width: int | None = None, sort: str | None = None) -> Table:
    """The leaderboard as a rich table. With ``width``, only the hyperparameter columns that fit are
    shown (the caption says how many were left out). ``sort``: see ``sort_records``."""
    rows = sort_records(records, sort)
    ranks = score_ranks(records)
    shown = rows[:top] if top else rows
    varying, constant = split_columns(shown)
    if sort in varying:  # the sorted column comes first, so it is always shown
        varying.remove(sort)
        varying.insert(0, sort)
    base_width = 6 + max([len(r.trial_id) for r in shown] + [5]) + 3 + 13 + 10 + 9 + 9
    columns = _fit_columns(varying, shown, width, base_width)
    done = sum(r.status == "COMPLETED" for r in records)
    table = Table(title=f"{title} ({done} of {len(records)} trials completed)", title_justify="left")
    for name, justify in (("#", "right"), ("trial", "left"), ("status", "left"), ("val acc", "right"),
                          ("epochs", "right"), ("time", "right")):
        table.add_column(name, justify=justify, no_wrap=True)
    for name in columns:
        table.add_column(SHORT.get(name, name), justify="right", no_wrap=True)
    for r in shown:
        style = STATUS_STYLE.get(r.status, "")
        score = f"{r.score:.4f}" if r.score is not None and r.status == "COMPLETED" else ""
        epochs = "" if r.epochs is None else (f"{r.initial_epoch}→{r.epochs}" if r.initial_epoch else str(r.epochs))
        status = r.status.lower()
        cells = [str(ranks[r.trial_id]) if r.trial_id in ranks else "", r.trial_id, f"[{style}]{status}[/{style}]", score,
                 epochs, duration(r.seconds)]
        table.add_row(*cells, *[fmt_value(r.hyperparameters.get(name)) for name in columns])
    notes = []
    if len(columns) < len(varying):
        notes.append(f"{len(varying) - len(columns)} more varying hyperparameters not shown "
                     "(a wider terminal, or --format json/csv/markdown, shows them)")
    if constant:
        notes.append("same in every trial shown: " + ", ".join(f"{k}={fmt_value(v)}" for k, v in constant.items()))
    if notes:
        table.caption = "\n".join(notes)
        table.caption_justify = "left"
    return table


def leaderboard_text(records: list[TrialRecord], fmt: str, top: int | None = None, sort: str | None = None) -> str:
    rows = leaderboard_rows(records, sort)
    rows = rows[:top] if top else rows
    if fmt == "json":
        return json.dumps(rows, indent=2)
    names, _ = split_columns(records)
    names = names or sorted({k for r in records for k in r.hyperparameters})
    base = ["rank", "trial_id", "status", "score", "epochs", "seconds"]
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(base + names)
        for row in rows:
            writer.writerow([row[k] if row[k] is not None else "" for k in base]
                            + [row["hyperparameters"].get(n, "") for n in names])
        return out.getvalue()
    lines = ["| " + " | ".join(base + names) + " |", "|" + "---|" * (len(base) + len(names))]
    for row in rows:
        cells = [fmt_value(row[k]) if k != "score" or row[k] is None else f"{row[k]:.4f}" for k in base]
        lines.append("| " + " | ".join(cells + [fmt_value(row["hyperparameters"].get(n)) for n in names]) + " |")
    return "\n".join(lines) + "\n"
