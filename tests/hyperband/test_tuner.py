"""``RunHyperband`` and ``RunOracle`` as KerasTuner sees them: the study's presets are Hyperband's first
points and are never sampled twice across a resume; the declared space is the one KerasTuner's own
exploration finds (so skipping that exploration loses nothing); the KerasTuner patch is in force."""

from __future__ import annotations

import builtins
import gc
import importlib

import keras_tuner
import pytest
from optional import require_tensorflow

from emnist_tuner.hyperband import kt_ext
from emnist_tuner.hyperband.space import hypermodel_for, preset_starting_points
from emnist_tuner.hyperband.tuner import RunHyperband
from emnist_tuner.runfolder.configs import SearchConfig
from emnist_tuner.runfolder.layout import RunFolder
from emnist_tuner.searchspace import CharacterHyperModel

PRESETS = ["convnet", "model1", "model3", "model4", "model2", "dense"]


def _tuner(run_dir, config, points):
    tuner = RunHyperband(hypermodel_for(config), config, RunFolder(run_dir), starting_points=points)
    gc.unfreeze()  # RunHyperband freezes the heap until search() ends; these tests never search
    return tuner


def _values(trial) -> dict:
    return {k: v for k, v in trial.hyperparameters.values.items() if not k.startswith("tuner/")}


def _finish(tuner, trial) -> None:
    tuner.oracle.update_trial(trial.trial_id, {"val_accuracy": 0.5}, step=0)
    trial.status = "COMPLETED"
    tuner.oracle.end_trial(trial)


def test_the_presets_that_fit_are_sampled_first_once_each_across_a_resume(tmp_path):
    config = SearchConfig.from_profile("synthetic", "quick", max_epochs=9, factor=3)
    points = preset_starting_points(hypermodel_for(config), PRESETS)
    assert len(points) == 4  # model4 and model2 use 128 filters: not points of the quick space
    tuner = _tuner(tmp_path, config, points)
    first = [tuner.oracle.create_trial(f"tuner{i}") for i in range(2)]  # one ongoing trial per tuner id
    assert [_values(t) for t in first] == points[:2]
    for trial in first:
        _finish(tuner, trial)
    tuner.save()

    resumed = _tuner(tmp_path, config, points)  # a new process: reloads oracle.json
    later = [resumed.oracle.create_trial(f"tuner{i}") for i in range(4)]
    assert [_values(t) for t in later[:2]] == points[2:]
    assert all(_values(t) not in points for t in later[2:])  # then KerasTuner's random sampling


def test_without_presets_sampling_is_kerastuners_own(tmp_path):
    config = SearchConfig.from_profile("synthetic", "quick", max_epochs=9, factor=3)
    points = preset_starting_points(hypermodel_for(config), PRESETS)
    tuner = _tuner(tmp_path, config, [])
    assert all(_values(tuner.oracle.create_trial(f"tuner{i}")) not in points for i in range(3))


class CountingHyperModel(CharacterHyperModel):
    builds = 0

    def build(self, hp):
        CountingHyperModel.builds += 1
        return super().build(hp)


@pytest.mark.parametrize("shape", [(28, 28), (20, 16), (8, 8)])
def test_the_declared_space_is_what_kerastuners_exploration_finds(shape, tmp_path):
    # KerasTuner's stock tuner builds the default point once per never-active conditional scope (none may
    # fail, for any allowed image size); RunHyperband skips that and relies on the declared space.
    stock = keras_tuner.Hyperband(
        CharacterHyperModel(shape, 10),
        objective="val_accuracy",
        max_epochs=2,
        directory=tmp_path / "stock",
        project_name="t",
    )
    config = SearchConfig(dataset="synthetic", max_epochs=2, factor=2)
    CountingHyperModel.builds = 0
    ours = RunHyperband(CountingHyperModel(shape, 10), config, RunFolder(tmp_path / "ours"))
    gc.unfreeze()
    assert CountingHyperModel.builds <= 1
    configs = [[p.get_config() for p in t.oracle.get_space().space] for t in (stock, ours)]
    assert configs[0] == configs[1] and len(configs[0]) > 20


