"""A narrowed space (`search --space FILE`): the Keras-free description of the declared space is the one the
HyperModel declares; a space file is checked entry by entry (one line per bad entry, naming the file, the table,
the entry and what is allowed) and applied through KerasTuner's own kinds, so its oracle never samples outside it;
presets outside it are named with the reason."""

from __future__ import annotations

import gc
import subprocess
import sys

import keras_tuner
import pytest

from emnist_tuner.errors import ConfigError
from emnist_tuner.hyperband.space import hypermodel_for, preset_points
from emnist_tuner.hyperband.tuner import RunHyperband
from emnist_tuner.runfolder.configs import QUICK_RESTRICT, SearchConfig
from emnist_tuner.runfolder.layout import RunFolder
from emnist_tuner.searchspace import CharacterHyperModel, list_presets
from emnist_tuner.searchspace.declared import declared_space
from emnist_tuner.searchspace.narrowing import check_narrowing, preset_outside, read_space, space_text

SPACE = {
    "fixed": {"batch_norm": True, "augment": False},
    "choices": {"conv_blocks": [0, 2], "filters_2": [16, 48], "pooling": ["average"], "l2": [True]},
    "ranges": {"learning_rate": [2e-4, 3e-3], "head_dropout": [0.1, 0.3], "dense_layers": [1, 2]},
}
STRING_KINDS = ("Choice", "Fixed", "Boolean")


def _config(**values) -> dict:
    """A KerasTuner hyperparameter's config, keyed as a ``Param`` is (for comparing the two)."""
    return {k: v for k, v in values.items() if k not in ("name", "ordered")}


@pytest.mark.parametrize(
    "shape, restrict, augmentations",
    [((28, 28), None, ("rotation", "translation", "zoom")), ((20, 16), QUICK_RESTRICT, ("zoom",)), ((8, 8), {}, ())],
)
def test_the_keras_free_description_is_what_the_hypermodel_declares(shape, restrict, augmentations):
    declared = declared_space(shape, restrict, augmentations)
    space = CharacterHyperModel(shape, 10, augmentations, restrict=restrict).space().space
    assert list(declared) == [p.name for p in space]
    for param in space:
        mine = declared[param.name]
        assert mine.kind == type(param).__name__ and mine.default == param.default, param.name
        conditions = [(c.name, tuple(c.values)) for c in param.conditions]
        assert conditions == ([mine.condition] if mine.condition else []), param.name
        if mine.kind in ("Int", "Float"):
            assert (mine.low, mine.high, mine.sampling) == (param.min_value, param.max_value, param.sampling)
            assert mine.step == param.step or (mine.kind == "Int" and mine.step is None), param.name
        else:
            assert mine.values == tuple(param.values), param.name


def test_a_space_file_is_read_and_normalized(tmp_path):
    path = tmp_path / "space.toml"
    path.write_text(
        "[fixed]\nbatch_norm = true\n[choices]\nconv_blocks = [3, 2, 3]\nhead_dropout = [0, 0.5]\n"
        "[ranges]\nlearning_rate = [1e-4, 3e-3]\nconv_dropout = [0.1, 0.3]\n"
    )
    tables, source = read_space(path)
    narrowing = check_narrowing(tables, source=source)
    assert narrowing == {
        "fixed": {"batch_norm": True},
        "choices": {"conv_blocks": [3, 2], "head_dropout": [0.0, 0.5]},  # repeats dropped, a Float's 0 is 0.0
        "ranges": {"conv_dropout": [0.1, 0.3], "learning_rate": [0.0001, 0.003]},  # declaration order
    }
    assert isinstance(narrowing["choices"]["head_dropout"][0], float)
    assert space_text(narrowing) == (
        "batch_norm = true; conv_blocks in [3, 2]; head_dropout in [0, 0.5]; conv_dropout in 0.1..0.3; "
        "learning_rate in 0.0001..0.003"
    )
    assert check_narrowing({}) is None and check_narrowing({"fixed": {}}) is None and space_text(None) == "full space"


