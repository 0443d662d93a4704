"""README.md as a test: how each of its commands and Python blocks runs (the one place that says it), and
why the few that do not run are skipped; and the helpers the docs site's pages share (tests/docs/docs_pages.py).

README.md and the docs site are one ``Site`` (tests/docs/docs_pages.py): the session commands run in reading
order, README first, in one folder, as a reader following the README and then the documentation would, but
tiny: the search is a Hyperband search of 5 trials on the synthetic dataset, and every command that reads a
run (leaderboard, report, plot, runs, compare, retrain, transfer, predict, export, the Python blocks) reads
the run folders the pages' own commands made there. Two run folders the pages use but none of their
commands makes are stand-ins (``prepare``): ``runs/quick-emnist-sample`` is the tiny search itself (so that
``retrain`` of it gives ``transfer runs/quick-mnist`` its MNIST backbone), and ``runs/train-convnet-mnist``
the tiny ``train`` run.
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

PLOT_SUBS = (
    # 5 trials are too few for the importance figures: the tiny run names them instead of drawing them
    (
        "wrote plots/quick-mnist/importance.png\nwrote plots/quick-mnist/effects.png\n",
        "",
    ),
    (
        "transfer: not drawn",
        "importance, effects: not drawn: not enough trials: no hyperparameter has two values each tried by 3 or "
        "more of the 5 completed trials\ntransfer: not drawn",
    ),
)

# The five-minute tour: the commands the docs pages show too run here, once (their pages say `same_as`).
TINY = {
    "emnist-tuner search --dataset mnist --run-dir runs/quick-mnist": Tiny(
        run=f"emnist-tuner search {SEARCH}", check="masked"
    ),
    "emnist-tuner leaderboard runs/quick-mnist --top 5": Tiny(check="shape", vary_after="time"),
    "emnist-tuner report runs/quick-mnist": Tiny(check="shape"),
    "emnist-tuner plot runs/quick-mnist": Tiny(check="masked", subs=PLOT_SUBS),
    "emnist-tuner predict runs/quick-mnist scans/ --top 2": Tiny(check="shape", setup=scans),
    "emnist-tuner export runs/quick-mnist --format onnx --out winner.onnx --data-dir ../shared/data": Tiny(
        check="masked",
        subs=(("mnist test images", "synthetic test images"),),
        files=("winner.onnx", "winner.onnx.card.json"),
    ),
}

INSTALL = "installation (network; root for apt): CI's `make test` on a fresh clone installs the package"
SET_UP = {
    "make run": "the set-up plus a real 15-minute search on MNIST; its two commands (search, leaderboard) run here",
    "make test": "this test suite itself",
    "python3 -m venv .venv": INSTALL,
    ".venv/bin/pip install -e '.[cpu]'": INSTALL,
    ".venv/bin/pip install -e '.[gpu]'": INSTALL + " (and this one needs an NVIDIA GPU)",
    ".venv/bin/pip install -e '.[cpu,dev]'": INSTALL,
    ".venv/bin/pip install -e '.[cpu,serve]'": INSTALL,
    ".venv/bin/pip install -e '.[cpu,mlflow]'": INSTALL,
    "sudo apt install libtcmalloc-minimal4": INSTALL + " (.ci/run installs this one)",
}
# `serve` runs until Ctrl-C: not a command a page can run to its end. tests/cli/test_cli_serve.py runs the real
# command in a subprocess (its first line, SIGINT and SIGTERM, exit 130, the warning for another --host);
# tests/web/ serve every page and endpoint, in Chromium too (tests/web/test_browser.py).
SERVE = "a server that runs until Ctrl-C; tests/cli/test_cli_serve.py runs it and stops it, tests/web/ its pages"
SKIPPED = {**SET_UP, "emnist-tuner serve runs": SERVE}

# Options named in the pages' text that are not the CLI's.
NOT_CLI_OPTIONS = {"--tiny": "the benchmark scripts' option (bench/*.py --tiny), not a command's"}
# Options the pages document that the CLI lacks: a bug in the code (the test flips when it is fixed).
OPTION_BUGS: dict[str, str] = {}  # "PAGE: command option" -> a known bug that makes it fail (strict xfail)
# Without the real data folder, `--data-dir` points at the run's own folder (the synthetic data needs none).
REWRITES = {"../shared/data": str(SHARED_DATA) if SHARED_DATA else "."}

PAGE = Page(
    path=REPO / "README.md",
    tiny=TINY,
    skipped=SKIPPED,
    rewrites=REWRITES,
    prepare=stand_ins,
)
