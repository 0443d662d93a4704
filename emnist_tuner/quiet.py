"""TensorFlow's and LiteRT's C++ log lines kept off the user's terminal.

TensorFlow >= 2.20 logs through absl before any setting can silence it (TF_CPP_MIN_LOG_LEVEL no
longer does), and LiteRT's interpreter prints INFO lines ("Created TensorFlow Lite XNNPACK delegate")
straight to the process's stderr, below Python. So Keras' import, and each call into LiteRT, runs
with file descriptor 2 sent to a temporary file (``native_logs_hidden``), which is shown again if
the call fails.
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

from .errors import EmnistTunerError


@contextmanager
def native_logs_hidden(replay: bool = True) -> Iterator[None]:
    """Run the block with stderr (file descriptor 2, so C++ logs too) sent to a temporary file. If the
    block raises anything but the project's own errors (one line that says it all) and ``replay``,
    what it wrote is written to stderr again, before the exception goes on."""
    sys.stderr.flush()
    with tempfile.TemporaryFile() as captured:
        saved = os.dup(2)
        os.dup2(captured.fileno(), 2)
        try:
            yield
        except EmnistTunerError:
            raise
        except Exception:
            if replay:  # to the real stderr, which `finally` puts back
                captured.seek(0)
                os.write(saved, captured.read())
            raise
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)


def import_keras_quietly() -> None:
    """Import Keras (and with it TensorFlow) and KerasTuner without their start-up lines."""
    if "keras" in sys.modules:
        _quiet_python_warnings()
        return
    with native_logs_hidden():
        import keras  # noqa: F401  (imports the backend, TensorFlow by default)
        import keras_tuner  # noqa: F401
    _quiet_python_warnings()


def _quiet_python_warnings() -> None:
    # TensorFlow's Python warnings (e.g. "triggered tf.function retracing" when one process builds
    # model after model, as K-fold training does) are advice for TensorFlow developers, not our users.
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
