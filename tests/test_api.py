"""The Python API: ``open_run`` reads every kind of run folder, raising the project's errors. (The notebook
example of docs/guides/python-api.md runs in tests/docs/test_pages.py, with every other block and command of
the README and the docs pages.)"""

from __future__ import annotations

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
    with pytest.raises(ConfigError, match="--max-epochs must be at least 1"):
        et.search("synthetic", tmp_path / "run", max_epochs=0)
    assert not (tmp_path / "run").exists()  # nothing written for a bad value


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
