"""The docs site's pages as a test: for each page of docs/ with commands or Python blocks, how each one runs
(the one place that says it) or why it is skipped, in the form of tests/docs/readme_page.py's README map.

``SITE`` is README.md followed by the docs pages in the order of mkdocs.yml's ``nav``: their session commands
run in that order in one folder (the README's tour first: search, leaderboard, report, plot, predict,
export). A command that the README's tour runs and a reference page shows again is not run twice: the page's
entry says ``same_as="README.md"`` and its own shown output is compared with the README's run.
"""

from __future__ import annotations

import re
from pathlib import Path

from markdown_run import Page, Site, Tiny
from readme_page import (
    PAGE,
    PLOT_SUBS,
    REPO,
    REWRITES,
    SEARCH,
    SERVE,
    SET_UP,
    my_digit,
    notebook_ran_as_printed,
    notes,
    truncated_mnist,
)

DOCS = REPO / "docs"
README = "README.md"

DISTRIBUTED = (
    "a distributed search: a chief and workers on several machines or GPUs with `--profile full`; "
    "tests/hyperband/test_distributed.py runs a chief and two workers on one machine, "
    "tests/hyperband/test_oracle_security.py a chief with a token and TLS"
)
LOCAL_WORKERS = (
    "a search with local workers (minutes of real searches); tests/hyperband/test_local_workers.py runs "
    "--workers 2, kills a worker, stops all with Ctrl-C and resumes on one"
)
OPENSSL = (
    "openssl, not emnist-tuner (its progress dots on stderr); tests/hyperband/test_oracle_security.py makes a "
    "self-signed certificate naming the chief's address and serves the oracle with it"
)
MLFLOW_SEARCH = (
    "a real search logged as it goes; tests/cli/test_cli_mlflow.py::test_a_search_is_logged_as_it_goes and "
    "tests/tracking/test_during_search.py run it on the synthetic dataset"
)
MLFLOW_PAGE = "docs/commands/mlflow.md"

EMNIST = ("emnist-letters", "emnist-balanced", "emnist-byclass", "emnist-bymerge", "emnist-digits", "emnist-mnist")
SPACE_PAGE = "docs/guides/search-space.md"
UNION = "mnist+emnist-letters-sample"
TINY_RETRAIN = "--epochs 1 --subset 500 --data-dir ../shared/data"
TINY_ENSEMBLE = (
    "--folds 2 --head-epochs 1 --fine-tune-epochs 1 --scratch-epochs 1 --ensemble 2 --tta 3 --data-dir ../shared/data"
)


def toml_file(label: str, index: int, name: str):
    """A setup writing the page's ``index``-th TOML block (1-based) as ``name``: the file a command of the
    page reads is the one the page shows."""

    def setup(folder: Path) -> None:
        blocks = re.findall(r"(?ms)^```toml\n(.*?)^```", (REPO / label).read_text())
        (folder / name).write_text(blocks[index - 1])

    return setup


def empty_folder(folder: Path) -> None:
    (folder / "empty").mkdir()


def shapes_npz(folder: Path) -> None:
    """The 60-image, 3-class .npz that docs/commands/data.md describes (no test split of its own)."""
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (60, 28, 28), dtype=np.uint8)
    names = np.array(["circle", "square", "triangle"])
    np.savez(folder / "shapes.npz", x_train=x, y_train=np.repeat(np.arange(3), 20), class_names=names)


def nothing_written(folder: Path, stdout: str) -> list[str]:
    return ["runs/new was created by a refused command"] if (folder / "runs" / "new").exists() else []


