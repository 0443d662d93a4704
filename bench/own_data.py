"""Your own files as a dataset: the shared data converted into each source format gives exactly the
built-in loader's arrays, and a 10,000-image folder is read once, then from the cache.

    .venv/bin/python bench/own_data.py [--data-dir DIR] [--images 10000]
    .venv/bin/python bench/own_data.py --tiny      # the synthetic dataset, a 300-image folder

1. Conversion (into a temporary folder): Binary AlphaDigits as a class folder of PNGs (20x16, 0/255:
   a folder already in a dataset's format is taken as it is), the EMNIST Letters sample as a Kaggle-style
   CSV (stored transposed as NIST's, labels 1..26, with ``emnist-letters-sample-mapping.txt`` beside it),
   MNIST as ``.npz`` (x_train, y_train, x_test, y_test). Each is loaded with ``load_dataset`` as
   ``folder:`` / ``csv:`` / ``npz:`` and every split's images and labels are compared with the built-in
   dataset's by sha256, with the class names. ``--tiny``: the synthetic dataset in all three formats.
2. Load time of a folder of N PNGs (MNIST test images as 28x28 grayscale, white ink on black): the first
   read (files read, checked, cached) and a cached read (a new load in the same process after forgetting
   it: every file hashed, the arrays read from the cache), then the same as scans (dark ink on white,
   40x40), where every image goes through predict's glyph function on the first read.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import tempfile
import time
from pathlib import Path

import _common
import numpy as np
from rich.console import Console
from rich.table import Table

SPLITS = ("x_train", "y_train", "x_val", "y_val", "x_test", "y_test")


def digest(data) -> str:
    """One sha256 over every split's array (shape, dtype, bytes)."""
    h = hashlib.sha256()
    for name in SPLITS:
        array = np.ascontiguousarray(getattr(data, name))
        h.update(f"{name}{array.shape}{array.dtype}".encode())
        h.update(array.tobytes())
    return h.hexdigest()


def write_pngs(folder: Path, x: np.ndarray, y: np.ndarray, names) -> None:
    from PIL import Image

    counts: dict[int, int] = {}
    for image, label in zip(x, y):
        index = counts[int(label)] = counts.get(int(label), -1) + 1
        (folder / names[label]).mkdir(parents=True, exist_ok=True)
        Image.fromarray(image).save(folder / names[label] / f"{index:05d}.png")


def write_csv(path: Path, x: np.ndarray, labels: np.ndarray) -> None:
    """Kaggle's EMNIST layout: label, then the pixels as NIST stores them (transposed)."""
    rows = np.concatenate([labels[:, None], x.transpose(0, 2, 1).reshape(len(x), -1)], axis=1)
    with open(path, "w") as handle:
        for row in rows:
            handle.write(",".join(map(str, row.tolist())) + "\n")


def conversions(tmp: Path, data_dir: str | None, tiny: bool) -> list[tuple[str, str, str]]:
    """(built-in name, source spec, what was written) for each conversion."""
    from emnist_tuner.data.datasets import get_info
    from emnist_tuner.data.files import locate_all
    from emnist_tuner.data.idx import read_alphadigits, read_idx_pair

    if tiny:  # the synthetic dataset; the folder is read class by class, so its reference is sorted so too
        from emnist_tuner.data.synthetic import synthetic_arrays

        x, y, xt, yt = synthetic_arrays()
        letters = np.asarray(list("ABCDEFGHIJ"))
        np.savez(tmp / "synthetic.npz", x_train=x, y_train=y, x_test=xt, y_test=yt, class_names=letters)
        (tmp / "emnist-synthetic-mapping.txt").write_text("".join(f"{i + 1} {65 + i}\n" for i in range(10)))
        write_csv(tmp / "emnist-synthetic-train.csv", x, y + 1)
        write_csv(tmp / "emnist-synthetic-test.csv", xt, yt + 1)
        by_class, test_by_class = np.argsort(y, kind="stable"), np.argsort(yt, kind="stable")
        np.savez(
            tmp / "by-class.npz",
            **{"x_train": x[by_class], "y_train": y[by_class], "x_test": xt[test_by_class]},
            **{"y_test": yt[test_by_class], "class_names": letters},
        )
        write_pngs(tmp / "synthetic" / "train", x, y, letters)
        write_pngs(tmp / "synthetic" / "test", xt, yt, letters)
        return [
            ("synthetic", f"npz:{tmp / 'synthetic.npz'}", ".npz with class_names (the arrays only)"),
            (f"npz:{tmp / 'synthetic.npz'}", f"csv:{tmp / 'emnist-synthetic-train.csv'}", "CSVs (transposed), mapping"),
            (f"npz:{tmp / 'by-class.npz'}", f"folder:{tmp / 'synthetic'}", "PNGs in train/ and test/ class folders"),
        ]
    info = get_info("binary-alphadigits")
    mat = locate_all(info.files, data_dir=data_dir)[info.files[0].name]
    x, y = read_alphadigits(mat)
    write_pngs(tmp / "alphadigits", x * np.uint8(255), y, info.class_names)
    sample = get_info("emnist-letters-sample")
    files = locate_all(sample.files, data_dir=data_dir)
    x, y = read_idx_pair(*(files[f.name] for f in sample.files), (28, 28))
    write_csv(tmp / "emnist-letters-sample-train.csv", x.transpose(0, 2, 1), y)  # as stored: transposed twice
    mapping = files[sample.files[0].name].parent / "emnist-letters-mapping.txt"
    (tmp / "emnist-letters-sample-mapping.txt").write_bytes(mapping.read_bytes())
    raw = locate_all(get_info("mnist").files, data_dir=data_dir)
    names = [f.name for f in get_info("mnist").files]
    xr, yr = read_idx_pair(raw[names[0]], raw[names[1]], (28, 28))
    xt, yt = read_idx_pair(raw[names[2]], raw[names[3]], (28, 28))
    np.savez(tmp / "mnist.npz", x_train=xr, y_train=yr, x_test=xt, y_test=yt)
    return [
        ("binary-alphadigits", f"folder:{tmp / 'alphadigits'}", "1,404 PNGs (20x16, 0/255) in 36 class folders"),
        ("emnist-letters-sample", f"csv:{tmp / 'emnist-letters-sample-train.csv'}", "CSV (transposed) + mapping"),
        ("mnist", f"npz:{tmp / 'mnist.npz'}", ".npz: x_train, y_train, x_test, y_test"),
    ]


