"""What `emnist-tuner presets` prints: the study's named models, their sizes, and their settings side by side."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table

from .leaderboard import SHORT, _fmt

# The study's figures (validation accuracy), shown beside each preset.
STUDY = {"dense": "89 / 98 %", "convnet": "93 / 99 %", "model1": "94.37 %", "model2": "94 %",
         "model3": "91 %", "model4": "best"}


def presets_table() -> Group:
    from ..searchspace import get_preset, list_presets, preset_param_count

    names = list_presets()
    presets = [get_preset(n) for n in names]
    summary = Table(title="Presets (points of the search space)", title_justify="left")
    summary.add_column("preset", no_wrap=True)
    summary.add_column("what it is", overflow="fold")
    summary.add_column("params (26)", justify="right", no_wrap=True)
    summary.add_column("params (10)", justify="right", no_wrap=True)
    summary.add_column("study", justify="right", no_wrap=True)
    for name, preset in zip(names, presets):
        summary.add_row(name, preset.title, f"{preset_param_count(name, (28, 28), 26):,}",
                        f"{preset_param_count(name, (28, 28), 10):,}", STUDY.get(name, ""))
    summary.caption = "study: validation accuracy reported by the original study (EMNIST letters / MNIST)"
    summary.caption_justify = "left"

    grid = Table(title="Settings (blank: not active in that preset)", title_justify="left")
    grid.add_column("setting", no_wrap=True)
    for name in names:
        grid.add_column(name, justify="right", no_wrap=True)
    keys: list[str] = []
    for preset in presets:
        keys += [k for k in preset.values if k not in keys]
    for key in keys:
        grid.add_row(SHORT.get(key, key), *[_fmt(p.values.get(key)) for p in presets])
    grid.add_row("early stop", *[str(p.early_stopping_patience or "") for p in presets])
    return Group(summary, grid)
