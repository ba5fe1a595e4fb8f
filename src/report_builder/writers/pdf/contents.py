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
from .furniture import PLAIN_TEXT, print_face

#: the stand-in page number: digits of different widths, so that proportional figures show
STAND_IN = 108
#: keeps the stand-in numbers' place in the layout without drawing them
HIDDEN_NUMBERS_CSS = ".toc a[data-page]::after { visibility: hidden !important; }"
#: the same for the page numbers of cross-references (render.RenderContext.page_reference)
HIDDEN_PAGE_REFERENCES_CSS = ".page-number[data-page]::after { visibility: hidden !important; }"
#: the text properties drawing reproduces: the furniture's, the font features aside (they are
#: read from the style and shaped with)
_PLAIN_TEXT = {
    name: plain
    for name, plain in PLAIN_TEXT.items()
    if not name.startswith(("font_feature", "font_variant", "font_kerning"))
}


# -- in a worker: where the numbers go --------------------------------------------------------


def read_numbers(document, pdf: bytes, faces) -> dict:
    """{"kind": "drawn", "entries": [...]}: each stand-in number's page, MCID, anchor and how it
    is drawn; or {"kind": "layout", "why": …} when the numbers must be laid out."""
    import io

    import pikepdf

    from .overlay import EMPTY_MARKED_CONTENT

    opened = pikepdf.open(io.BytesIO(pdf))
    entries = []
    for index, page in enumerate(document.pages):
        numbers = [
            box
            for box in _boxes(page._page_box)
            if type(box).__name__ == "TextBox"
            and box.element_tag in ("a::after", "span::after")
            and box.element.get("data-page") is not None
        ]
        if not numbers:
            continue
        spans = [int(found.group(2)) for found in EMPTY_MARKED_CONTENT.finditer(_content(opened.pages[index]))]
        if len(spans) != len(numbers):
            return {"kind": "layout", "why": f"{len(numbers)} numbers on page {index + 1}, {len(spans)} spans"}
        for text, mcid in zip(numbers, spans):
            entry = _number_entry(text, faces)
            if "why" in entry:
                return {"kind": "layout", "why": entry["why"]}
            anchor = text.element.get("href") or text.element.get("data-href") or ""
            entries.append({**entry, "page": index, "mcid": mcid, "anchor": anchor[1:]})
    return {"kind": "drawn", "entries": entries}


def _boxes(box):
    """Every box under `box`, absolutely positioned ones included (descendants() skips those)."""
    yield box
    for child in getattr(box, "children", ()):
        yield from _boxes(getattr(child, "_box", child))


def _content(page) -> bytes:
    import pikepdf

    contents = page.obj.Contents
    return b"".join(part.read_bytes() for part in (contents if isinstance(contents, pikepdf.Array) else [contents]))


def _number_entry(text, faces) -> dict:
    """How to draw one stand-in number (its text box): font, size, colour, features, alignment."""
    from weasyprint.text.fonts import font_features

    from .overlay import ShapedFont

    if text.text != text.element.get("data-page") or text.style["visibility"] == "visible":
        return {"why": f"a page number reads {text.text!r}, or shows"}
    style = text.style
    unusual = [name for name, plain in _PLAIN_TEXT.items() if style[name] != plain]
    face = print_face(faces, style)
    red, green, blue, alpha = style["color"].to("srgb")
    align = {"start": "left", "end": "right"}.get(style["text_align_all"], style["text_align_all"])
    padded = "page-number" in (text.element.get("class") or "").split()
    if padded:  # a cross-reference's number, in running text: as wide as its stand-in, padded on the left
        align = "left"
    if unusual or face is None or alpha != 1 or align not in ("left", "center", "right"):
        return {"why": f"contents number style: {unusual or align if face else 'font'}"}
    features = sorted(
        font_features(
            style["font_kerning"],
            style["font_variant_ligatures"],
            style["font_variant_position"],
            style["font_variant_caps"],
            style["font_variant_numeric"],
            style["font_variant_alternates"],
            style["font_variant_east_asian"],
            style["font_feature_settings"],
        ).items()
    )
    width = ShapedFont(str(face.path)).width(text.text, style["font_size"], tuple(features))
    if abs(width - text.width) > 0.05:  # CSS px
        return {"why": f"contents number measures {width:.2f}px, laid out {text.width:.2f}px"}
    x = {"left": text.position_x, "center": text.position_x + text.width / 2, "right": text.position_x + text.width}[
        align
    ]
    return {
        "x": x,
        "digits": len(text.text) if padded else 0,
        "align": align,
        "baseline": text.position_y + text.baseline,
        "font": str(face.path),
        "size": style["font_size"],
        "color": [red, green, blue],
        "features": features,
    }


# -- in the main process: the numbers drawn ---------------------------------------------------


@dataclass
class DrawnNumbers:
    """The contents' page numbers, drawn into the merged PDF's empty spans."""

    entries: list[dict]
    anchors: dict[str, int]  # element id → page index in the merged PDF

    def apply(self, merged, pages) -> None:
        from .overlay import TextStamps, TextStyle

        stamps = TextStamps(prefix="RBContents")
        for entry in self.entries:
            if entry["anchor"] not in self.anchors:
                continue  # nothing to point to: a single layout prints no number either
            text = str(self.anchors[entry["anchor"]] + 1).rjust(entry.get("digits", 0), FIGURE_SPACE)
            style = TextStyle(
                entry["font"],
                entry["size"],
                tuple(entry["color"]),
                tuple((tag, value) for tag, value in entry["features"]),
            )
            width = stamps.width(style, text)
            x = entry["x"] - {"left": 0, "center": width / 2, "right": width}[entry["align"]]
            stamps.fill(entry["page"], entry["mcid"], style, x, entry["baseline"], text)
        stamps.apply(merged, pages)