# page (its path in the repository) -> (how each command/block runs, why the others are skipped)
MAPS: dict[str, tuple[dict[str, Tiny], dict[str, str]]] = {
    "docs/index.md": ({}, dict(SET_UP)),
    "docs/commands/index.md": (
        {
            # each alone in a fresh folder (fast)
            "emnist-tuner leaderbord runs/quick-mnist": Tiny(session=False, exit=2),
            "emnist-tuner search --dataset mnist --run-dir runs/x --subset 1000 --all-data": Tiny(
                session=False, exit=2
            ),
        },
        {},
    ),
    "docs/commands/data.md": (
        {
            "emnist-tuner data --data-dir ../shared/data": Tiny(
                session=False,
                check="masked",
                realdata=True,
                subs=tuple((f"~/.cache/emnist-tuner/{name}", "…") for name in EMNIST),  # the test has its own cache
            ),
            "emnist-tuner data --data-dir broken/": Tiny(session=False, exit=1, setup=truncated_mnist),
            "emnist-tuner presets": Tiny(session=False),
            "emnist-tuner data --dataset npz:shapes.npz": Tiny(session=False, check="shape", setup=shapes_npz),
        },
        {},
    ),
    "docs/commands/train.md": (
        {
            "emnist-tuner train --preset convnet --dataset mnist --run-dir runs/convnet-mnist": Tiny(
                run="emnist-tuner train --preset convnet --dataset synthetic --run-dir runs/convnet-mnist --epochs 2",
                check="masked",
                subs=(("preset convnet on mnist:", "preset convnet on synthetic:"),),
                files=("runs/convnet-mnist/model.keras", "runs/convnet-mnist/metrics.json"),
            ),
        },
        {},
    ),
    "docs/commands/search.md": (
        {
            "emnist-tuner search --dataset mnist --run-dir runs/quick-mnist": Tiny(
                same_as=README, check="masked", subs=(("data: mnist:", "data: synthetic:"),)
            ),
            "emnist-tuner search --dataset synthetic --run-dir runs/new --time-budget 5x": Tiny(
                session=False, exit=2, after=nothing_written
            ),
            "emnist-tuner search --dataset synthetic --run-dir runs/new --time-budget-hard": Tiny(
                session=False, exit=2, after=nothing_written
            ),
            "emnist-tuner search --dataset synthetic --run-dir runs/new --workers 0": Tiny(
                session=False, exit=2, after=nothing_written
            ),
        },
        {},
    ),
    "docs/commands/final-training.md": (
        {
            "emnist-tuner search --dataset mnist --run-dir runs/quick-mnist --ensemble 3": Tiny(
                run=f"emnist-tuner search {SEARCH} --ensemble 3", check="masked"
            ),
        },
        {},
    ),
    "docs/commands/leaderboard.md": (
        {"emnist-tuner leaderboard runs/quick-mnist --top 5": Tiny(same_as=README, check="shape", vary_after="time")},
        {},
    ),
    "docs/commands/report.md": ({"emnist-tuner report runs/quick-emnist-sample": Tiny(check="shape")}, {}),
    "docs/commands/plot.md": (
        {"emnist-tuner plot runs/quick-mnist": Tiny(same_as=README, check="masked", subs=PLOT_SUBS)},
        {},
    ),
    "docs/commands/runs-compare.md": (
        {
            "emnist-tuner runs": Tiny(check="shape"),
            "emnist-tuner compare runs/quick-mnist runs/train-convnet-mnist": Tiny(check="shape"),
        },
        {},
    ),
    "docs/commands/serve.md": (
        {
            "emnist-tuner serve -h": Tiny(session=False),
            "emnist-tuner serve nosuch": Tiny(session=False, exit=1),
            "emnist-tuner serve empty": Tiny(session=False, exit=1, setup=empty_folder),
            "emnist-tuner serve runs --port 70000": Tiny(session=False, exit=2),
        },
        {
            "emnist-tuner serve runs": SERVE,
            "emnist-tuner serve runs --host 0.0.0.0 --port 8080": SERVE
            + "; tests/cli/test_cli_serve.py::test_another_host_is_warned_about checks this warning",
            "curl -s -X POST --data-binary @two.png 'http://127.0.0.1:8765/api/predict/quick-mnist?name=two.png'": (
                "needs a running server; tests/web/test_try_page.py posts images to /api/predict/RUN and compares "
                "the answer with predict's"
            ),
        },
    ),
    "docs/commands/retrain-transfer.md": (
        {
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
            "emnist-tuner transfer runs/quick-mnist --to nope": Tiny(session=False, exit=2),
            "emnist-tuner transfer runs/quick-mnist --ensemble 0": Tiny(session=False, exit=2),
            "emnist-tuner transfer runs/quick-mnist --tta 0": Tiny(session=False, exit=2),
            "emnist-tuner transfer runs/quick-mnist --tta 2 --augment none": Tiny(session=False, exit=2),
            # A backbone that has seen letters: the page's commands are tiny already, run as written
            "emnist-tuner train --preset dense --dataset synthetic --epochs 1 --run-dir runs/dense-tiny": Tiny(
                check="masked"
            ),
            f"emnist-tuner retrain runs/dense-tiny --dataset {UNION} {TINY_RETRAIN}": Tiny(
                check="masked", realdata=True, files=(f"runs/dense-tiny/{UNION}/backbone.keras",)
            ),
            f"emnist-tuner retrain runs/dense-tiny {TINY_RETRAIN}": Tiny(check="masked", realdata=True),
            f"emnist-tuner transfer runs/dense-tiny --backbone {UNION} {TINY_ENSEMBLE}": Tiny(
                check="masked",
                realdata=True,
                files=(f"runs/dense-tiny/transfer-{UNION}/members/fold-2-seed-0-member-1-transfer.npz",),
            ),
            f"emnist-tuner transfer runs/dense-tiny {TINY_ENSEMBLE}": Tiny(check="masked", realdata=True),
        },
        {},
    ),
    "docs/commands/ablate.md": (
        {
            "emnist-tuner ablate --dataset mnist --subset 10000 --epochs 6 --run-dir runs/ablate-model1-mnist": Tiny(
                run="emnist-tuner ablate --dataset synthetic --subset 500 --epochs 1 --seeds 2 --methods dropout"
                " --run-dir runs/ablate-model1-mnist",
                check="shape",
                subs=(("on mnist:", "on synthetic:"),),
            ),
        },
        {},
    ),
    "docs/commands/predict-export.md": (
        {
            "emnist-tuner predict runs/quick-mnist scans/ --top 2": Tiny(same_as=README, check="shape"),
            "emnist-tuner predict runs/quick-mnist notes.txt scans/": Tiny(exit=1, setup=notes),
            "emnist-tuner export runs/quick-mnist --format onnx --out winner.onnx --data-dir ../shared/data": Tiny(
                same_as=README,
                check="masked",
                subs=(("mnist test images", "synthetic test images"),),
                files=("winner.onnx", "winner.onnx.card.json"),
            ),
            "python: Use the model from your own code #1": Tiny(setup=my_digit, expect=(r"(?m)^g\d \d\.\d{3}$",)),
        },
        {},
    ),
    MLFLOW_PAGE: (
        {
            "emnist-tuner mlflow runs/quick-mnist --uri mlruns": Tiny(
                check="masked",
                subs=(("file:///home/me/mlruns", "file://mlruns"), ("f7eea4396fba4840ac3d5ca529eea26d", "…")),
            ),
            "emnist-tuner search --dataset synthetic --run-dir runs/new --mlflow ftp://x": Tiny(
                session=False, exit=2, after=nothing_written
            ),
            "python: From Python #1": Tiny(
                edits=(
                    (
                        "from mlflow import",
                        "import os\nos.environ['MLFLOW_ALLOW_FILE_STORE'] = 'true'\nfrom mlflow import",
                    ),
                ),
                expect=(r"(?m)^quick-mnist FINISHED 0\.\d+$", r"(?m)^trial \d{4} 0\.\d+ \[\(\d+, 0\.\d+\)"),
            ),
        },
        {"emnist-tuner search --dataset mnist --run-dir runs/quick-mnist --mlflow mlruns": MLFLOW_SEARCH},
    ),
    "docs/guides/distributed.md": (
        {
            "emnist-tuner search --dataset synthetic --run-dir runs/new --role chief --oracle 0.0.0.0:8000": Tiny(
                session=False, exit=2, after=nothing_written
            ),
        },
        {
            "emnist-tuner search --dataset mnist --profile quick --run-dir runs/q --workers 2": LOCAL_WORKERS,
            "emnist-tuner search --dataset mnist --profile full --run-dir runs/f --workers auto": LOCAL_WORKERS,
            "emnist-tuner resume runs/q --workers 4": LOCAL_WORKERS,
            "openssl rand -hex 32 > token && chmod 600 token": OPENSSL,
            "openssl req -x509 -newkey rsa:2048 -nodes -days 365 -keyout chief.key -out chief.crt "
            '-subj "/CN=emnist-tuner '
            'chief" -addext "subjectAltName=IP:10.0.0.5,DNS:chief.example"': OPENSSL,
            "emnist-tuner search --dataset mnist --profile full --run-dir /shared/runs/mnist --role chief "
            "--oracle 0.0.0.0:8000 --token-file token --tls-cert chief.crt --tls-key chief.key": DISTRIBUTED,
            "CUDA_VISIBLE_DEVICES=0 emnist-tuner search --dataset mnist --profile full --run-dir /shared/runs/mnist "
            '--role worker --worker-id "$(hostname)-gpu0" --oracle 10.0.0.5:8000 --token-file token '
            "--tls-ca chief.crt &": (DISTRIBUTED),
            "CUDA_VISIBLE_DEVICES=1 emnist-tuner search --dataset mnist --profile full --run-dir /shared/runs/mnist "
            '--role worker --worker-id "$(hostname)-gpu1" --oracle 10.0.0.5:8000 --token-file token '
            "--tls-ca chief.crt &": (DISTRIBUTED),
        },
    ),
    "docs/guides/data.md": (
        {
            "emnist-tuner data --dataset mnist+emnist-letters-sample --data-dir ../shared/data": Tiny(
                session=False, check="masked", realdata=True
            ),
            "emnist-tuner data --dataset mnist+mnist": Tiny(session=False, exit=2),
            "emnist-tuner data --dataset mnist+binary-alphadigits": Tiny(session=False, exit=2),
            "python: Your own data #1": Tiny(files=("shapes.csv",)),
            "emnist-tuner train --preset dense --dataset csv:shapes.csv --run-dir runs/shapes --epochs 1": Tiny(
                check="masked",
                subs=(("csv:/home/me/shapes.csv", "csv:shapes.csv"),),
                files=("runs/shapes/model.keras",),
            ),
        },
        {},
    ),
    SPACE_PAGE: (
        {
            "emnist-tuner presets --space space.toml": Tiny(
                session=False, setup=toml_file(SPACE_PAGE, 1, "space.toml")
            ),
            "emnist-tuner search --dataset synthetic --run-dir runs/tiny --max-epochs 2 --factor 2 --subset 500 "
            "--space tiny.toml": Tiny(check="masked", setup=toml_file(SPACE_PAGE, 2, "tiny.toml")),
            "emnist-tuner report runs/tiny": Tiny(check="masked"),
            "emnist-tuner search --dataset synthetic --run-dir runs/new --space bad.toml": Tiny(
                session=False, exit=2, setup=toml_file(SPACE_PAGE, 3, "bad.toml"), after=nothing_written
            ),
            "emnist-tuner presets --space missing.toml": Tiny(session=False, exit=2),
            "python: From Python #1": Tiny(
                session=False,
                expect=(
                    r"(?m)^\{'fixed': \{'batch_norm': True\}, 'choices': \{'conv_blocks': \[2, 3\]\}\}$",
                    r"(?m)^space= \[ranges\] learning_rate: 1e-05 is not a number in 0\.0001\.\.0\.01 "
                    r"\(log sampling\)$",
                ),
            ),
        },
        {},
    ),
    "docs/guides/python-api.md": (
        {
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
        },
        {},
    ),
    "docs/development.md": (
        {},
        {
            "make test": "this test suite itself",
            "make test-jax": "part of this test suite (make test runs it: tests/test_jax_backend.py)",
            "make lint": "part of this test suite (make test runs it first)",
            "make docs": "part of make test (mkdocs build --strict, before the test suite): CI builds the site",
            "make mutants": "mutation testing: minutes of mutmut over the fast tests (TESTING.md), no page's promise",
            '.venv/bin/python -m pytest -q -m "not slow"': "this test suite itself (its fast part)",
        },
    ),
}


def nav_pages() -> list[str]:
    """The docs pages in mkdocs.yml's nav order, as paths in the repository."""
    nav = (REPO / "mkdocs.yml").read_text().split("\nnav:", 1)[1]
    return [f"docs/{path}" for path in re.findall(r":\s*(\S+\.md)\s*$", nav, flags=re.M)]


def _page(label: str) -> Page:
    tiny, skipped = MAPS.get(label, ({}, {}))
    return Page(path=REPO / label, tiny=tiny, skipped=skipped, rewrites=REWRITES, label=label)


SITE = Site([PAGE, *(_page(label) for label in nav_pages())])
