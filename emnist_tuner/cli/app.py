"""`emnist-tuner`: the typer app, its commands registered in the README's order, and ``main``.

Errors meant for the user (``EmnistTunerError``) are printed as one line on stderr, without a
traceback; bad option values exit with code 2, an unusable run folder or bad data with 1, an
interruption with 130.
"""

from __future__ import annotations

import sys

import typer

from ..errors import EmnistTunerError
from . import ablate, datasets, runs, search, train, transfer

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Hyperband architecture search for handwritten-character CNNs (EMNIST Letters, MNIST, Binary AlphaDigits).",
)


@app.callback()
def _root() -> None:
    """Hyperband architecture search for handwritten-character CNNs."""


for command in (datasets.data, datasets.presets, train.train, search.search, search.resume, runs.leaderboard,
                runs.report, runs.runs, runs.compare, transfer.retrain, transfer.transfer, ablate.ablate):
    app.command()(command)


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point."""
    try:
        app(args=argv, prog_name="emnist-tuner")
    except EmnistTunerError as exc:
        prefix = "" if exc.exit_code == 130 else "error: "  # an interruption is not an error
        print(f"{prefix}{exc}", file=sys.stderr)
        sys.exit(exc.exit_code)


if __name__ == "__main__":
    main()