def test_the_kerastuner_patch_is_in_force(capsys, monkeypatch):
    from keras_tuner.engine import hyperparameters as hp_module

    hp = hp_module.HyperParameters()
    hp.Int("blocks", 0, 2)
    with hp.conditional_scope("blocks", [1, 2]):
        hp.Int("filters", 8, 16)
    monkeypatch.setattr(keras_tuner.src.engine.conditions, "print", builtins.print, raising=False)
    hp.to_proto()
    assert capsys.readouterr().out != ""  # KerasTuner 1.4.8 prints a debug value without the patch
    kt_ext.apply_patches()
    assert kt_ext.patches_applied() == {"conditions.print": True}
    hp.to_proto()
    assert capsys.readouterr().out == ""


def test_another_keras_tuner_version_is_refused(monkeypatch):
    from emnist_tuner.errors import RunError

    monkeypatch.setattr(keras_tuner, "__version__", "9.9.9")
    with pytest.raises(RunError, match="needs keras-tuner 1.4.8"):
        kt_ext.apply_patches()


def test_a_search_with_another_keras_tuner_is_refused_before_anything_is_written(monkeypatch, tmp_path):
    from emnist_tuner import api
    from emnist_tuner.errors import RunError
    from emnist_tuner.hyperband.search import resume_search, start_search

    monkeypatch.setattr(keras_tuner, "__version__", "9.9.9")
    with pytest.raises(RunError, match="needs keras-tuner 1.4.8"):
        start_search(api.search_config("synthetic", "quick"), tmp_path / "run", ui=None)
    with pytest.raises(RunError, match="needs keras-tuner 1.4.8"):
        resume_search(tmp_path / "run", ui=None)
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("tensorboard", [True, False])
def test_tensorboard_logs_only_when_asked(tmp_path, tensorboard):
    import keras

    from emnist_tuner import api
    from emnist_tuner.hyperband.tuner import trial_callbacks

    config = api.search_config("synthetic", "quick", tensorboard=tensorboard)
    assert config.tensorboard is tensorboard and "tensorboard" not in config.identity()  # may change on resume
    callbacks = trial_callbacks(RunFolder(tmp_path), config, lambda event: None)
    has_tensorboard = any(isinstance(c, keras.callbacks.TensorBoard) for c in callbacks)
    assert has_tensorboard is (tensorboard and keras.backend.backend() == "tensorflow")


def test_the_best_epoch_is_kept_in_memory_and_written_once_when_fit_ends(tmp_path, monkeypatch):
    import keras
    import numpy as np
    from keras_tuner.src.engine.tuner_utils import SaveBestEpoch

    objective = keras_tuner.Objective("val_accuracy", "max")
    path = str(tmp_path / "checkpoint.weights.h5")
    callback = kt_ext.best_epoch_in_memory(SaveBestEpoch(objective, path))
    assert isinstance(callback, SaveBestEpoch) and type(callback) is not SaveBestEpoch
    other = keras.callbacks.History()
    assert kt_ext.best_epoch_in_memory(other) is other
    inputs = keras.Input((3,))
    model = keras.Model(inputs, keras.layers.Dense(2)(inputs))
    callback.set_model(model)
    writes = []
    real_save = keras.Model.save_weights
    monkeypatch.setattr(keras.Model, "save_weights", lambda self, *a, **k: (writes.append(a), real_save(self, *a, **k)))
    epochs = [np.full(w.shape, epoch, "float32") for epoch in range(3) for w in model.get_weights()]
    for epoch, score in enumerate([0.5, 0.7, 0.6]):
        model.set_weights(epochs[2 * epoch : 2 * epoch + 2])
        callback.on_epoch_end(epoch, {"val_accuracy": score})
    assert writes == []  # nothing written during fit
    callback.on_train_end()
    assert len(writes) == 1
    assert all(np.all(w == 2) for w in model.get_weights())  # the model itself is left as fit left it
    fresh = keras.Model(inputs, keras.layers.Dense(2)(inputs))
    fresh.load_weights(path)
    assert all(np.all(w == 1) for w in fresh.get_weights())  # the file holds the best epoch (the second)


