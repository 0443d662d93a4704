"""The API's functions that read a finished run or model and write elsewhere: predict, export, plot, the
one-file dashboard, and the web app (`serve`)."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from ..quiet import import_keras_quietly
from ..runfolder.configs import read_run_config
from .keywords import keywords_checked, say_to


@keywords_checked()
def predict(source: Path | str, inputs, *, top: int = 3, invert: str = "auto", tta: int = 1) -> list[dict]:
    """The top ``top`` classes of the model in ``source`` (a run folder or .keras file) for each character
    image of ``inputs`` (image files, folders, IDX files, .npy arrays), prepared as its training images were.
    ``tta`` > 1 averages each image with ``tta`` - 1 transformed copies (test-time augmentation).
    One dict per image: ``{"input", "top": [{"class", "probability"}, …]}``, or ``{"input", "error"}``."""
    from ..inference.predict import check_options
    from ..inference.predict import predict as run_predict
    from ..inference.source import open_source

    check_options(top, invert, tta=tta)
    model_source = open_source(source)
    import_keras_quietly()
    inputs = [Path(p) for p in ([inputs] if isinstance(inputs, (str, Path)) else inputs)]
    return run_predict(model_source, inputs, top=top, invert=invert, tta=tta)


@keywords_checked()
def export(source: Path | str, fmt: str, out: Path | str, *, data_dir=None) -> dict:
    """Export the model of ``source`` as ``fmt`` (keras, saved_model, onnx, litert) to ``out``, verified with
    that format's runtime on real test images; returns the model card (also saved as ``out.card.json``)."""
    from ..inference.export import check_options
    from ..inference.export import export as run_export
    from ..inference.source import open_source

    check_options(fmt, Path(out))
    model_source = open_source(source)
    import_keras_quietly()
    return run_export(model_source, fmt, Path(out), data_dir=data_dir)


@keywords_checked()
def plot(
    run_dir: Path | str, out: Path | str | None = None, *, fmt: str = "png", only=None, data_dir=None
) -> list[Path]:
    """Draw the figures of ``run_dir`` (see `emnist-tuner plot`) into ``out`` (default ``plots/<run name>``)
    as ``fmt`` (png or svg); ``only``: figure names. Returns the files written; never writes into the run."""
    from ..figures.plot import plot_run

    return plot_run(run_dir, out=out, fmt=fmt, only=only, data_dir=data_dir)[0]


@keywords_checked()
def serve(folder="runs", *, host: str = "127.0.0.1", port: int = 8765, console: Console | None = None) -> None:
    """Serve the runs under ``folder`` as a read-only web app at ``host``:``port`` until Ctrl-C (`serve`)."""
    from ..web.server import serve as run_server

    run_server(folder, host, port, say_to(console))


@keywords_checked()
def dashboard(run_dir: Path | str, html_file: Path | str, *, data_dir=None) -> Path:
    """Write the run's report and figures as one self-contained HTML file (`report --html`)."""
    from ..figures.dashboard import write_dashboard

    read_run_config(run_dir)
    import_keras_quietly()  # the report shows the model's layers
    return write_dashboard(run_dir, html_file, data_dir=data_dir)
