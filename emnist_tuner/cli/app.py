"""`emnist-tuner`: the typer app, its commands registered in the README's order, and ``main``.

Errors meant for the user (``EmnistTunerError``) are printed as one line on stderr, without a
traceback; bad option values exit with code 2, an unusable run folder or bad data with 1, an
interruption with 130.
"""

from __future__ import annotations

import sys
from typing import Any

import typer

from .. import __version__
from ..api.keywords import cli_wording
from ..errors import EmnistTunerError
from . import ablate, datasets, figures, reading, search, serve, tracking, train, transfer, use

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    help="Hyperband architecture search for handwritten-character CNNs (EMNIST Letters, MNIST, Binary AlphaDigits).",
)


def _show_version(value: bool) -> None:
    if value:
        print(f"emnist-tuner {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_show_version, is_eager=True, help="Show the version and exit."
    ),
) -> None:
    """Hyperband architecture search for handwritten-character CNNs."""


class Command(typer.core.TyperCommand):
    """A command whose help names its arguments as the README does: ``RUN``, ``RUN...``, ``[FOLDER]``
    (typer's own help shows ``{RUN}`` and a Python type such as ``<list[Path]>``)."""

    def collect_usage_pieces(self, ctx) -> list[str]:
        pieces = [self.options_metavar] if self.options_metavar else []
        for param in self.get_params(ctx):
            if param.param_type_name == "argument":
                pieces.append(argument_name(param) if param.required else f"[{argument_name(param)}]")
        return pieces

    def format_options(self, ctx, formatter) -> None:
        sections: dict[str, list[tuple[str, str]]] = {"Arguments": [], "Options": []}
        for param in self.get_params(ctx):
            record = param.get_help_record(ctx)
            if record is None:
                continue
            if param.param_type_name == "argument":
                sections["Arguments"].append((argument_name(param), record[1]))
            else:
                sections["Options"].append(record)
        for title, rows in sections.items():
            if rows:
                with formatter.section(title):
                    formatter.write_dl(rows)


def argument_name(param) -> str:
    """``RUN``, or ``RUN...`` for an argument that takes several values."""
    name = param.metavar or param.name.upper()
    return f"{name}..." if param.nargs != 1 else name


def short_help(command) -> str:
    """The command's whole first paragraph, for the command list of `emnist-tuner --help` (click cuts
    its own short help at the first sentence or the line width, with "...")."""
    return " ".join((command.__doc__ or "").strip().split("\n\n")[0].split())


for command in (
    datasets.data,
    datasets.presets,
    train.train,
    search.search,
    search.resume,
    reading.leaderboard,
    reading.report,
    figures.plot,
    reading.runs,
    reading.compare,
    serve.serve,
    transfer.retrain,
    transfer.transfer,
    ablate.ablate,
    use.predict,
    use.export,
    tracking.mlflow,
):
    app.command(cls=Command, short_help=short_help(command))(command)


# typer's click (vendored since typer 0.2x) is reached through its public BadParameter's bases.
# Typed Any: mypy cannot tell which classes the search finds.
UsageError: type[Any] = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "UsageError")
ClickException: type[Any] = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")


def usage_error_line(exc) -> str:
    """A click usage error (unknown command or option, missing value …) as our one line."""
    message = exc.format_message().strip()
    command = exc.ctx.command_path if exc.ctx is not None else "emnist-tuner"
    return (
        f"{message} See `{command} --help`."
        if message.endswith("?")
        else f"{message.rstrip('.')}; see `{command} --help`"
    )


def repeated_option(argv: list[str]) -> str | None:
    """The first option given more than once (typer would silently keep the last), or None."""
    seen = set()
    for token in argv:
        if token == "--":
            break
        name = token.split("=", 1)[0]
        if name.startswith("--") and name != "--":
            if name in seen:
                return name
            seen.add(name)
    return None


# Options that are gone, per command, and what replaced them: one line instead of typer's "No such option".
REMOVED_OPTIONS = {
    ("transfer", "--epochs"): "--head-epochs and --fine-tune-epochs (the transferred model) and --scratch-epochs "
    "(the model trained from scratch)",
}


def removed_option(argv: list[str]) -> str | None:
    """The one-line error for an option of ``REMOVED_OPTIONS`` in ``argv``, or None."""
    command = next((token for token in argv if not token.startswith("-")), "")
    for token in argv:
        if token == "--":
            break
        replacement = REMOVED_OPTIONS.get((command, token.split("=", 1)[0]))
        if replacement:
            return f"{command} {token.split('=', 1)[0]} was removed; use {replacement}"
    return None


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: every error is one line on stderr with the README's exit code."""
    args = sys.argv[1:] if argv is None else argv
    problem = removed_option(args)
    repeated = repeated_option(args)
    if problem or repeated:
        print(f"error: {problem or f'{repeated} is given more than once; give it once'}", file=sys.stderr)
        sys.exit(2)
    try:
        with cli_wording():  # the API's errors name our flags, not its keywords
            code = app(args=argv, prog_name="emnist-tuner", standalone_mode=False)
    except EmnistTunerError as exc:
        prefix = "" if exc.exit_code == 130 else "error: "  # an interruption is not an error
        for line in str(exc).splitlines():  # one line each (a space file: one per bad entry)
            print(f"{prefix}{line}", file=sys.stderr)
        sys.exit(exc.exit_code)
    except UsageError as exc:
        if type(exc).__name__ == "NoArgsIsHelpError":  # `emnist-tuner` alone: its help
            print(exc.format_message())
            sys.exit(0)
        print(f"error: {usage_error_line(exc)}", file=sys.stderr)
        sys.exit(2)
    except ClickException as exc:  # e.g. a file option that cannot be opened
        print(f"error: {exc.format_message()}", file=sys.stderr)
        sys.exit(exc.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        print("interrupted", file=sys.stderr)
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
