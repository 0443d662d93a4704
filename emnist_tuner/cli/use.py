"""`emnist-tuner predict` and `emnist-tuner export`: using a trained model."""

from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path

import typer

from .. import api
from .common import DataDirOption, console

SourceArgument = typer.Argument(
    ..., metavar="SOURCE", help="A finished search or train run folder, a retrain folder (RUN/mnist) or a .keras file."
)


def predict(
    source: Path = SourceArgument,
    inputs: list[Path] = typer.Argument(
        ..., metavar="INPUT", help="Image files, folders (recursive), IDX files, .npy arrays."
    ),
    top: int = typer.Option(3, "--top", help="Classes to show per image."),
    fmt: str = typer.Option("table", "--format", help="table, json or csv."),
    invert: str = typer.Option("auto", "--invert", help="auto (dark ink on light paper is inverted), yes or no."),
    tta: int = typer.Option(
        1, "--tta", help="Test-time augmentation: average over the image and N - 1 transformed copies (1 = off)."
    ),
) -> None:
    """The model's top classes for your own images, prepared as its training images were."""
    from ..inference.predict import check_options, smoothing_note
    from ..inference.predict import predict as run_predict
    from ..inference.source import open_source
    from ..quiet import import_keras_quietly

    check_options(top, invert, fmt, tta)
    model_source = open_source(source)
    import_keras_quietly()
    rows = run_predict(model_source, list(inputs), top=top, invert=invert, tta=tta)
    note = smoothing_note(model_source)
    failed = [row for row in rows if "error" in row]
    for row in failed:
        print(f"error: {row['error']}", file=sys.stderr)
    good = [row for row in rows if "error" not in row]
    if fmt == "json":
        document = {"predictions": good, "label_smoothing": model_source.label_smoothing, "note": note}
        sys.stdout.write(json.dumps(document, indent=2) + "\n")
    elif fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["input", *[f"{k}{i + 1}" for i in range(top) for k in ("class", "probability")]])
        for row in good:
            writer.writerow([row["input"], *[v for t in row["top"] for v in (t["class"], f"{t['probability']:.6f}")]])
        sys.stdout.write(out.getvalue())
    elif good:
        from ..reports.predictions import predictions_table

        console.print(predictions_table(good))
        if note:
            console.print(note, highlight=False)
    if failed:
        raise typer.Exit(1)


def export(
    source: Path = SourceArgument,
    fmt: str = typer.Option(..., "--format", help="keras, saved_model, onnx or litert."),
    out: Path = typer.Option(
        ..., "--out", help="The artifact to write (a new path); its model card goes beside it as OUT.card.json."
    ),
    data_dir: Path | None = DataDirOption,
) -> None:
    """Export the model (without its augmentation layers), verified against the format's own runtime."""
    from ..inference.export import describe

    card = api.export(source, fmt, out, data_dir=data_dir)
    console.print(describe(card), highlight=False)
