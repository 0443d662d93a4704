"""README.md as a test: how each of its commands and Python blocks runs (the one place that says it), and
why the few that do not run are skipped.

The session commands run in README order in one folder, as a reader following the README would, but
tiny: the search is a Hyperband search of 5 trials on the synthetic dataset, and every command that
reads a run (leaderboard, report, plot, runs, compare, retrain, transfer, predict, export, the Python
blocks) reads the run folders the README's own commands made there. Two run folders the README uses
but none of its commands makes are stand-ins (``prepare``): ``runs/quick-emnist-sample`` is the tiny
search itself (so that ``retrain`` of it gives ``transfer runs/quick-mnist`` its MNIST backbone), and
``runs/train-convnet-mnist`` the tiny ``train`` run.
"""

from __future__ import annotations

import re
from pathlib import Path

from markdown_run import Page, Tiny
from optional import SHARED_DATA

import emnist_tuner as et

REPO = Path(__file__).resolve().parents[2]


# ------------------------------------------------------------------------------ folders and files


def stand_ins(folder: Path) -> None:
    (folder / "runs").mkdir(exist_ok=True)
    (folder / "runs" / "quick-emnist-sample").symlink_to("quick-mnist")
    (folder / "runs" / "train-convnet-mnist").symlink_to("convnet-mnist")


def truncated_mnist(folder: Path) -> None:
    """`broken/`: a truncated MNIST file (4,000,000 bytes of the real file's 9,912,422)."""
    path = folder / "broken" / "mnist" / "train-images-idx3-ubyte.gz"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(bytes(4_000_000))


def _glyph_scan(index: int):
    """A synthetic test glyph as a scan: dark ink on white, 64 px, off-centre (PIL image)."""
    import numpy as np
    from PIL import Image

    from emnist_tuner.data.datasets import load_dataset

    glyph = load_dataset("synthetic").x_test[index]
    page = np.zeros((90, 80), np.uint8)
    page[10 + index : 74 + index, 5 + 2 * index : 69 + 2 * index] = np.asarray(Image.fromarray(glyph).resize((64, 64)))
    return Image.fromarray(255 - page)


def scans(folder: Path) -> None:
    """`scans/`: 4 test glyphs as scans, PNG and JPEG (the run is on the synthetic glyphs, not MNIST)."""
    (folder / "scans").mkdir(exist_ok=True)
    for i in range(4):
        _glyph_scan(i).save(folder / "scans" / f"{i:05d}.{'jpg' if i % 2 else 'png'}")


def notes(folder: Path) -> None:
    (folder / "notes.txt").write_text("not an image\n")


def my_digit(folder: Path) -> None:
    _glyph_scan(0).save(folder / "my-digit.png")


def notebook_ran_as_printed(folder: Path, stdout: str) -> list[str]:
    """The notebook example: what it printed is what the run folder holds (every trial completed, the
    printed accuracy the final model's)."""
    run = et.open_run(folder / "runs" / "notebook")
    printed = float(re.search(r"held-out test accuracy (0\.\d{4})", stdout).group(1))
    problems = []
    if [row["status"] for row in run.leaderboard()] != ["completed"] * 5:
        problems.append(f"not 5 completed trials: {[row['status'] for row in run.leaderboard()]}")
    if abs(run.result()["test_accuracy"] - printed) > 1e-4:
        problems.append(f"printed {printed}, final.json says {run.result()['test_accuracy']}")
    return problems


# ------------------------------------------------------------------------------ how each one runs

SEARCH = "--dataset synthetic --run-dir runs/quick-mnist --max-epochs 2 --factor 2 --subset 300"

