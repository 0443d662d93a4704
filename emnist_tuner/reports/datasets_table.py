"""The table printed by `emnist-tuner data`: one row per dataset, then the reasons and notes."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text

from ..data.status import DatasetStatus

_STATE_STYLE = {"verified": "green", "missing": "yellow", "not downloaded": "bold red", "invalid": "bold red"}


def datasets_table(statuses: list[DatasetStatus]) -> Group:
    table = Table(title="Datasets", title_justify="left")
    table.add_column("dataset", no_wrap=True)
    table.add_column("status", no_wrap=True)
    table.add_column("train", justify="right", no_wrap=True)
    table.add_column("val", justify="right", no_wrap=True)
    table.add_column("test", justify="right", no_wrap=True)
    table.add_column("verified by", no_wrap=True)
    table.add_column("found in", overflow="fold")
    notes = []
    for s in statuses:
        sizes = [f"{n:,}" for n in s.sizes] if s.sizes else ["-", "-", "-"]
        where = ", ".join(str(f) for f in s.folders) or ("(generated)" if s.state == "verified" else "-")
        style = _STATE_STYLE[s.state]
        table.add_row(s.name, Text(s.state, style=style), *sizes, s.verified_by, where)
        if s.state != "verified" and not s.failed:  # a failure's reason is its error line (stderr), said once
            notes.append(Text.assemble((f"{s.name}: ", style), s.message))
        elif s.note:
            notes.append(Text(f"{s.name}: {s.note}", style="dim"))
        if s.unpublished:
            notes.append(Text(f"{s.name}: no published sha256: its files are checked by {s.verified_by}", style="dim"))
    return Group(table, *notes)