def test_trial_tensorboard_writes_epoch_summaries_with_no_per_batch_calls(tmp_path, monkeypatch):
    import keras
    import numpy as np

    require_tensorflow()  # TensorBoard logs are written with the TensorFlow backend only
    import tensorflow as tf

    from emnist_tuner.hyperband.tuner import TensorBoard

    summary = importlib.import_module("tensorflow.summary")  # the module Keras' callback writes through
    names: list[str] = []
    real_scalar = summary.scalar
    monkeypatch.setattr(summary, "scalar", lambda name, *a, **k: (names.append(name), real_scalar(name, *a, **k))[1])
    x, y = np.random.default_rng(0).random((40, 3)).astype("float32"), np.arange(40) % 2
    inputs = keras.Input((3,))
    model = keras.Model(inputs, keras.layers.Dense(2, activation="softmax")(inputs))
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    for callback in (
        keras.callbacks.TensorBoard(str(tmp_path / "stock"), update_freq="epoch"),
        TensorBoard(str(tmp_path / "ours")),
    ):
        names.clear()
        model.fit(x, y, validation_data=(x, y), batch_size=8, epochs=2, verbose=0, callbacks=[callback])
        if type(callback) is keras.callbacks.TensorBoard:  # Keras' own: a call per metric per batch
            assert sum(name.startswith("batch_") for name in names) >= 2 * 5 * 2
            per_epoch = [name for name in names if not name.startswith("batch_")]
    assert "epoch_accuracy" in names and names == per_epoch  # ours: the same summaries, none per batch
    tags = {
        (folder.name, value.tag)
        for folder in (tmp_path / "ours").iterdir()
        for events in folder.glob("events.out.tfevents.*")
        for event in tf.compat.v1.train.summary_iterator(str(events))
        for value in event.summary.value
    }
    assert {("train", "epoch_accuracy"), ("validation", "epoch_accuracy"), ("train", "epoch_loss")} <= tags


def test_a_trial_rerun_from_the_retry_queue_keeps_its_number(tmp_path):
    config = SearchConfig.from_profile("synthetic", "quick", max_epochs=9, factor=3)
    tuner = _tuner(tmp_path, config, [])
    events = []
    tuner.emit = events.append
    first, second = (tuner.oracle.create_trial(f"tuner{i}") for i in range(2))
    tuner.oracle._retry_queue.append(first.trial_id)  # its worker was lost: KerasTuner hands it out again
    rerun = tuner.oracle.create_trial("tuner2")
    assert rerun.trial_id == first.trial_id and tuner.oracle.start_order == [first.trial_id, second.trial_id]
    for trial in (second, rerun):
        tuner.on_trial_begin(trial)
    assert [(e["trial_id"], e["number"]) for e in events] == [(second.trial_id, 2), (first.trial_id, 1)]


def test_a_running_trials_epochs_are_recorded_as_they_end(tmp_path):
    """`serve` and `plot` read a running trial's epochs from RUN/timings: written at each epoch's end, the
    whole record written over it at the trial's end."""
    import json

    from emnist_tuner.runfolder.trials import read_trials

    config = SearchConfig.from_profile("synthetic", "quick", max_epochs=9, factor=3)
    tuner = _tuner(tmp_path, config, [])
    trial = tuner.oracle.create_trial("tuner0")
    tuner.on_trial_begin(trial)
    timing_file = RunFolder(tmp_path).timing_file(trial.trial_id)
    assert not timing_file.exists()
    for epoch, accuracy in enumerate((0.4, 0.55)):
        tuner.emit({"event": "epoch_end", "epoch": epoch, "val_accuracy": accuracy, "seconds": 1.0})
        saved = json.loads(timing_file.read_text())
        assert saved["status"] == "RUNNING" and "ended" not in saved and saved["epochs_trained"] == epoch + 1
    (record,) = read_trials(tmp_path)
    assert [e["val_accuracy"] for e in record.epoch_log] == [0.4, 0.55]
    _finish(tuner, trial)
    tuner.on_trial_end(trial)
    saved = json.loads(timing_file.read_text())
    assert saved["status"] == "COMPLETED" and saved["ended"] >= saved["started"] and len(saved["epoch_log"]) == 2