def compare(rows, data_dir: str | None) -> tuple[Table, bool]:
    """The table of (reference, source) pairs: sha256 of all six arrays of each, and their class names;
    whether every pair is the same."""
    from emnist_tuner.data.datasets import load_dataset

    table = Table(title="Same arrays as the built-in loader (sha256 over x/y of train, val, test; seed 0)")
    for column in ("reference", "as", "written", "reference sha256", "source sha256", "arrays", "class names"):
        table.add_column(column)
    same = True
    for name, spec, what in rows:
        theirs, ours = load_dataset(name, data_dir=data_dir), load_dataset(spec)
        arrays, names = digest(theirs) == digest(ours), theirs.info.class_names == ours.info.class_names
        same = same and arrays and (names or name == "synthetic")
        reference = name if ":" not in name else f"{name.split(':')[0]} {Path(name).name}"
        table.add_row(
            reference,
            spec.split(":")[0],
            what,
            digest(theirs)[:16],
            digest(ours)[:16],
            "same" if arrays else "DIFFERENT",
            "same" if names else f"{ours.info.class_names[0]}.. (not {theirs.info.class_names[0]}..)",
        )
    return table, same


def timings(tmp: Path, data_dir: str | None, images: int, tiny: bool) -> Table:
    from emnist_tuner.data import sources
    from emnist_tuner.data.datasets import load_dataset

    if tiny:
        data = load_dataset("synthetic")
    else:
        data = load_dataset("mnist", data_dir=data_dir)
    x, y = data.x_test[:images], data.y_test[:images]
    names = data.info.class_names
    write_pngs(tmp / "ready", x, y, names)
    scans = 255 - np.pad(x, ((0, 0), (6, 6), (6, 6)))  # dark ink on white, 40x40: not a model's size
    write_pngs(tmp / "scans", scans, y, names)
    table = Table(title=f"Reading a folder of {len(x):,} PNGs")
    for column in ("folder", "first read s", "cached read s", "files hashed", "cache entry"):
        table.add_column(column)
    for folder, what in (("ready", "28x28, white on black (as they are)"), ("scans", "40x40 scans (glyph function)")):
        spec = f"folder:{tmp / folder}"
        started = time.perf_counter()
        sources.load_source(spec)
        first = time.perf_counter() - started
        sources.forget()
        started = time.perf_counter()
        source = sources.load_source(spec)
        cached = time.perf_counter() - started
        assert source.cached
        size = sources.cache_entry(spec).stat().st_size
        table.add_row(what, f"{first:.2f}", f"{cached:.2f}", f"{len(source.content.entries):,}", f"{size:,} bytes")
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiny", action="store_true", help="the synthetic dataset (no data folder needed)")
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--images", type=int, default=10_000, help="images in the timed folder")
    parser.add_argument("--no-timing", action="store_true", help="only the array comparison")
    args = parser.parse_args()
    data_dir = None if args.tiny else args.data_dir or _common.default_data_dir()
    console = Console(width=int(os.environ.get("COLUMNS", 160)))
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        os.environ["EMNIST_TUNER_CACHE"] = str(tmp / "cache")  # a cold cache, removed afterwards
        (tmp / "converted").mkdir()
        rows = conversions(tmp / "converted", data_dir, args.tiny)
        table, same = compare(rows, data_dir)
        console.print(table)
        if not args.no_timing:
            console.print(timings(tmp / "timed", data_dir, args.images, args.tiny))
        verdict = "all" if same else "NOT all"
        console.print(f"machine: {os.cpu_count()} cores; {verdict} conversions give the same arrays")
        print("same arrays" if same else "DIFFERENT arrays")


if __name__ == "__main__":
    main()
