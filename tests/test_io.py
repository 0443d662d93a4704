"""``io``: atomic writes. A reader (or a resume after a kill) sees the old file or the new one, never half
of one; a failed write leaves the old file and no temporary file; new files get the usual permissions."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from emnist_tuner.io import read_json, save_npy_atomic, write_atomic, write_json_atomic, write_text_atomic


def test_a_failed_write_keeps_the_old_file_and_leaves_nothing_beside_it(tmp_path):
    target = tmp_path / "model.keras"
    target.write_text("old")

    def half_then_fail(tmp):
        tmp.write_text("half of the new")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        write_atomic(target, half_then_fail, suffix=".keras")
    assert target.read_text() == "old" and sorted(p.name for p in tmp_path.iterdir()) == ["model.keras"]


def test_the_writer_gets_a_temporary_file_beside_the_target_with_the_suffix_it_needs(tmp_path):
    seen = []
    write_atomic(tmp_path / "sub" / "model.keras", lambda tmp: (seen.append(tmp), tmp.write_bytes(b"new")), ".keras")
    (tmp,) = seen
    assert tmp.parent == tmp_path / "sub" and tmp.name.startswith(".model.keras.") and tmp.suffix == ".keras"
    assert (tmp_path / "sub" / "model.keras").read_bytes() == b"new" and not tmp.exists()


def test_text_json_and_npy_land_whole_at_their_path_with_the_usual_permissions(tmp_path):
    umask = os.umask(0)
    os.umask(umask)
    write_text_atomic(tmp_path / "a" / "note.txt", "hello")
    write_json_atomic(tmp_path / "a" / "state.json", {"trial": "0003", "path": tmp_path})
    save_npy_atomic(tmp_path / "a" / "predictions.npy", np.arange(5, dtype=np.int16))
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == ["note.txt", "predictions.npy", "state.json"]
    assert (tmp_path / "a" / "note.txt").read_text() == "hello"
    assert read_json(tmp_path / "a" / "state.json") == {"trial": "0003", "path": str(tmp_path)}
    np.testing.assert_array_equal(np.load(tmp_path / "a" / "predictions.npy"), np.arange(5, dtype=np.int16))
    for path in (tmp_path / "a").iterdir():
        assert path.stat().st_mode & 0o777 == 0o666 & ~umask  # not mkstemp's 0600


def test_a_failure_to_remove_the_temporary_file_does_not_hide_the_writes_own_error(tmp_path, monkeypatch):
    def fail(tmp):
        raise ValueError("the writer's own error")

    def cannot_unlink(self, missing_ok=False):
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "unlink", cannot_unlink)
    with pytest.raises(ValueError, match="the writer's own error"):  # not a PermissionError from the clean-up
        write_atomic(tmp_path / "x.json", fail)


# ------------------------------------------------------------------ output paths, checked before any work


@pytest.mark.parametrize(
    ("where", "folder", "phrase"),
    [
        ("/proc/w.onnx", False, "cannot create files in /proc"),
        ("/proc/plots", True, "is not writable"),
        ("{tmp}/a-file/w.onnx", False, "a-file is a file, not a folder"),
        ("{tmp}/a-file/plots", True, "is a file (or under one); choose a folder"),
        ("{tmp}/no/such/w.onnx", False, "the folder {tmp}/no/such does not exist"),
        ("{tmp}", False, "it is a folder; give a file name"),
        ("{tmp}/a-file", True, "is a file (or under one); choose a folder"),
    ],
)
def test_an_output_path_that_cannot_be_written_is_one_config_error(tmp_path, where, folder, phrase):
    from emnist_tuner.errors import ConfigError
    from emnist_tuner.io import check_output_path

    (tmp_path / "a-file").write_text("mine")
    path = where.format(tmp=tmp_path)
    with pytest.raises(ConfigError) as error:
        check_output_path(path, "--out", folder=folder)
    message = str(error.value)
    assert message.startswith(f"--out {path}") and phrase.format(tmp=tmp_path) in message and "\n" not in message
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file"]  # nothing created, nothing left


def test_an_output_path_that_can_be_written_is_returned_and_nothing_is_created(tmp_path):
    from emnist_tuner.io import check_output_path

    assert check_output_path(tmp_path / "m.onnx", "--out") == tmp_path / "m.onnx"
    assert check_output_path(tmp_path / "new" / "plots", "--out", folder=True) == tmp_path / "new" / "plots"
    assert check_output_path(tmp_path / "new" / "r.html", "--html", create=True) == tmp_path / "new" / "r.html"
    assert list(tmp_path.iterdir()) == []


def test_removing_a_leftover_never_raises(tmp_path):
    from emnist_tuner.io import remove_quietly

    (tmp_path / "a-file").write_text("mine")
    tree = tmp_path / ".w.partial"
    (tree / "variables").mkdir(parents=True)  # a SavedModel export is a folder
    (tree / "variables" / "v.index").write_text("x")
    for leftover in (tree, tmp_path / "a-file" / ".w.onnx.partial.onnx", tmp_path / "absent", "/proc/.w.partial.onnx"):
        remove_quietly(Path(leftover))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file"]


@pytest.mark.parametrize(
    "host, loopback",
    [
        ("localhost", True),
        ("127.0.0.1", True),
        ("127.8.9.1", True),
        ("::1", True),
        ("[::1]", True),
        ("0.0.0.0", False),
        ("192.0.2.1", False),
        ("[2001:db8::1]", False),
        ("example.org", False),
    ],
)
def test_only_this_machines_loopback_counts_as_loopback(host, loopback):
    from emnist_tuner.io import is_loopback

    assert is_loopback(host) is loopback
