"""``origin.json``: a run remembers the version that made it and where its data was; readers look for the
data in --data-dir, EMNIST_TUNER_DATA, the remembered folder, then the saved --data-dir; refusals name the
versions."""

from __future__ import annotations

import json

import pytest

import emnist_tuner
from emnist_tuner.errors import RunError
from emnist_tuner.runfolder.configs import SearchConfig, load_config
from emnist_tuner.runfolder.layout import RunFolder
from emnist_tuner.runfolder.lifecycle import run_lifecycle
from emnist_tuner.runfolder.origin import data_dir_now, data_dirs, read_origin, remember_origin

VERSION = emnist_tuner.__version__


def test_a_new_run_records_its_version_and_the_folder_its_data_was_found_in(tmp_path, fake_emnist, monkeypatch):
    monkeypatch.setenv("EMNIST_TUNER_DATA", str(fake_emnist))  # found through the variable, remembered as a path
    run = RunFolder(tmp_path / "run")
    with run_lifecycle(run, "resume it", data=("emnist-letters", None)):
        pass
    assert json.loads((run.path / "origin.json").read_text()) == {
        "created_by": VERSION,
        "written_by": VERSION,
        "dataset": "emnist-letters",
        "data_dir": str(fake_emnist.resolve()),
    }
    monkeypatch.delenv("EMNIST_TUNER_DATA")
    assert data_dirs(run.path) == [str(fake_emnist.resolve())]  # a new shell: the remembered folder


def test_a_run_of_an_older_version_is_not_said_to_be_made_by_this_one(tmp_path):
    run = RunFolder(tmp_path)
    run.write_status("interrupted")  # written before origin.json existed
    remember_origin(run.path, "synthetic")
    assert read_origin(run.path) == {"created_by": None, "written_by": VERSION, "dataset": "synthetic"}
    remember_origin(run.path, "mnist", tmp_path / "nothing-here")  # data not found now: nothing remembered
    assert "data_dir" not in read_origin(run.path)


def test_where_the_data_is_looked_for(tmp_path, monkeypatch):
    remembered, env, given = (tmp_path / name for name in ("remembered", "env", "given"))
    remembered.mkdir()
    (tmp_path / "origin.json").write_text(json.dumps({"data_dir": str(remembered)}))
    assert data_dirs(tmp_path) == [str(remembered)]
    assert data_dirs(tmp_path, saved="old") == [str(remembered), "old"]
    monkeypatch.setenv("EMNIST_TUNER_DATA", str(env))
    assert data_dirs(tmp_path, given) == [str(given), str(env), str(remembered)]
    assert data_dir_now(tmp_path) == str(env) and data_dir_now(tmp_path, given) == str(given)
    monkeypatch.delenv("EMNIST_TUNER_DATA")
    remembered.rmdir()  # moved away since: not looked for
    assert data_dirs(tmp_path) is None and data_dir_now(tmp_path, saved="old") == "old"


@pytest.mark.parametrize(
    ("origin", "said"),
    [
        ({"created_by": "0.0.9"}, f"the run was made by emnist-tuner 0.0.9, this is {VERSION}"),
        ({}, f"the run was made by an older emnist-tuner that did not record its version, this is {VERSION}"),
    ],
)
def test_a_refusal_names_the_version_that_made_the_run(tmp_path, origin, said):
    SearchConfig.from_profile("synthetic", space="a" * 60).save(tmp_path)
    if origin:
        (tmp_path / "origin.json").write_text(json.dumps(origin))
    saved = SearchConfig.load(tmp_path)
    (entry,) = saved.differences(SearchConfig.from_profile("synthetic", space="b" * 60))
    assert entry.startswith("the search space's fingerprint") and entry.endswith(f"({said}; or other options)")
    (tmp_path / "config.json").write_text('{"kind": "party"}')
    with pytest.raises(RunError, match=said):
        load_config(tmp_path)
