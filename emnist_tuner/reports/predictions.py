"""`predict`'s table: each input with its top classes and their probabilities."""

from __future__ import annotations

from rich.table import Table

from ..errors import plural


def predictions_table(rows: list[dict]) -> Table:
    top = max(len(row["top"]) for row in rows)
    table = Table(title=f"Predictions ({plural(len(rows), 'image')})", title_justify="left")
    table.add_column("input", overflow="fold")
    for i in range(top):
        table.add_column(f"#{i + 1}", justify="right", no_wrap=True)
    for row in rows:
        table.add_row(row["input"], *[f"{t['class']} {100 * t['probability']:.1f} %" for t in row["top"]])
    return table
