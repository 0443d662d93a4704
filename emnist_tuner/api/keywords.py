"""What the Python API says in its own words: keyword arguments checked, option names as keywords, a
console that does not wrap piped output.

The checks below ``api`` name an option as the CLI spells it (``--max-epochs must be at least 1``).
``keywords_checked`` wraps each API function: a misspelt keyword is a ``ConfigError`` naming the
nearest valid ones (not Python's ``TypeError``), and an error raised inside names the function's
keyword instead (``max_epochs= must be at least 1``). The CLI, which calls the same functions, runs
inside ``cli_wording`` and keeps the flags.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import inspect
import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

from rich.console import Console

from ..errors import ConfigError, EmnistTunerError
from ..runfolder.configs import SearchConfig
from ..runfolder.transfer_config import TransferConfig

F = TypeVar("F", bound=Callable[..., Any])

_CLI_WORDING: ContextVar[bool] = ContextVar("emnist_tuner_cli_wording", default=False)
FLAG = re.compile(r"(?<![\w-])--([a-z][a-z0-9-]*)")
# the final-training recipe's options, given to the API as recipe=final_recipe(...)
RECIPE_KEYWORDS = ("final_epochs", "warmup_epochs", "label_smoothing", "ema", "weight_decay")
# what search() and search_config() take as **options: a SearchConfig's settings
SEARCH_OPTIONS = tuple(
    f.name
    for f in dataclasses.fields(SearchConfig)
    if f.name not in ("kind", "space", "scheduled_trials", "narrowing")  # space= is a space file (or dict)
)

# what transfer() takes as **recipe: a TransferConfig's settings
TRANSFER_OPTIONS = tuple(
    f.name
    for f in dataclasses.fields(TransferConfig)
    if f.name not in ("kind", "backbone_file", "data_dir", "backbone", "to")
)
PIPED_WIDTH = 400  # as the CLI: piped output keeps whole paths and names on one line


@contextmanager
def cli_wording() -> Iterator[None]:
    """Errors raised by API functions inside this block keep the CLI's option names (``--factor``)."""
    token = _CLI_WORDING.set(True)
    try:
        yield
    finally:
        _CLI_WORDING.reset(token)


def unknown_keyword(function: str, name: str, known) -> str:
    """One sentence: ``name`` is not a keyword of ``function``; the nearest ones (or all of them)."""
    near = difflib.get_close_matches(name, list(known), n=3, cutoff=0.6)
    if near:
        return f"{function}() has no keyword {name}=; did you mean {' or '.join(f'{k}=' for k in near)}?"
    return f"{function}() has no keyword {name}=; its keywords: {', '.join(f'{k}=' for k in sorted(known))}"


def as_keywords(message: str, known) -> str:
    """``message`` with each CLI flag that is one of ``known`` written as that keyword (``--max-epochs``
    → ``max_epochs=``); text between backticks (a command to run) is left as it is."""

    def keyword(match: re.Match) -> str:
        name = match.group(1).replace("-", "_")
        if name in known:
            return f"{name}="
        if name == "format" and "fmt" in known:
            return "fmt="
        if name in RECIPE_KEYWORDS and "recipe" in known:
            return f"final_recipe({name}=)"
        return match.group(0)

    parts = message.split("`")
    return "`".join(FLAG.sub(keyword, part) if i % 2 == 0 else part for i, part in enumerate(parts))


def keywords_checked(options=()) -> Callable[[F], F]:
    """Decorator for an API function: unknown keywords (beyond its parameters and ``options``, the
    names its ``**options`` take) are a ConfigError; the project's errors it raises name keywords."""

    def decorate(function: F) -> F:
        parameters = inspect.signature(function).parameters.values()
        named = [p.name for p in parameters if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
        known = tuple(dict.fromkeys([*named, *options]))

        @functools.wraps(function)
        def checked(*args, **kwargs):
            for name in kwargs:
                if name not in known:
                    raise ConfigError(unknown_keyword(function.__name__, name, known))
            try:
                return function(*args, **kwargs)
            except EmnistTunerError as exc:
                if not _CLI_WORDING.get() and exc.args and isinstance(exc.args[0], str):
                    exc.args = (as_keywords(exc.args[0], known), *exc.args[1:])
                raise

        return checked  # type: ignore[return-value]

    return decorate


def say_to(console: Console | None):
    """A function printing a line to ``console`` (default: ``default_console()``), without rich's highlighting."""
    console = console or default_console()
    return lambda text: console.print(text, highlight=False)


def default_console() -> Console:
    """Standard output as a console; piped to a file or another program, it does not wrap at 80 columns."""
    console = Console()
    if console.is_terminal or console.is_jupyter or "COLUMNS" in os.environ:
        return console
    return Console(width=PIPED_WIDTH, soft_wrap=True)
