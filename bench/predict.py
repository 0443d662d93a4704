"""`predict` and `export` on a real winner: scan-like files read as well as the arrays, how fast, and how
closely each export format agrees with Keras.

    .venv/bin/python bench/predict.py runs/quick-mnist [--images 1000] [--data-dir DIR]
    .venv/bin/python bench/predict.py --tiny            # a 2-epoch synthetic model (what the test runs)

1. The first N held-out test images of the run's dataset are written the way scans look: dark ink on white,
   64 to 300 pixels, off-centre with margins, half PNG, half JPEG (quality 92).
2. `predict` (the package's function, as the CLI calls it) on those files, and on the same images as an
   array (.npy, taken as they are): top-1 accuracy of each; seconds spent reading + preparing the files
   vs running the model.
3. `export` to every format: top-1 agreement with Keras on 512 test images, largest probability difference,
   artifact size, seconds (write + verify).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import _common
import numpy as np
from rich.console import Console
from rich.table import Table


def scan_files(images: np.ndarray, folder: Path, seed: int = 1) -> None:
    from PIL import Image

    rng = np.random.default_rng(seed)
    for i, image in enumerate(images):
        size = int(rng.integers(64, 301))
        big = np.asarray(Image.fromarray(image).resize((size, size), Image.Resampling.BICUBIC))
        page = np.zeros((size + 90, size + 70), np.uint8)
        top, left = rng.integers(0, 90), rng.integers(0, 70)
        page[top : top + size, left : left + size] = big
        scan = Image.fromarray(255 - page)
        scan.save(folder / f"{i:05d}.jpg", quality=92) if i % 2 else scan.save(folder / f"{i:05d}.png")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run", nargs="?", help="a finished search or train run folder")
    parser.add_argument("--images", type=int, default=1000)
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--tiny", action="store_true", help="train a 2-epoch synthetic model and use 60 images")
    args = parser.parse_args()

    import emnist_tuner as et
    from emnist_tuner.data.datasets import load_dataset
    from emnist_tuner.data.images import read_inputs
    from emnist_tuner.inference.export import FORMATS, export
    from emnist_tuner.inference.predict import BATCH, prepare
    from emnist_tuner.inference.source import open_source

    work = Path(tempfile.mkdtemp(prefix="bench-predict-"))
    data_dir = args.data_dir or _common.default_data_dir()
    if args.tiny or not args.run:
        et.train("dense", "synthetic", work / "run", epochs=2, console=Console(quiet=True))
        run, n = work / "run", min(args.images, 60)
    else:
        run, n = Path(args.run), args.images
    source = open_source(run)
    data = load_dataset(source.dataset, data_dir=data_dir)
    x, y = data.x_test[:n], data.y_test[:n]
    truth = np.array(source.class_names)[y]
    (work / "scans").mkdir()
    scan_files(x, work / "scans")
    np.save(work / "arrays.npy", x)

    files = et.predict(run, work / "scans", top=1)  # what the CLI does, end to end
    arrays = et.predict(run, work / "arrays.npy", top=1)
    started = time.perf_counter()  # the same work, step by step, timed
    images = read_inputs([work / "scans"])
    read_seconds = time.perf_counter() - started
    started = time.perf_counter()
    prepare(images, source.style, "auto")
    prepare_seconds = time.perf_counter() - started
    model = source.load()
    started = time.perf_counter()
    model.predict(np.stack([image.pixels for image in images]), batch_size=BATCH, verbose=0)
    model_seconds = time.perf_counter() - started
    files_seconds = read_seconds + prepare_seconds + model_seconds
    accuracy = {
        name: float(np.mean([r.get("top", [{}])[0].get("class") == t for r, t in zip(rows, truth)]))
        for name, rows in (("files", files), ("arrays", arrays))
    }

    console = Console()
    table = Table(title=f"predict: {source.label}, the first {n:,} {source.dataset} test images", title_justify="left")
    for column in ("input", "top-1 accuracy", "seconds", "images/s"):
        table.add_column(column, justify="right" if column != "input" else "left")
    table.add_row("arrays (.npy, as stored)", f"{100 * accuracy['arrays']:.2f} %", "", "")
    table.add_row(
        "scan-like PNG/JPEG files",
        f"{100 * accuracy['files']:.2f} %",
        f"{files_seconds:.2f}",
        f"{n / files_seconds:,.0f}",
    )
    table.add_row("  of which: reading the files", "", f"{read_seconds:.2f}", "")
    table.add_row("  of which: preparing (data.glyphs)", "", f"{prepare_seconds:.2f}", "")
    table.add_row(f"  of which: the model (batches of {BATCH})", "", f"{model_seconds:.2f}", "")
    console.print(table)

    formats = Table(title="export: each format verified with its runtime", title_justify="left")
    for column in ("format", "runtime", "top-1 agreement", "max prob. difference", "bytes", "seconds"):
        formats.add_column(column, justify="right" if column not in ("format", "runtime") else "left")
    for fmt, suffix in FORMATS.items():
        card = export(source, fmt, work / f"model-{fmt}{suffix}", data_dir=data_dir)
        v = card["verified"]
        formats.add_row(
            fmt,
            v["runtime"],
            f"{v['top1_agreement']:.4f}",
            f"{v['max_probability_difference']:.1e}",
            f"{card['bytes']:,}",
            f"{v['seconds']:.1f}",
        )
    formats.caption = f"checked on {card['verified']['images']}; tolerance {card['verified']['tolerance']:g}"
    console.print(formats)
    print(f"difference {100 * (accuracy['arrays'] - accuracy['files']):.2f}")


if __name__ == "__main__":
    main()
