"""The page shell every served page shares: the head (title, our stylesheet), the navigation bar and
the scripts a page loads (plotly's bundled copy and ours, all served from the package: no CDN)."""

from __future__ import annotations

import html

from .. import __version__

PLOTLY = "/static/plotly.min.js"
COMMON = "/static/common.js"


def page(title: str, body: str, scripts: tuple[str, ...] = (), styles: tuple[str, ...] = ()) -> str:
    """A whole HTML page: ``title`` (escaped here), ``body`` (HTML, as given) inside the shell, then each
    script of ``scripts`` (URLs, loaded in order at the end of the body); ``styles``: a page's own
    stylesheets (URLs), after the common one."""
    tags = "".join(f'<script src="{html.escape(src)}"></script>' for src in scripts)
    links = "".join(f'<link rel="stylesheet" href="{html.escape(href)}">' for href in styles)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)} · emnist-tuner</title>"
        '<link rel="icon" href="data:,"><link rel="stylesheet" href="/static/serve.css">'
        f"{links}</head><body>"
        '<nav class="top"><a class="brand" href="/">emnist-tuner</a><a href="/">runs</a>'
        '<a href="/compare">compare</a>'
        f'<span class="version">{html.escape(__version__)} · read-only</span></nav>'
        f"<main>{body}</main>{tags}</body></html>\n"
    )
