"""The Try page (draw a character, the run's final model reads it): a stub until it is built; the app
adds ``try_routes(root)`` to its routes, so the page's own module replaces this one alone."""

from __future__ import annotations


def try_routes(root) -> list:
    """The Try page's routes for the run folders under ``root`` (none in this stub)."""
    return []
