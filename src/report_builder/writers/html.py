"""HTML writer: the standalone web edition is the rendered document itself."""

from __future__ import annotations


def write_html(html: str) -> bytes:
    return html.encode("utf-8")
