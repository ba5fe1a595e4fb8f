"""The contents' page numbers of a PDF laid out in chunks, drawn after the merge.

Only the merge knows the page each entry of the contents points to. Laying the contents out
again once every chunk was done put a second layout of it on the critical path of every build.
Instead the contents is laid out once, at the start, with stand-in numbers that take their
place but are not drawn (`visibility: hidden`: WeasyPrint then leaves each number's tagged span
empty). After the merge the real numbers are drawn into those spans, in the font, size and
colour the stand-in was laid out with, aligned as it was; the structure tree stays WeasyPrint's.

A number the drawing cannot reproduce (not in one of the print fonts, measured otherwise than
WeasyPrint measured the stand-in, its span not found) sends the contents back to be laid out
with its numbers, as before.
"""

from __future__ import annotations

from dataclasses import dataclass

from ...render import FIGURE_SPACE
from . import weasy
from .furniture import LaidOut, anchor_x, print_face, style_problem

#: the stand-in page number: digits of different widths, so that proportional figures show
STAND_IN = 108
#: keeps the stand-in numbers' place in the layout without drawing them
HIDDEN_NUMBERS_CSS = ".toc a[data-page]::after { visibility: hidden !important; }"
#: the same for the page numbers of cross-references (render.RenderContext.page_reference)
HIDDEN_PAGE_REFERENCES_CSS = ".page-number[data-page]::after { visibility: hidden !important; }"


@dataclass(frozen=True)
class NumberPlace:
    """Where one contents number is drawn: its span, the entry's target and how it looks."""

    page: int  # index of the page in the front (the cover and the contents)
    mcid: int  # the empty marked-content sequence WeasyPrint left for it
    anchor: str  # the id the entry links to
    x: float  # CSS px: where the number starts, centres or ends, by `align`
    align: str  # left, center or right
    baseline: float  # CSS px from the page's top
    font: str  # the static font file
    size: float  # CSS px
    color: tuple[float, float, float]  # sRGB
    features: tuple[tuple[str, int], ...]  # OpenType features, sorted
    #: a cross-reference's number, in running text: drawn this many figures wide, padded on the
    #: left with figure spaces as its stand-in was (0: a contents number, as it is)
    digits: int = 0


@dataclass(frozen=True)
class NumberPlaces:
    """Every stand-in number of the contents, to draw after the merge."""

    entries: tuple[NumberPlace, ...]


ContentsNumbers = NumberPlaces | LaidOut


# -- in a worker: where the numbers go --------------------------------------------------------


def read_numbers(document, pdf: bytes, faces) -> ContentsNumbers:
    """Each stand-in number's page, MCID, anchor and how it is drawn; or why they must be laid out."""
    import io

    import pikepdf

    opened = pikepdf.open(io.BytesIO(pdf))
    entries = []
    for index, page in enumerate(document.pages):
        texts = weasy.hidden_texts(page, "data-page")
        numbers = [text for text in texts if text is not None]
        if not numbers:
            continue
        shown = [link.text.text for link in numbers if link.text.look.visible]
        if shown:
            return LaidOut(f"a page number reads {shown[0]!r}, or shows")
        spans = [int(found.group(2)) for found in weasy.EMPTY_MARKED_CONTENT.finditer(_content(opened.pages[index]))]
        if len(spans) != len(texts):
            return LaidOut(
                f"{len(numbers)} numbers and {len(texts) - len(numbers)} hidden texts on page {index + 1}, {len(spans)} spans"
            )
        for link, mcid in zip(texts, spans):
            if link is None:
                continue  # another hidden text's span
            entry = _number_place(link, faces, index, mcid)
            if isinstance(entry, LaidOut):
                return entry
            entries.append(entry)
    return NumberPlaces(tuple(entries))


def _content(page) -> bytes:
    import pikepdf

    contents = page.obj.Contents
    return b"".join(part.read_bytes() for part in (contents if isinstance(contents, pikepdf.Array) else [contents]))


def _number_place(link: weasy.GeneratedLink, faces, page: int, mcid: int) -> NumberPlace | LaidOut:
    """How to draw one stand-in number (its text box): font, size, colour, features, alignment."""
    from .overlay import ShapedFont

    text = link.text
    look = text.look
    if text.text != link.value or look.visible:
        return LaidOut(f"a page number reads {text.text!r}, or shows")
    # the features are shaped with: only the other text properties must be plain
    unusual = [name for name in look.unusual if name not in weasy.FEATURE_PROPERTIES]
    face = print_face(faces, look)
    align = look.align
    padded = "page-number" in link.classes
    if padded:  # a cross-reference's number, in running text: as wide as its stand-in, padded on the left
        align = "left"
    why = style_problem(unusual, face, look, align)
    if why is not None:
        return LaidOut(f"contents number style: {why}")
    width = ShapedFont(str(face.path)).width(text.text, look.size, look.features)
    if abs(width - text.width) > 0.05:  # CSS px
        return LaidOut(f"contents number measures {width:.2f}px, laid out {text.width:.2f}px")
    red, green, blue, _alpha = look.color
    return NumberPlace(
        page=page,
        mcid=mcid,
        anchor=link.href[1:],
        x=anchor_x(text, align),
        align=align,
        baseline=text.baseline,
        font=str(face.path),
        size=look.size,
        color=(red, green, blue),
        features=look.features,
        digits=len(text.text) if padded else 0,
    )


# -- in the main process: the numbers drawn ---------------------------------------------------


@dataclass(frozen=True)
class DrawnNumbers:
    """The contents' page numbers, drawn into the merged PDF's empty spans."""

    entries: tuple[NumberPlace, ...]
    anchors: dict[str, int]  # element id → page index in the merged PDF

    def apply(self, merged, pages) -> None:
        from .overlay import TextStamps, TextStyle

        stamps = TextStamps(prefix="RBContents")
        for entry in self.entries:
            if entry.anchor not in self.anchors:
                continue  # nothing to point to: a single layout prints no number either
            text = str(self.anchors[entry.anchor] + 1).rjust(entry.digits, FIGURE_SPACE)
            style = TextStyle(entry.font, entry.size, entry.color, entry.features)
            width = stamps.width(style, text)
            x = entry.x - {"left": 0, "center": width / 2, "right": width}[entry.align]
            stamps.fill(entry.page, entry.mcid, style, x, entry.baseline, text)
        stamps.apply(merged, pages)
