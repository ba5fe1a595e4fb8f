"""The PDF's page labels (/PageLabels): the page numbers a viewer shows, as the pages print them.

WeasyPrint writes none. The scheme is labels.page_label's: the cover is labelled "Cover" in the
publication's language, every later page its arabic folio from 2 (the cover is counted). Added
here to the merged PDF of a chunked layout and to the PDF of a single one alike.
"""

from __future__ import annotations

import io
from typing import Any

from ...labels import page_label
from .conformance import for_print, header_version


def add_page_labels(pdf: Any, config) -> None:
    """Set the catalogue's /PageLabels number tree of a pikepdf PDF: the cover, then arabic from 2."""
    import pikepdf

    ranges: list[Any] = [0, pikepdf.Dictionary(P=pikepdf.String(page_label(config, 1)))]
    if len(pdf.pages) > 1:
        ranges += [1, pikepdf.Dictionary(S=pikepdf.Name.D, St=2)]
    pdf.Root.PageLabels = pikepdf.Dictionary(Nums=pikepdf.Array(ranges))


def labelled(data: bytes, config) -> bytes:
    """A single layout's PDF with its page labels; its streams written as they are (a PDF/A
    variant's metadata stays uncompressed), its file identifier derived from its content; made
    ready for print when the variant is PDF/X (conformance.for_print)."""
    import pikepdf

    with pikepdf.open(io.BytesIO(data)) as pdf:
        add_page_labels(pdf, config)
        for_print(pdf, config.pdf.variant)
        out = io.BytesIO()
        pdf.save(
            out,
            deterministic_id=True,
            force_version=header_version(config.pdf.variant),
            compress_streams=False,
            stream_decode_level=pikepdf.StreamDecodeLevel.none,
            object_stream_mode=pikepdf.ObjectStreamMode.preserve,
        )
    return out.getvalue()