BAD = [
    ("fixed", "conv_blocks", '"2"', 'space.toml [fixed] conv_blocks: "2" is not one of 0, 1, 2, 3, 4'),
    ("fixed", "conv_blocks", "2.0", "space.toml [fixed] conv_blocks: 2 is not one of 0, 1, 2, 3, 4"),
    ("fixed", "batch_norm", "1", "space.toml [fixed] batch_norm: 1 is not one of true, false"),
    ("fixed", "padding", '"full"', 'space.toml [fixed] padding: "full" is not one of "valid", "same"'),
    ("fixed", "batch_nrom", "true", "space.toml [fixed] batch_nrom: no such hyperparameter; did you mean batch_norm?"),
    ("choices", "conv_blocks", "[7, 2]", "space.toml [choices] conv_blocks: 7 is not one of 0, 1, 2, 3, 4"),
    ("choices", "conv_blocks", "2", "space.toml [choices] conv_blocks: give a list of values, e.g. conv_blocks = [2]"),
    ("choices", "pooling", "[]", 'space.toml [choices] pooling: give a list of values, e.g. pooling = ["max"]'),
    ("choices", "head_dropout", "[0.12]", "head_dropout: 0.12 is not a number in 0..0.6 in steps of 0.05"),
    ("ranges", "learning_rate", "[1e-2, 1e-3]", "learning_rate: low 0.01 is above high 0.001; give [low, high]"),
    ("ranges", "learning_rate", "[1e-5, 1e-3]", "learning_rate: 1e-05 is not a number in 0.0001..0.01 (log sampling)"),
    ("ranges", "conv_dropout", "[0.1]", "[ranges] conv_dropout: give [low, high], e.g. conv_dropout = [0, 0.5]"),
    ("ranges", "pooling", '["max", "none"]', "[ranges] pooling: a choice has no range; fix it under [fixed] or list"),
    ("ranges", "batch_norm", "[false, true]", "[ranges] batch_norm: a boolean has no range; fix it under [fixed]"),
    ("ranges", "dense_layers", "[1, 5]", "space.toml [ranges] dense_layers: 5 is not one of 0, 1, 2, 3"),
]


@pytest.mark.parametrize("table, name, value, message", BAD, ids=[f"{b[0]}-{b[1]}-{b[2]}" for b in BAD])
def test_a_bad_entry_is_one_line_naming_the_file_table_entry_and_what_is_allowed(tmp_path, table, name, value, message):
    path = tmp_path / "space.toml"
    path.write_text(f"[{table}]\n{name} = {value}\n")
    tables, _ = read_space(path)
    with pytest.raises(ConfigError) as error:
        check_narrowing(tables, source="space.toml")
    assert len(str(error.value).splitlines()) == 1 and message in str(error.value), str(error.value)


def test_every_bad_entry_has_its_own_line_and_the_good_ones_none(tmp_path):
    tables = {
        "fixd": {"x": 1},
        "fixed": {"batch_norm": True, "filters_1": 128},
        "choices": {"batch_norm": [False], "conv_blocks": [1]},
        "conv_blocks": 3,
    }
    with pytest.raises(ConfigError) as error:
        check_narrowing(tables, restrict=QUICK_RESTRICT, source="s.toml")
    assert str(error.value).splitlines() == [
        "s.toml [fixd]: unknown table; the tables are [fixed], [choices], [ranges]",
        "s.toml [fixed] filters_1: 128 is not one of 16, 32, 48, 64 (narrowed by --profile)",
        "s.toml [choices] batch_norm: also in [fixed]; give each hyperparameter in one table",
        "s.toml: conv_blocks = 3 is outside any table; put it under [fixed], [choices] or [ranges]",
    ]


