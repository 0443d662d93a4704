"""Helpers for the tests: synthetic IDX files, checksummed stand-ins, an asymmetric glyph, a headless browser."""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pytest
from optional import require

from emnist_tuner.data.files import DataFile


def write_idx_gz(path: Path, array: np.ndarray) -> Path:
    """Write a uint8 array as a gzipped IDX file (labels 1-D, images 3-D)."""
    magic = 0x0801 if array.ndim == 1 else 0x0803
    header = magic.to_bytes(4, "big") + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wb") as handle:
        handle.write(header + np.ascontiguousarray(array, dtype=np.uint8).tobytes())
    return path


def spec_for(path: Path, like: DataFile) -> DataFile:
    """A copy of ``like`` whose checksum and size are those of ``path``."""
    data = path.read_bytes()
    return dataclasses.replace(like, sha256=hashlib.sha256(data).hexdigest(), size=len(data))


def glyph_f() -> np.ndarray:
    """An asymmetric 28x28 glyph (an 'F'): upright, top bar at the top, stem on the left."""
    img = np.zeros((28, 28), dtype=np.uint8)
    img[4:24, 6:9] = 255  # stem, left
    img[4:7, 6:20] = 255  # top bar
    img[12:15, 6:16] = 255  # middle bar
    return img


def run_cli(capsys, *args) -> tuple[int, str, str]:
    """Run the CLI in-process: (exit code, stdout, stderr)."""
    from emnist_tuner.cli import main

    with pytest.raises(SystemExit) as exit_info:
        main(list(args))
    out, err = capsys.readouterr()
    return exit_info.value.code or 0, out, err


def render(renderable, width: int = 100) -> str:
    """A rich renderable as plain text at a fixed width, without color."""
    import io

    from rich.console import Console

    console = Console(file=io.StringIO(), width=width, color_system=None, force_terminal=False)
    console.print(renderable)
    return console.file.getvalue()


def snapshot(folder: Path, skip: tuple[str, ...] = ()) -> dict:
    """Bytes and mtime of every file under ``folder`` (except names in ``skip``)."""
    return {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in folder.rglob("*") if p.is_file() and p.name not in skip}


def accuracy_of_saved_predictions(folder: Path, dataset: str = "synthetic", seed: int = 0) -> float:
    """The accuracy of ``folder``'s test_predictions.npy against the dataset's real test labels: what a
    run's reported test accuracy must equal."""
    from emnist_tuner.data.datasets import load_dataset

    predictions = np.load(folder / "test_predictions.npy")
    labels = load_dataset(dataset, seed=seed).y_test
    assert predictions.shape == labels.shape
    return float(np.mean(predictions == labels))


def write_split(folder: Path, name: str, per_class: tuple[int, int] = (2, 1), sha256: bool = True) -> list[DataFile]:
    """Tiny IDX files of EMNIST split ``name`` written the NIST way (images transposed, labels from 0,
    Letters' from 1) into ``folder``, and its registry files for them: with their sha256 and size, or
    (``sha256=False``) as a file without a published sha256 (size and IDX shape of the tiny file).

    Train has ``per_class[0]`` images of each class, test ``per_class[1]``; every image is the upright 'F'
    glyph with its label + 1 written into pixel (27, 27)."""
    from emnist_tuner.data.datasets import DATASETS

    info = DATASETS[name]
    arrays = []
    for n in per_class:
        labels = np.repeat(np.arange(info.num_classes), n)
        images = np.stack([glyph_f() for _ in labels])
        images[:, 27, 27] = labels + 1
        first = 1 if name == "emnist-letters" else 0  # EMNIST's files: Letters 1..26, every other split from 0
        arrays += [images.transpose(0, 2, 1), labels + first]  # NIST stores images transposed
    specs = []
    for spec, array in zip(info.files, arrays):
        spec = spec_for(write_idx_gz(folder / spec.subdir / spec.name, array), spec)
        specs.append(spec if sha256 else dataclasses.replace(spec, sha256="", idx_shape=array.shape))
    return specs


CHROMIUM, CHROMEDRIVER = shutil.which("chromium"), shutil.which("chromedriver")


def chromium(size: tuple[int, int] = (1280, 900)):
    """A headless Chromium (a window of ``size``) driven through chromedriver, or a skip (in CI a failure)
    saying what is missing."""
    missing = [name for name, path in (("chromium", CHROMIUM), ("chromedriver", CHROMEDRIVER)) if not path]
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        missing.append("the selenium package (pip install -e '.[dev]')")
    require(
        "browser",
        not missing,
        f"not installed: {', '.join(missing)} (Debian: apt-get install chromium chromium-driver)",
    )
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tempfile.mkdtemp(prefix='chromium-')}",
        f"--window-size={size[0]},{size[1]}",
    ):
        options.add_argument(flag)
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)


def saved_search(folder: Path, config) -> Path:
    """``folder`` made a search run folder holding ``config`` (with its space's fingerprint), as a search
    leaves it before its first trial."""
    from emnist_tuner.hyperband.space import fingerprint_for

    config.space = fingerprint_for(config)
    folder.mkdir()
    config.save(folder)
    return folder
