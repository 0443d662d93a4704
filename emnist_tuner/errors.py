"""The project's user-facing errors (and ``plural``, for the counts in any text a user reads).

Every message says what went wrong, where (file, folder, option) and what to do.
The CLI prints them as one line on stderr, without a traceback.
"""

import numbers


class EmnistTunerError(Exception):
    """Base class of every error meant for the user."""

    exit_code = 1


class DataError(EmnistTunerError):
    """A data file is missing, corrupt, of the wrong format or fails its checksum."""


class ConfigError(EmnistTunerError):
    """A setting is invalid (bad value, unknown name, incompatible options)."""

    exit_code = 2


class RunError(EmnistTunerError):
    """A run folder cannot be used as asked (locked, mismatched, damaged)."""


class Interrupted(EmnistTunerError):
    """The user stopped a command (Ctrl-C or SIGTERM); the message says how to go on. Not an error."""

    exit_code = 130


class MissingDependency(EmnistTunerError):
    """An optional package that a command needs is not installed; the message names the extra."""


def plural(count: object, noun: str, many: str | None = None) -> str:
    """``count`` and ``noun``, the noun in the plural unless the count is 1: "1 epoch", "2 epochs",
    "1,000 images", "3 copies" (``many``: an irregular plural); "? epochs" when the count is unknown (None).
    For every count in a user's text."""
    word = noun if count == 1 else many or f"{noun}s"
    if isinstance(count, bool) or not isinstance(count, (numbers.Integral, float)):
        number = "?" if count is None else str(count)
    else:
        number = f"{count:,}" if isinstance(count, numbers.Integral) else f"{count:g}"
    return f"{number} {word}"