@pytest.mark.parametrize(
    "text, message",
    [
        ("[fixed]\nbatch_norm = tru\n", "space.toml is not valid TOML: Invalid value (at line 2, column 14)"),
        ("[fixed]\nbatch_norm = true\n[fixed]\n", "space.toml is not valid TOML: Cannot declare ('fixed',) twice"),
    ],
)
def test_a_malformed_file_is_one_line_with_its_line_number(tmp_path, monkeypatch, text, message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "space.toml").write_text(text)
    with pytest.raises(ConfigError, match="^" + message.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[")):
        read_space("space.toml")


def test_a_missing_or_unreadable_file_is_one_line(tmp_path):
    with pytest.raises(ConfigError, match=r"nope.toml: no such file; give --space the path of a TOML file"):
        read_space(tmp_path / "nope.toml")
    with pytest.raises(ConfigError, match=r": cannot read it \(Is a directory\)"):
        read_space(tmp_path)


def test_a_condition_made_false_by_a_fixed_value_is_fine():
    narrowing = check_narrowing({"fixed": {"conv_blocks": 0, "l1": False}, "ranges": {"l1_strength": [1e-6, 1e-5]}})
    assert narrowing is not None
    narrowing = check_narrowing({"choices": {"filters_3": [16]}, "fixed": {"conv_blocks": 1}})
    hp = CharacterHyperModel(narrowing=narrowing).space()
    assert hp.values["conv_blocks"] == 1 and "filters_3" not in hp.values  # declared, never active


def test_a_name_outside_this_searchs_space_is_refused():
    with pytest.raises(ConfigError, match=r"--space \[fixed\] zoom: not in this search's space; its names: conv_bl"):
        check_narrowing({"fixed": {"zoom": 0.1}}, augmentations=())
    with pytest.raises(ConfigError, match=r"\[fixed\] filters_4: not in this search's space"):
        check_narrowing({"fixed": {"filters_4": 16}}, input_shape=(8, 8))


def test_the_narrowed_space_is_declared_through_kerastuners_own_kinds():
    space = {p.name: p for p in CharacterHyperModel(narrowing=SPACE).space().space}
    assert type(space["batch_norm"]).__name__ == "Fixed" and space["batch_norm"].value is True
    assert type(space["pooling"]).__name__ == "Fixed" and space["pooling"].value == "average"  # a 1-value list
    assert type(space["conv_blocks"]).__name__ == "Choice" and list(space["conv_blocks"].values) == [0, 2]
    rate = space["learning_rate"]
    assert (rate.min_value, rate.max_value, rate.sampling) == (2e-4, 3e-3, "log")
    dropout = space["head_dropout"]
    assert (dropout.min_value, dropout.max_value, dropout.step) == (0.1, 0.3, 0.05)  # the declared step kept
    assert [c.values for c in space["filters_1"].conditions] == [[1, 2, 3, 4]]  # conditions as declared


def _outside(values: dict, narrowing: dict) -> list[str]:
    """The values of a trial outside the space file's entries (inactive entries do not count)."""
    problems = []
    for name, value in values.items():
        if name in narrowing["fixed"] and value != narrowing["fixed"][name]:
            problems.append(f"{name}={value!r}")
        if name in narrowing["choices"] and not any(value == v for v in narrowing["choices"][name]):
            problems.append(f"{name}={value!r}")
        if name in narrowing["ranges"]:
            low, high = narrowing["ranges"][name]
            if not low - 1e-9 <= value <= high + 1e-9:
                problems.append(f"{name}={value!r}")
    return problems


def test_the_oracle_never_samples_outside_the_narrowed_space(tmp_path):
    # every trial of a whole Hyperband schedule (max_epochs 9, factor 3: 23 trials), each ended at once
    config = SearchConfig.from_profile("synthetic", "quick", max_epochs=9, factor=3)
    config.narrow(SPACE)
    sampled = _sample(config, tmp_path / "narrowed")
    assert len(sampled) == 23
    assert all(not _outside(values, SPACE) for values in sampled), [_outside(v, SPACE) for v in sampled]
    assert {v["conv_blocks"] for v in sampled} == {0, 2}  # both choices, nothing else
    # whereas the full space goes outside it
    assert any(_outside(values, SPACE) for values in _sample(SearchConfig.from_profile("synthetic"), tmp_path / "full"))


def _sample(config: SearchConfig, folder) -> list[dict]:
    tuner = RunHyperband(hypermodel_for(config), config, RunFolder(folder))
    gc.unfreeze()  # RunHyperband freezes the heap until search() ends; this test never searches
    sampled = []
    while True:
        trial = tuner.oracle.create_trial("tuner0")
        if trial.status != "RUNNING":
            return sampled
        sampled.append(dict(trial.hyperparameters.values))
        tuner.oracle.update_trial(trial.trial_id, {"val_accuracy": 0.5}, step=0)
        trial.status = "COMPLETED"
        tuner.oracle.end_trial(trial)


@pytest.mark.parametrize(
    "narrowing",
    [
        {"fixed": {"batch_norm": True}},
        {"choices": {"conv_blocks": [2, 3]}, "ranges": {"learning_rate": [1e-4, 3e-3]}},
        {"ranges": {"head_dropout": [0.0, 0.1]}, "choices": {"augment": [True]}},
        {"fixed": {"conv_blocks": 0}},
    ],
)
def test_presets_outside_the_space_are_the_ones_the_search_leaves_out(narrowing):
    hypermodel = CharacterHyperModel(num_classes=10, narrowing=narrowing)
    kept = preset_points(hypermodel, list_presets())
    reasons = {name: preset_outside(name, narrowing) for name in list_presets()}
    assert set(kept) == {name for name, why in reasons.items() if why is None}
    assert kept and len(kept) < len(list_presets())


def test_a_preset_outside_says_why():
    assert preset_outside("convnet", {"fixed": {"batch_norm": True}}) == (
        "batch_norm = false, the space has batch_norm = true"
    )
    assert preset_outside("model4", {"choices": {"conv_blocks": [2, 3]}}) == (
        "conv_blocks = 4, the space has conv_blocks in [2, 3]"
    )
    assert preset_outside("model1", {"ranges": {"rotation": [0.0, 0.02]}}) == (
        "rotation = 0.03, the space has rotation in 0..0.02"
    )
    assert preset_outside("model1", {"ranges": {"rotation": [0.0, 0.02]}}, augmentations=()) is None


def test_the_check_needs_no_keras():
    code = (
        "import sys\n"
        "from emnist_tuner.searchspace.narrowing import check_narrowing\n"
        "check_narrowing({'fixed': {'batch_norm': True}})\n"
        "from emnist_tuner.runfolder.configs import SearchConfig\n"
        "SearchConfig.from_profile('synthetic').narrow({'choices': {'conv_blocks': [1]}})\n"
        "print(sorted(m for m in ('keras', 'tensorflow', 'keras_tuner') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_without_a_space_file_the_space_is_unchanged():
    plain = [p.get_config() for p in CharacterHyperModel().space().space]
    assert [p.get_config() for p in CharacterHyperModel(narrowing=None).space().space] == plain
    assert [p.get_config() for p in CharacterHyperModel(narrowing={}).space().space] == plain
    assert keras_tuner.HyperParameters  # the comparison above is KerasTuner's own configs