TINY = {
    # Not a session: each runs alone in a fresh folder (fast).
    "emnist-tuner leaderbord runs/quick-mnist": Tiny(session=False, exit=2),
    "emnist-tuner search --dataset mnist --run-dir runs/x --subset 1000 --all-data": Tiny(session=False, exit=2),
    "emnist-tuner data --data-dir ../shared/data": Tiny(session=False, check="masked", realdata=True),
    "emnist-tuner data --data-dir broken/": Tiny(session=False, exit=1, setup=truncated_mnist),
    "emnist-tuner presets": Tiny(session=False),
    # The session, in README order.
    "emnist-tuner train --preset convnet --dataset mnist --run-dir runs/convnet-mnist": Tiny(
        run="emnist-tuner train --preset convnet --dataset synthetic --run-dir runs/convnet-mnist --epochs 2",
        check="masked",
        subs=(("preset convnet on mnist:", "preset convnet on synthetic:"),),
        files=("runs/convnet-mnist/model.keras", "runs/convnet-mnist/metrics.json"),
    ),
    "emnist-tuner search --dataset mnist --run-dir runs/quick-mnist": Tiny(
        run=f"emnist-tuner search {SEARCH}",
        check="masked",
        subs=(("data: mnist:", "data: synthetic:"),),
    ),
    "emnist-tuner search --dataset mnist --run-dir runs/quick-mnist --ensemble 3": Tiny(
        run=f"emnist-tuner search {SEARCH} --ensemble 3", check="masked"
    ),
    "emnist-tuner leaderboard runs/quick-mnist --top 5": Tiny(check="shape", vary_after="time"),
    "emnist-tuner report runs/quick-emnist-sample": Tiny(check="shape"),
    "emnist-tuner plot runs/quick-mnist": Tiny(
        check="masked",
        # 5 trials are too few for the importance figures: the tiny run names them instead of drawing them
        subs=(
            (
                "wrote plots/quick-mnist/importance.png\nwrote plots/quick-mnist/effects.png\n",
                "",
            ),
            (
                "transfer: not drawn",
                "importance, effects: not drawn: fewer than four completed trials\ntransfer: not drawn",
            ),
        ),
    ),
    "emnist-tuner runs": Tiny(check="shape"),
    "emnist-tuner compare runs/quick-mnist runs/train-convnet-mnist": Tiny(check="shape"),
    "emnist-tuner retrain runs/quick-emnist-sample --data-dir ../shared/data": Tiny(
        run="emnist-tuner retrain runs/quick-emnist-sample --data-dir ../shared/data --epochs 1 --subset 500",
        check="masked",
        realdata=True,
        subs=(("(searched on emnist-letters-sample)", "(searched on synthetic)"),),
    ),
    "emnist-tuner transfer runs/quick-mnist --seeds 3": Tiny(
        run="emnist-tuner transfer runs/quick-mnist --seeds 1 --folds 2 --head-epochs 1 --fine-tune-epochs 1"
        " --scratch-epochs 1 --data-dir ../shared/data",
        check="shape",
        realdata=True,
    ),
    "emnist-tuner ablate --dataset mnist --subset 10000 --epochs 6 --run-dir runs/ablate-model1-mnist": Tiny(
        run="emnist-tuner ablate --dataset synthetic --subset 500 --epochs 1 --seeds 2 --methods dropout"
        " --run-dir runs/ablate-model1-mnist",
        check="shape",
        subs=(("on mnist:", "on synthetic:"),),
    ),
    "emnist-tuner predict runs/quick-mnist scans/ --top 2": Tiny(check="shape", setup=scans),
    "emnist-tuner predict runs/quick-mnist notes.txt scans/": Tiny(exit=1, setup=notes),
    "emnist-tuner export runs/quick-mnist --format onnx --out winner.onnx --data-dir ../shared/data": Tiny(
        check="masked",
        subs=(("mnist test images", "synthetic test images"),),
        files=("winner.onnx", "winner.onnx.card.json"),
    ),
    "python: emnist-tuner export SOURCE --format keras|saved_model|onnx|litert --out PATH [--data-dir DIR] #1": Tiny(
        setup=my_digit, expect=(r"(?m)^g\d \d\.\d{3}$",)
    ),
    "python: From Python / a notebook #1": Tiny(
        edits=(('"mnist"', '"synthetic"'),),  # no data files needed; the rest as written
        expect=(
            r"held-out test accuracy 0\.\d{4} \(200 images\)",
            r"(?m)^search completed 2$",
            r"(?m)^(\d{4} completed 0\.\d+ \d\n){3}",
            r"(?m)^\d+ parameters$",
        ),
        files=("runs/notebook/final.json", "plots/notebook/history.png", "plots/notebook/pareto.png"),
        after=notebook_ran_as_printed,
    ),
}

INSTALL = "installation (network; root for apt): CI's `make test` on a fresh clone installs the package"
DISTRIBUTED = (
    "a distributed search: a chief and workers on several machines or GPUs with `--profile full`; "
    "tests/hyperband/test_distributed.py runs a chief and two workers on one machine"
)
SKIPPED = {
    "make run": "the set-up plus a real 10-minute search on MNIST; its two commands (search, leaderboard) run here",
    "make test": "this test suite itself",
    "make test-jax": "part of this test suite (make test runs it: tests/test_jax_backend.py)",
    "make lint": "part of this test suite (make test runs it first)",
    "make mutants": "mutation testing: minutes of mutmut over the fast tests (TESTING.md), not a README promise",
    '.venv/bin/python -m pytest -q -m "not slow"': "this test suite itself (its fast part)",
    "python3 -m venv .venv": INSTALL,
    ".venv/bin/pip install -e '.[cpu]'": INSTALL,
    ".venv/bin/pip install -e '.[gpu]'": INSTALL + " (and this one needs an NVIDIA GPU)",
    ".venv/bin/pip install -e '.[cpu,dev]'": INSTALL,
    "sudo apt install libtcmalloc-minimal4": INSTALL + " (.ci/run installs this one)",
    "emnist-tuner search --dataset mnist --profile full --run-dir /shared/runs/mnist --role chief "
    "--oracle 0.0.0.0:8000": DISTRIBUTED,
    "CUDA_VISIBLE_DEVICES=0 emnist-tuner search --dataset mnist --profile full --run-dir /shared/runs/mnist "
    '--role worker --worker-id "$(hostname)-gpu0" --oracle 10.0.0.5:8000 &': DISTRIBUTED,
    "CUDA_VISIBLE_DEVICES=1 emnist-tuner search --dataset mnist --profile full --run-dir /shared/runs/mnist "
    '--role worker --worker-id "$(hostname)-gpu1" --oracle 10.0.0.5:8000 &': DISTRIBUTED,
}

# Options named in the README's text that are not the CLI's.
NOT_CLI_OPTIONS = {"--tiny": "the benchmark scripts' option (bench/*.py --tiny), not a command's"}
# Options the README documents that the CLI lacks: a bug in the code (the test flips when it is fixed).
OPTION_BUGS: dict[str, str] = {}  # inline option -> a known bug that makes it fail (strict xfail)

PAGE = Page(
    path=REPO / "README.md",
    tiny=TINY,
    skipped=SKIPPED,
    # Without the real data folder, `--data-dir` points at the run's own folder (the synthetic data needs none).
    rewrites={"../shared/data": str(SHARED_DATA) if SHARED_DATA else "."},
    prepare=stand_ins,
)
