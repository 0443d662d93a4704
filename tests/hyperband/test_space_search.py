"""A search with a narrowed space (`search --space FILE`): a tiny real search never trains a trial outside the
file (every trial.json, all trials), the run saves the file's entries as part of its identity, and the presets
the file leaves out are named once, with the reason."""

from __future__ import annotations

import json

import pytest

from emnist_tuner import api
from emnist_tuner.errors import ConfigError

SPACE_FILE = """\
[fixed]
batch_norm = true
augment = false
[choices]
conv_blocks = [0, 1]
filters_1 = [16]
dense_layers = [0, 1]
dense_units_1 = [32, 64]
[ranges]
learning_rate = [1e-3, 3e-3]
head_dropout = [0.1, 0.3]
"""


def _inside(name: str, value, space: dict) -> bool:
    if name in space["fixed"]:
        return value == space["fixed"][name]
    if name in space["choices"]:
        return value in space["choices"][name]
    if name in space["ranges"]:
        low, high = space["ranges"][name]
        return low - 1e-9 <= value <= high + 1e-9
    return True


@pytest.mark.slow
def test_a_tiny_search_never_trains_a_trial_outside_the_space_file(tmp_path):
    import tomllib

    from emnist_tuner.hyperband.space import fingerprint_for
    from emnist_tuner.hyperband.worker import run_worker

    path = tmp_path / "space.toml"
    path.write_text(SPACE_FILE)
    config = api.search_config("synthetic", max_epochs=2, factor=2, subset=300, space=path, tensorboard=False)
    config.space = fingerprint_for(config)
    run = tmp_path / "run"
    run.mkdir()
    config.save(run)
    events: list[dict] = []
    run_worker(str(run), "search", None, events.append)
    assert events[-1] == {"event": "search_done"}
    states = [json.loads(p.read_text()) for p in sorted((run / "tuner").glob("trial_*/trial.json"))]
    assert len(states) == 5 and all(s["status"] == "COMPLETED" for s in states)
    space = tomllib.loads(SPACE_FILE)
    for state in states:
        values = state["hyperparameters"]["values"]
        outside = {k: v for k, v in values.items() if not _inside(k, v, space)}
        assert not outside, (state["trial_id"], outside)
    saved = json.loads((run / "config.json").read_text())["narrowing"]
    assert saved["fixed"] == {"batch_norm": True, "augment": False} and saved["ranges"]["learning_rate"] == [1e-3, 3e-3]


class Notes:
    def __init__(self):
        self.lines: list[str] = []

    def say(self, text: str) -> None:
        self.lines.append(text)


def test_the_presets_the_space_leaves_out_are_named_once_with_why():
    from emnist_tuner.hyperband.search import _note_skipped_presets

    config = api.search_config("synthetic", space={"fixed": {"batch_norm": True}, "choices": {"conv_blocks": [2]}})
    ui = Notes()
    _note_skipped_presets(config, ui)
    assert ui.lines == [
        "presets not tried first, outside the space of --space: convnet: batch_norm = false, the space has "
        "batch_norm = true; model4: conv_blocks = 4, the space has conv_blocks in [2]; model2: conv_blocks = 3, the "
        "space has conv_blocks in [2]; dense: conv_blocks = 0, the space has conv_blocks in [2]"
    ]
    ui = Notes()
    _note_skipped_presets(api.search_config("synthetic"), ui)  # no space file: nothing to say
    assert ui.lines == []


def test_the_api_takes_a_dict_or_a_path_and_names_its_keyword(tmp_path):
    path = tmp_path / "space.toml"
    path.write_text("[choices]\nconv_blocks = [2, 3]\n")
    by_path = api.search_config("synthetic", space=path)
    by_dict = api.search_config("synthetic", space={"choices": {"conv_blocks": (2, 3)}})
    assert by_path.narrowing == by_dict.narrowing == {"choices": {"conv_blocks": [2, 3]}}
    assert "narrowing" in by_path.identity() and api.search_config("synthetic").narrowing is None
    with pytest.raises(ConfigError, match=r"^space= \[choices\] conv_blocks: 7 is not one of 0, 1, 2, 3, 4$"):
        api.search_config("synthetic", space={"choices": {"conv_blocks": [7]}})
    with pytest.raises(ConfigError, match=r"search_config\(\) has no keyword narrowing="):
        api.search_config("synthetic", narrowing={})
