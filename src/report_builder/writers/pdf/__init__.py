"""The PDF writer: the print document laid out by WeasyPrint, in parallel chunks when it pays.

One file a stage of the pipeline:

- `layout.py` lays out one document (the whole book, or one chunk) and writes its PDF; CSS checks;
- `plan.py` decides which articles make each chunk, from the articles alone;
- `workers.py` the worker processes, and what each lays out and reads off its layout;
- `cache.py` each chunk's PDF and readings, stored by the hash of what decides its layout;
- `chunked.py` runs a chunked layout: plan → cache or workers → merge → furniture and contents;
- `merge.py` joins the chunk PDFs with pikepdf (pages, structure tree, destinations, outline);
- `furniture.py` the running heads and page numbers, sampled once and drawn after the merge;
- `contents.py` the contents' page numbers, drawn after the merge into spans laid out empty;
- `overlay.py` draws text (shaped with HarfBuzz) and forms onto finished pages;
- `conformance.py` what `pdf.variant` claims (PDF/UA-1 with PDF/A-2a by default), the XMP saying so;
- `weasy.py` is the one module that touches WeasyPrint beyond its public API.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any, Protocol

from ...errors import Diagnostic

if TYPE_CHECKING:
    from .chunked import ChunkedLayout, layout_chunked
    from .layout import Layout, check_stylesheets, layout_pdf, write_pdf
    from .merge import merge_pdfs
    from .plan import can_chunk, chunk_parts, plan_chunks
    from .workers import LayoutWorkers

#: the entry points, by the module that defines them: imported when first used, so that
#: importing one module of the package (fonts.py reads weasy.py) imports no more
_ENTRY_POINTS = {
    "ChunkedLayout": "chunked",
    "layout_chunked": "chunked",
    "Layout": "layout",
    "check_stylesheets": "layout",
    "layout_pdf": "layout",
    "write_pdf": "layout",
    "merge_pdfs": "merge",
    "can_chunk": "plan",
    "chunk_parts": "plan",
    "plan_chunks": "plan",
    "LayoutWorkers": "workers",
}


def __getattr__(name: str) -> Any:
    if name not in _ENTRY_POINTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_ENTRY_POINTS[name]}", __name__), name)
    globals()[name] = value
    return value


class PrintLayout(Protocol):
    """What the build and the EPUB writer read from a print layout, single (layout.Layout) or in
    chunks (chunked.ChunkedLayout)."""

    @property
    def page_count(self) -> int: ...

    @property
    def page_starts(self) -> list[list[list]]:
        """Where each printed page begins (see pagelist.py), for the EPUB page-list."""
        ...

    @property
    def warnings(self) -> list[Diagnostic]: ...

    @property
    def notes(self) -> list[str]:
        """How it was laid out, for --verbose."""
        ...

    @property
    def fetched(self) -> dict[str, str]:
        """Project file → sha256 of the bytes laid out."""
        ...

    def cover_pdf(self) -> bytes:
        """A PDF whose first page is the printed cover."""
        ...


__all__ = [
    "PrintLayout",
    "ChunkedLayout",
    "Layout",
    "LayoutWorkers",
    "can_chunk",
    "check_stylesheets",
    "chunk_parts",
    "layout_chunked",
    "layout_pdf",
    "merge_pdfs",
    "plan_chunks",
    "write_pdf",
]
