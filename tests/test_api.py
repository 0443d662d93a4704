"""The Python API: ``open_run`` reads every kind of run folder, raising the project's errors. (The notebook
example of docs/guides/python-api.md runs in tests/docs/test_pages.py, with every other block and command of
the README and the docs pages.)"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

import emnist_tuner as et
from emnist_tuner.errors import ConfigError, RunError
from emnist_tuner.runfolder.configs import SearchConfig

README = Path(__file__).resolve().parent.parent / "README.md"
FIXTURE = Path(__file__).resolve().parent / "fixtures" / "search-v0.1-killed"


def test_open_run_reads_an_old_run_folder():
    run = et.open_run(FIXTURE)
    assert run.kind == "search" and isinstance(run.config, SearchConfig) and run.state == "interrupted"
    assert [(r["trial_id"], r["status"]) for r in run.leaderboard()] == [("0000", "interrupted")]
    assert run.result() is None
    with pytest.raises(RunError, match="has no final model yet; finish it with: emnist-tuner resume"):
        run.best_model()


def test_the_api_raises_the_projects_errors(tmp_path):
    with pytest.raises(RunError, match=r"is not a run folder \(no such folder\)"):
        et.open_run(tmp_path / "nothing")
    with pytest.raises(ConfigError, match="unknown profile 'huge'"):
        et.search("synthetic", tmp_path / "run", profile="huge")
    with pytest.raises(ConfigError, match="^max_epochs= must be at least 1"):
        et.search("synthetic", tmp_path / "run", max_epochs=0)
    assert not (tmp_path / "run").exists()  # nothing written for a bad value


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda run: et.search("synthetic", run, factr=2), "search() has no keyword factr=; did you mean factor=?"),
        (
            lambda run: et.train("convnet", "synthetic", run, epoch=2),
            "train() has no keyword epoch=; did you mean epochs=",
        ),
        (lambda run: et.transfer(run, fold=3), "transfer() has no keyword fold=; did you mean folds=?"),
        (lambda run: et.transfer(run, too="mnist"), "transfer() has no keyword too=; did you mean to=?"),
        (lambda run: et.search_config("synthetic", max_epoch=3), "search_config() has no keyword max_epoch=; did you"),
        (lambda run: et.final_recipe(emma=False), "final_recipe() has no keyword emma=; did you mean ema=?"),
        (lambda run: et.predict(run, [], topk=2), "predict() has no keyword topk=; did you mean top="),
        (lambda run: et.export(run, "onnx", run / "m.onnx", data=None), "export() has no keyword data=; did you mean"),
        (lambda run: et.search("synthetic", run, zzz=1), "search() has no keyword zzz=; its keywords: all_data=, "),
        (lambda run: et.serve(run, prot=8000), "serve() has no keyword prot=; did you mean port=?"),
    ],
)
def test_a_misspelt_keyword_is_a_config_error_naming_the_nearest(tmp_path, call, message):
    with pytest.raises(ConfigError) as raised:
        call(tmp_path / "run")
    assert str(raised.value).startswith(message) and "\n" not in str(raised.value)
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda run: et.search("synthetic", run, factor=1), "factor= must be at least 2, got 1"),
        (lambda run: et.search("synthetic", run, subset=50, all_data=True), "subset= and all_data= contradict"),
        (lambda run: et.train("convnet", "synthetic", run, batch_size=0), "batch_size= must be at least 1, got 0"),
        (lambda run: et.final_recipe(warmup_epochs=-1), "warmup_epochs= must be at least 0"),
        (lambda run: et.export(run, "pdf", run / "m"), "fmt= must be one of keras, saved_model, onnx, litert"),
        (lambda run: et.ablate(run, "synthetic", seeds=0), "seeds= must be at least 1, got 0"),
        (lambda run: et.serve(run, port=0), "port= must be between 1 and 65535, got 0"),
        (lambda run: et.transfer(run, to="nope"), "to=: unknown dataset 'nope'; known: "),
        (lambda run: et.transfer(run, backbone="nope"), "backbone= must be one of mnist, emnist or a dataset"),
        (lambda run: et.retrain(run, "nope"), "unknown dataset 'nope'; known: "),
        (lambda run: et.transfer(run, ensemble=0), "ensemble= must be at least 1, got 0"),
        (lambda run: et.transfer(run, tta=0), "tta= must be at least 1, got 0"),
        (lambda run: et.search("synthetic", run, workers=0), "workers= must be a number from 1 to 64 or auto, got '0'"),
        (lambda run: et.resume(run, workers="many"), "workers= must be a number from 1 to 64 or auto, got 'many'"),
    ],
)
def test_the_api_names_its_keywords_where_the_cli_names_its_flags(tmp_path, capsys, call, message):
    with pytest.raises(ConfigError) as raised:
        call(tmp_path / "run")
    assert str(raised.value).startswith(message) and "--" not in str(raised.value)
    from helpers import run_cli  # the CLI's same check keeps the flag

    code, _, err = run_cli(
        capsys, "search", "--dataset", "synthetic", "--run-dir", str(tmp_path / "r"), "--factor", "1"
    )
    assert code == 2 and err == "error: --factor must be at least 2, got 1\n"


def test_the_api_console_does_not_wrap_piped_output():
    import subprocess
    import sys

    code = "from emnist_tuner.api.keywords import say_to; say_to(None)('word ' * 40 + 'end')"
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}  # an explicit width would be kept
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env).stdout
    assert out == "word " * 40 + "end\n"


def test_importing_the_package_stays_cheap():
    import subprocess
    import sys

    code = "import sys, emnist_tuner; print('keras' in sys.modules, 'rich' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


def test_every_public_name_is_reached_through_the_package_and_every_documented_call_exists():
    import subprocess
    import sys

    from emnist_tuner import api

    code = "import emnist_tuner as et, emnist_tuner.api as a; print([n for n in a.__all__ if not hasattr(et, n)])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"  # each name of api.__all__ as `et.NAME` in a fresh interpreter
    assert set(api.__all__) <= set(dir(et))
    documented = set(re.findall(r"\bet\.([A-Za-z_]\w*)", README.read_text() + (api.__doc__ or "")))
    assert documented and documented <= set(api.__all__), documented - set(api.__all__)
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        et.nope  # noqa: B018


class _Fetched(Exception):
    pass


@pytest.mark.parametrize("call", ["retrain", "transfer"])
def test_retrain_and_transfer_find_the_data_the_run_remembers(tmp_path, monkeypatch, call):
    """In a new shell (no --data-dir, no EMNIST_TUNER_DATA) retrain and transfer look in the folder the
    run found its data in (origin.json), as report, plot and export do."""
    import json

    import emnist_tuner.api as api
    import emnist_tuner.experiments.winner as winner

    data = tmp_path / "data"
    data.mkdir()
    run = tmp_path / "run"
    run.mkdir()
    (run / "origin.json").write_text(json.dumps({"dataset": "mnist", "data_dir": str(data)}))
    seen = []

    def fetch(dataset, data_dir=None, download=False):
        seen.append(data_dir)
        raise _Fetched

    monkeypatch.setattr(winner, "read_winner", lambda run_dir: None)
    monkeypatch.setattr(api, "fetch", fetch)
    with pytest.raises(_Fetched):
        getattr(et, call)(run)
    assert seen == [str(data)]


def test_the_data_dir_given_to_the_api_is_the_runs(tmp_path, monkeypatch):
    import emnist_tuner.api as api
    import emnist_tuner.training.train as training

    seen = []
    monkeypatch.setattr(api, "fetch", lambda *a, **k: None)
    monkeypatch.setattr(training, "train_preset", lambda config, run_dir, say: seen.append(config.data_dir))
    et.train("dense", "synthetic", tmp_path / "run", epochs=1, data_dir=tmp_path / "data")
    assert seen == [str(tmp_path / "data")]


@pytest.mark.parametrize("workers, expected", [(2, 2), ("2", 2), (1, None), (None, None)])
def test_workers_gives_the_search_a_local_chief_as_search_workers_does(tmp_path, monkeypatch, workers, expected):
    import emnist_tuner.hyperband.search as search_module
    from emnist_tuner.hyperband.distributed.local import LocalPool

    handed = []
    monkeypatch.setattr(search_module, "start_search", lambda config, run_dir, ui, chief: handed.append(chief) or {})
    et.search("synthetic", tmp_path / "run", workers=workers)
    chief = handed[0]
    assert (chief.workers if isinstance(chief, LocalPool) else None) == expected
