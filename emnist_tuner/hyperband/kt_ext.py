"""KerasTuner beyond its public API: its unexported classes, the one patch, and the version check.

The search extends KerasTuner by subclassing (``RunOracle`` a ``HyperbandOracle``, ``RunHyperband`` a
``Hyperband``, the chief's servicer and the workers' client KerasTuner's own classes). Subclasses
override and read some of KerasTuner's private methods and attributes (``_random_values``,
``_retry_queue``, ``_build_and_fit_model``, ``_get_num_brackets``…); the modules allowed to do so are
listed in ``tests/test_architecture.py`` (``KT_PRIVATE_ALLOWED``: this one, ``oracle``, ``tuner`` and
``schedule``), and each imports this module before its first use of a private name. Importing it checks
the version: everything here is written against keras-tuner 1.4.8 (the version the project pins), and
another one is refused, since a rename would silently switch an override off. What KerasTuner does not
export is imported here, and the one patch that cannot be avoided is applied here, explicitly
(``apply_patches``), never as a side effect of an import.
"""

from __future__ import annotations

import keras_tuner

from ..errors import RunError

KERAS_TUNER_VERSION = "1.4.8"


def check_version() -> None:
    """RunError unless the installed keras-tuner is the version this module was written against."""
    if keras_tuner.__version__ != KERAS_TUNER_VERSION:
        raise RunError(
            f"emnist-tuner needs keras-tuner {KERAS_TUNER_VERSION} (it extends its oracle and its "
            f"distributed service), found {keras_tuner.__version__}; reinstall emnist-tuner"
        )


check_version()  # at import: every module that uses KerasTuner's private names imports this one first


def protos():
    """KerasTuner's gRPC messages and stubs (``protos.get_service()``, ``protos.get_service_grpc()``)."""
    from keras_tuner.src import protos as kt_protos

    return kt_protos


def oracle_servicer_class():
    """KerasTuner's gRPC servicer of an oracle (the chief of a distributed search)."""
    from keras_tuner.src.distribute.oracle_chief import OracleServicer

    return OracleServicer


def oracle_client_class():
    """KerasTuner's client of a chief's oracle (what a distributed worker's tuner talks to)."""
    from keras_tuner.src.distribute.oracle_client import OracleClient

    return OracleClient


def best_epoch_in_memory(callback):
    """``callback`` itself, or, for KerasTuner's per-epoch weight checkpoint (``SaveBestEpoch``, which
    writes the weights file at every improving epoch), one that keeps the best epoch's weights in memory
    and writes the same file once, when ``fit`` ends. Nothing is lost by waiting: a trial killed during
    ``fit`` is rerun from its start, and a trial counts as completed only after ``fit`` returns.
    ``RunHyperband._build_and_fit_model`` hands it each trial's callbacks."""
    from keras_tuner.src.engine.tuner_utils import SaveBestEpoch

    if type(callback) is not SaveBestEpoch:
        return callback

    class BestEpochInMemory(SaveBestEpoch):
        def __init__(self, objective, filepath):
            super().__init__(objective, filepath)
            self.best_weights = None

        def _save_model(self):  # at each improving epoch: a copy in memory
            self.best_weights = self.model.get_weights()

        def on_train_end(self, logs=None):
            if self.best_weights is None:
                return
            current = self.model.get_weights()
            self.model.set_weights(self.best_weights)
            SaveBestEpoch._save_model(self)
            self.model.set_weights(current)

    replacement = BestEpochInMemory(callback.objective, callback.filepath)
    replacement.best_value = callback.best_value
    return replacement


def _quiet_print(*args, **kwargs) -> None:
    """Stands in for ``print`` in KerasTuner 1.4.8's ``conditions`` module (see ``apply_patches``)."""


def apply_patches() -> None:
    """KerasTuner 1.4.8 left a debug ``print(self.values[0])`` in ``conditions.Parent.to_proto``: each
    conditional hyperparameter sent over gRPC prints a value into the logs. Shadow the builtin
    ``print`` in that one module (nothing else there prints). Idempotent."""
    check_version()
    from keras_tuner.src.engine import conditions

    conditions.print = _quiet_print


def patches_applied() -> dict[str, bool]:
    """Whether each patch is in force (the tests assert this)."""
    from keras_tuner.src.engine import conditions

    return {"conditions.print": getattr(conditions, "print", None) is _quiet_print}
