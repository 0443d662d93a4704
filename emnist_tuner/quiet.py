"""Import Keras/TensorFlow without TensorFlow's C++ start-up lines on the user's terminal.

TensorFlow >= 2.20 logs through absl before any setting can silence it (TF_CPP_MIN_LOG_LEVEL no
longer does), so its import runs with stderr sent to a temporary file, which is replayed if the
import fails.
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile


def import_keras_quietly() -> None:
    if "keras" in sys.modules:
        _quiet_python_warnings()
        return
    sys.stderr.flush()
    with tempfile.TemporaryFile() as captured:
        saved = os.dup(2)
        os.dup2(captured.fileno(), 2)
        try:
            import keras  # noqa: F401  (imports the backend, TensorFlow by default)
            import keras_tuner  # noqa: F401
        except BaseException:
            os.dup2(saved, 2)
            captured.seek(0)
            sys.stderr.write(captured.read().decode(errors="replace"))
            raise
        finally:
            os.dup2(saved, 2)
            os.close(saved)
    _quiet_python_warnings()


def _quiet_python_warnings() -> None:
    # TensorFlow's Python warnings (e.g. "triggered tf.function retracing" when one process builds
    # model after model, as K-fold training does) are advice for TensorFlow developers, not our users.
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
