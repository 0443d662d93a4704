"""The table printed by `emnist-tuner presets`: each named model of the study, its settings and size."""

from __future__ import annotations

from rich.table import Table

from .leaderboard import SHORT, _fmt

# The study's figures (validation accuracy), shown beside each preset.
STUDY = {"dense": "89 % / 98 %", "convnet": "93 % / 99 %", "model1": "94.37 %", "model2": "94 %",
         "model3": "91 %", "model4": "best"}


def presets_table() -> Table:
    from ..searchspace import get_preset, list_presets, preset_param_count

    table = Table(title="Presets (points of the search space)", title_justify="left")
    table.add_column("preset", no_wrap=True)
    table.add_column("params 26", justify="right", no_wrap=True)
    table.add_column("params 10", justify="right", no_wrap=True)
    table.add_column("study (EMNIST / MNIST)", no_wrap=True)
    table.add_column("settings", overflow="fold")
    for name in list_presets():
        preset = get_preset(name)
        settings = ", ".join(f"{SHORT.get(k, k)}={_fmt(v)}" for k, v in preset.values.items())
        if preset.early_stopping_patience:
            settings += f", early stopping patience {preset.early_stopping_patience}"
        table.add_row(
            f"[bold]{name}[/bold]\n[dim]{preset.title}[/dim]",
            f"{preset_param_count(name, (28, 28), 26):,}",
            f"{preset_param_count(name, (28, 28), 10):,}",
            STUDY.get(name, ""),
            settings,
        )
    return table
