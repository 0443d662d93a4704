"""`search --space FILE` and `presets --space FILE` at the command line: a bad space file is one `error:` line
per bad entry, exit 2, before TensorFlow is imported and before any run folder exists; a run's space is part of
its identity (another --space is refused naming both, the run's own or none at all goes on with the run's)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from helpers import render, run_cli, saved_search

from emnist_tuner.runfolder.configs import SearchConfig

SEARCH = ["search", "--dataset", "synthetic", "--max-epochs", "2", "--factor", "2"]
MARK = "tensorflow imported: "
RUN_MAIN = f"""
import sys
from emnist_tuner.cli import main
try:
    main(sys.argv[1:])
finally:
    print("\\n{MARK}" + str("tensorflow" in sys.modules))
"""


def run_fresh(*args) -> tuple[int, str, bool]:
    """The CLI in a new interpreter: (exit code, stderr, whether TensorFlow was imported)."""
    proc = subprocess.run([sys.executable, "-c", RUN_MAIN, *map(str, args)], capture_output=True, text=True)
    return proc.returncode, proc.stderr, proc.stdout.rpartition(MARK)[2].strip() == "True"


BAD_FILE = '[choices]\nconv_blocks = [7, 2]\n[ranges]\npooling = ["max"]\n[fixd]\nx = 1\n'


@pytest.mark.parametrize("command", [[*SEARCH, "--run-dir", "{tmp}/new"], ["presets"]], ids=["search", "presets"])
def test_a_bad_space_file_is_one_line_per_entry_before_tensorflow_and_the_run_folder(tmp_path, command):
    space = tmp_path / "space.toml"
    space.write_text(BAD_FILE)
    code, err, imported = run_fresh(*[a.format(tmp=tmp_path) for a in command], "--space", space)
    pooling = '"max", "average"' + (', "none"' if command == ["presets"] else "")  # the quick profile's
    assert code == 2 and err.splitlines() == [
        f"error: {space} [choices] conv_blocks: 7 is not one of 0, 1, 2, 3, 4",
        f"error: {space} [ranges] pooling: a choice has no range; fix it under [fixed] or list it under [choices] "
        f"(one of {pooling})",
        f"error: {space} [fixd]: unknown table; the tables are [fixed], [choices], [ranges]",
    ], err
    assert not imported and not (tmp_path / "new").exists()


@pytest.mark.parametrize(
    "content, message",
    [
        (None, "nope.toml: no such file; give --space the path of a TOML file"),
        ("[fixed]\nbatch_norm = yes\n", "is not valid TOML: Invalid value (at line 2, column 14)"),
    ],
)
def test_a_missing_or_malformed_file_is_one_line(tmp_path, capsys, content, message):
    space = tmp_path / "nope.toml"
    if content is not None:
        space.write_text(content)
    code, _, err = run_cli(capsys, *SEARCH, "--run-dir", str(tmp_path / "new"), "--space", str(space))
    assert code == 2 and err.count("\n") == 1 and err.startswith("error: ") and message in err, err
    assert not (tmp_path / "new").exists()


@pytest.fixture
def run(tmp_path):
    """A search run folder made with a space file (conv_blocks 2 or 3, batch norm on)."""
    from emnist_tuner import api

    config = api.search_config("synthetic", max_epochs=2, factor=2, space=_space(tmp_path, "run.toml", "[2, 3]"))
    return saved_search(tmp_path / "run", config)


def _space(folder, name: str, blocks: str):
    path = folder / name
    path.write_text(f"[fixed]\nbatch_norm = true\n[choices]\nconv_blocks = {blocks}\n")
    return path


def test_another_space_file_is_refused_naming_the_entries_that_differ(run, tmp_path, capsys):
    before = {p.name: p.read_bytes() for p in run.iterdir()}
    other = _space(tmp_path, "other.toml", "[1, 2]")
    code, _, err = run_cli(capsys, *SEARCH, "--run-dir", str(run), "--space", str(other))
    assert code == 1 and err.count("\n") == 1, err
    assert "--space: the run has conv_blocks in [2, 3], the command gives conv_blocks in [1, 2]" in err
    assert {p.name: p.read_bytes() for p in run.iterdir()} == before


def test_a_run_of_the_full_space_refuses_a_space_file(tmp_path, capsys, started):
    from emnist_tuner.hyperband.space import fingerprint_for

    config = SearchConfig.from_profile("synthetic", max_epochs=2, factor=2)
    config.space = fingerprint_for(config)
    (tmp_path / "full").mkdir()
    config.save(tmp_path / "full")
    space = _space(tmp_path, "s.toml", "[2]")
    code, _, err = run_cli(capsys, *SEARCH, "--run-dir", str(tmp_path / "full"), "--space", str(space))
    assert code == 1 and "--space: the run has the full space (no --space), the command gives batch_norm = true" in err


def test_the_same_space_or_none_goes_on_with_the_runs(run, tmp_path, capsys, started):
    same = _space(tmp_path, "same.toml", "[2, 3]")  # another file, the same entries
    for extra in (["--space", str(same)], []):
        code, _, err = run_cli(capsys, *SEARCH, "--run-dir", str(run), *extra)
        assert code == 0, err
    assert [c.narrowing for c in started] == [{"fixed": {"batch_norm": True}, "choices": {"conv_blocks": [2, 3]}}] * 2


def test_presets_space_shows_which_presets_are_inside_and_the_narrowed_space():
    from emnist_tuner.reports.space_table import space_section
    from emnist_tuner.searchspace.narrowing import check_narrowing

    narrowing = check_narrowing({"fixed": {"batch_norm": True}, "ranges": {"learning_rate": [1e-4, 3e-3]}})
    text = render(space_section(narrowing, "space.toml"), width=140)
    assert "presets inside this space: model1, model2, model3, model4" in text
    assert "outside (a search skips them): dense (batch_norm = false, the space has batch_norm = true); convnet" in text
    assert "Search space narrowed by space.toml" in text
    cells = [[c.strip() for c in line.split("│")[1:-1]] for line in text.splitlines() if line.startswith("│")]
    rows = {row[0]: row[1:] for row in cells}
    assert rows["batch_norm"] == ["", "true, false", "= true"]
    assert rows["learning_rate"] == ["", "0.0001..0.01 log", "0.0001..0.003 log"]
    assert rows["l1_strength"] == ["l1 = true", "1e-07..0.001 log", "as declared"]
