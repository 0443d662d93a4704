"""`emnist-tuner data` and `emnist-tuner presets`."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from ..quiet import import_keras_quietly
from .common import DataDirOption, SpaceOption, console


def data(
    data_dir: Path | None = DataDirOption,
    download: bool = typer.Option(False, "--download", help="Download missing files from the official sources."),
    dataset: str | None = typer.Option(
        None,
        "--dataset",
        help="Describe this one dataset instead (a name, or your own files: csv:PATH, folder:PATH, npz:PATH): "
        "its classes with their counts, image shape, test split, cache.",
    ),
) -> None:
    """Show each dataset: where its files are, whether they verify, and its split sizes."""
    if dataset is not None:
        from ..reports.dataset_description import describe_dataset

        console.print(describe_dataset(dataset, data_dir, download))
        return
    from ..data.status import check_all
    from ..reports.datasets_table import datasets_table

    statuses = check_all(data_dir, download)
    console.print(datasets_table(statuses))
    failed = [s for s in statuses if s.failed]
    for s in failed:
        print(f"error: {s.name}: {s.message}", file=sys.stderr)
    if failed:
        raise typer.Exit(1)


def presets(space: Path | None = SpaceOption) -> None:
    """List the named presets (the study's models) with their settings and parameter counts; with --space,
    which of them a narrowed space holds, and that space."""
    from ..searchspace.narrowing import check_narrowing, read_space

    narrowing = None
    if space is not None:  # checked against the whole space at 28x28 before Keras is imported
        tables, source = read_space(space)
        narrowing = check_narrowing(tables, source=source)
    import_keras_quietly()
    from ..reports.presets_table import presets_table
    from ..reports.space_table import space_section

    console.print(presets_table())
    if space is not None:
        console.print(space_section(narrowing, str(space)))
