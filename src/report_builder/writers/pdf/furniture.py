"""Page furniture of a PDF laid out in chunks: running heads, marking and page numbers.

The chunks are laid out without margin boxes (laying them out cost a tenth of a chunk's time,
and the page numbers need the page count anyway). After the merge they are put back where a
single layout puts them, read off a sample document of blank pages in the same page style:

- constant boxes (the title at the top left, the marking at the bottom left) are stamped as
  forms WeasyPrint drew once;
- the running head (`string(section)` at the top right) and the page numbers are drawn as
  text (see overlay.py), from the named strings each chunk's pages set;
- anything the drawing cannot reproduce (another margin box, a footer with roman numerals, a
  running head too long for one line or in a script the font lacks) comes from a document of
  blank pages that sets the same strings, laid out after the chunks and stamped page on page.

Either way the furniture is drawn after the page's content, in the order WeasyPrint draws its
margin boxes, so text extraction reads the pages as it reads a single layout.
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from ...project import load_project
from ...render import _styles, make_environment, margin_boxes_none, render_template
from . import weasy
from .layout import layout_pdf

#: what the sample's running head says; its width is compared with what HarfBuzz measures
SAMPLE_HEAD = "Sample running head, 2026"
#: the margin boxes the drawing reproduces; a page style with any other one is laid out
DRAWN_BOXES = ("top-left", "top-right", "bottom-left", "bottom-right")
_COLLAPSIBLE = re.compile(r"[ \t\n\r\f]+")


# -- in the main process: the documents the workers lay out ---------------------------------------


def furniture_html(
    publication, project, fonts_css: str, pages: list, only: str = "", wide=frozenset(), blank=frozenset()
) -> str:
    """Blank pages in the print page style, each setting the named strings `pages` lists for it;
    those whose index is in `wide` are landscape pages (the `wide` page of a wide table), those in
    `blank` the pages a two-sided layout leaves blank before a recto (laid out as such: `:blank`)."""
    jinja = make_environment(project)
    styles = [("fonts.css", fonts_css)] + _styles(project, "pdf")
    return render_template(
        jinja,
        "page_furniture.html",
        config=publication.config,
        styles=styles,
        pages=pages,
        only=only,
        wide=wide,
        blank=blank,
    )


#: the sample's pages: the cover, a page with all its furniture, then the same page with only
#: its top-left box and with only its bottom-left box (stamped as they are)
FULL_PAGE, HEAD_PAGE, FOOT_PAGE = 1, 2, 3
SAMPLE_PAGES = 4


def sample_html(publication, project, fonts_css: str) -> str:
    """The sample document: every named string the stylesheets set holds SAMPLE_HEAD on its full page."""
    names = string_names(css for _name, css in _styles(project, "pdf"))
    pages = [[], [[name, SAMPLE_HEAD] for name in names], [], []]
    only = (
        margin_boxes_none(keep=("top-left",), pages=f":nth({HEAD_PAGE + 1})")
        + "\n"
        + margin_boxes_none(keep=("bottom-left",), pages=f":nth({FOOT_PAGE + 1})")
    )
    return furniture_html(publication, project, fonts_css, pages, only)


def string_names(stylesheets) -> list[str]:
    """The names the stylesheets' string-set declarations set (a rough reading is enough: a name
    missed leaves the sample's running head empty, and the furniture is laid out instead)."""
    names = set()
    for css in stylesheets:
        for value in re.findall(r"string-set\s*:([^;}]*)", css):
            names.update(re.findall(r"(?:^|,)\s*(-?[_a-zA-Z][-\w]*)", value))
    names.discard("none")
    return sorted(names)


# -- what is drawn: typed, handed from the worker and kept in the chunk cache -------------------


@dataclass(frozen=True)
class LaidOut:
    """What the drawing cannot reproduce: laid out by WeasyPrint instead; why, for --verbose."""

    why: str


@dataclass(frozen=True)
class Part:
    """A piece of a running head or footer line."""

    kind: str  # "text", "named" (a string() of the pages), "page" or "pages" (the counters)
    value: str = ""  # the text; the string's name
    keyword: str = ""  # which value of the string: first, last or first-except


@dataclass(frozen=True)
class Fit:
    """What decides whether a running head stays on one line (see _fit), CSS px."""

    room: float
    neighbour: float
    sugar: float


@dataclass(frozen=True)
class TextLine:
    """A margin box's one line of text: what it says, and where and how it is drawn."""

    parts: tuple[Part, ...]
    align: str  # left, center or right
    x: float  # CSS px: where the line starts, centres or ends, by `align`
    baseline: float  # CSS px from the page's top
    font: str  # the static font file
    size: float  # CSS px
    color: tuple[float, float, float]  # sRGB
    sample: str  # what the sample page shows
    sample_width: float  # and how wide WeasyPrint laid it out
    fit: Fit | None = None  # the running head's


@dataclass(frozen=True)
class DrawnLook:
    """How a single layout furnishes its pages, when the drawing reproduces it."""

    head: int | None  # the sample page whose top-left box is stamped as a form; None: no such box
    foot: int | None  # likewise the bottom-left box
    running: TextLine | None  # the running head (top-right)
    footer: TextLine | None  # the page numbers (bottom-right)
    page: tuple[float, float] = (0.0, 0.0)  # the sample page's width and height, CSS px


Furniture = DrawnLook | LaidOut


# -- in a worker: the samples read ----------------------------------------------------------------


def layout_furniture_sample(
    root: str, html: str, identifier: str, fonts_dir: Path | None, faces
) -> tuple[Furniture, bytes]:
    """Worker: how the furniture looks (see read_furniture), and the sample's PDF, whose pages
    the furniture's `head` and `foot` name are stamped as forms."""
    from .layout import write_pdf

    layout = layout_pdf(html, load_project(root), identifier, fonts_dir=fonts_dir)
    furniture = read_furniture(layout.document, faces)
    if isinstance(furniture, LaidOut):
        return furniture, b""
    return furniture, write_pdf(layout, identifier, tagged=False)


def read_furniture(document, faces) -> Furniture:
    """How a single layout furnishes its pages, read off the sample's pages.

    Drawn when the pages carry at most the four boxes of DRAWN_BOXES, the left ones constant
    (and the same alone on their own pages), the right ones one line of plain text in one of
    the print fonts; laid out for anything else.
    """
    if len(document.pages) != SAMPLE_PAGES:
        return LaidOut("the sample has other pages")
    pages = [weasy.margin_boxes(page) for page in document.pages]
    if pages[0]:
        return LaidOut("the cover has margin boxes")
    boxes = pages[FULL_PAGE]
    others = sorted(set(boxes) - set(DRAWN_BOXES))
    if others:
        return LaidOut(f"margin boxes {', '.join(others)}")
    constant = {}
    for name in ("top-left", "bottom-left"):
        box = boxes.get(name)
        if box is not None and any(item.kind != "text" for item in box.content):
            return LaidOut(f"@{name} is not constant")
        constant[name] = _text_position(box)
    lines: dict[str, TextLine | None] = {}
    for name, read in (("top-right", _running_head), ("bottom-right", _footer)):
        box = boxes.get(name)
        line = None if box is None else read(box, faces)
        if isinstance(line, LaidOut):
            return line
        lines[name] = line
    running = lines["top-right"]
    if running is not None:
        fit = _fit(weasy.page_width(document.pages[FULL_PAGE]), boxes)
        if fit is None:
            return LaidOut("@top-left is more than one line, or cut to one")
        running = replace(running, fit=fit)
    for name, index in (("top-left", HEAD_PAGE), ("bottom-left", FOOT_PAGE)):
        alone = pages[index]
        if set(alone) - {name} or _text_position(alone.get(name)) != constant[name]:
            return LaidOut(f"@{name} changes without its neighbours")
    return DrawnLook(
        head=None if constant["top-left"] is None else HEAD_PAGE,
        foot=None if constant["bottom-left"] is None else FOOT_PAGE,
        running=running,
        footer=lines["bottom-right"],
        page=(document.pages[FULL_PAGE].width, document.pages[FULL_PAGE].height),
    )


def _text_position(box: weasy.MarginBox | None) -> list[tuple[float, float, str]] | None:
    """(x, y, text) of each piece of text in a margin box; None when it has none."""
    texts = [] if box is None else box.texts
    return [(t.x, t.y, t.text) for t in texts] or None


def _footer(box: weasy.MarginBox, faces) -> TextLine | LaidOut | None:
    parts = []
    for item in box.content:
        if item.kind == "text":
            parts.append(Part("text", item.value))
        elif item.kind == "counter" and item.value in ("page", "pages") and item.option == "decimal":
            parts.append(Part(item.value))
        else:
            return LaidOut(f"footer content {item.written}")
    return _line(box, faces, footer_text(parts, FULL_PAGE + 1, SAMPLE_PAGES), parts)


def _running_head(box: weasy.MarginBox, faces) -> TextLine | LaidOut | None:
    parts = []
    for item in box.content:
        if item.kind == "text":
            parts.append(Part("text", item.value))
        elif item.kind == "string" and item.option in ("first", "last", "first-except"):
            parts.append(Part("named", item.value, item.option))
        else:
            return LaidOut(f"running head content {item.written}")
    # the sample page sets every name: first-except shows nothing there
    sample = "".join(
        part.value if part.kind == "text" else "" if part.keyword == "first-except" else SAMPLE_HEAD for part in parts
    )
    return _line(box, faces, sample, parts)


def _line(box: weasy.MarginBox, faces, expected: str, parts: list[Part]) -> TextLine | LaidOut | None:
    """Where and how a margin box's one line of text is drawn; None when the box shows nothing."""
    texts = box.texts
    if not texts and not expected.strip():
        return None
    if len(texts) != 1 or box.lines != 1 or texts[0].text != collapse(expected):
        return LaidOut(f"@{box.name} is not one line of text")
    text = texts[0]
    look = text.look
    face = print_face(faces, look)
    align = box.align
    why = style_problem(list(look.unusual), face, look, align)
    if why is not None:
        return LaidOut(f"@{box.name} style: {why}")
    red, green, blue, _alpha = look.color
    return TextLine(
        parts=tuple(parts),
        align=align,
        x=anchor_x(text, align),
        baseline=text.baseline,
        font=str(face.path),
        size=look.size,
        color=(red, green, blue),
        sample=text.text,
        sample_width=text.width,
    )


def _fit(room: float, boxes: dict[str, weasy.MarginBox]) -> Fit | None:
    """What decides whether a running head stays on one line: WeasyPrint gives the top-left and
    top-right boxes at least their max-content width when both fit in the page's width."""
    right, left = boxes["top-right"], boxes.get("top-left")
    neighbour = 0.0
    if left is not None:
        if left.lines > 1 or left.clamped:  # a clamped title's box is wider than its text
            return None
        neighbour = sum(t.width for t in left.texts) + left.margin_width - left.width
    return Fit(room=room, neighbour=neighbour, sugar=right.margin_width - right.width)


def style_problem(unusual: list[str], face, look: weasy.Look, align: str) -> str | None:
    """What keeps text of `look` from being drawn again as WeasyPrint laid it out (text properties
    other than the plain ones, no print face, a translucent colour, another alignment), or None."""
    if unusual or face is None or look.color[3] != 1 or align not in ("left", "center", "right"):
        return str(unusual or align if face else "font")
    return None


def anchor_x(text: weasy.PlacedText, align: str) -> float:
    """The x a line of `text` is drawn from: its start, middle or end, as it is aligned."""
    return {"left": text.x, "center": text.x + text.width / 2, "right": text.x + text.width}[align]


def print_face(faces, look: weasy.Look):
    """The static face WeasyPrint used for text of `look`, when it is one of the print fonts."""
    family = look.family.lower()
    candidates = [face for face in faces if face.family.lower() == family and face.style == look.style]
    exact = [face for face in candidates if face.weight == look.weight]
    return exact[0] if exact else None


def page_strings(document) -> list[list[list[str]]]:
    """Worker: the named strings (string-set) each page's content sets (see weasy.page_strings)."""
    return weasy.page_strings(document)


# -- in the main process: the furniture drawn --------------------------------------------------


def checked(furniture: Furniture | None) -> Furniture:
    """Draw text only when HarfBuzz measures each sample line as WeasyPrint laid it out."""
    if furniture is None:
        return LaidOut("the sample was not read")
    if isinstance(furniture, LaidOut):
        return furniture
    from .overlay import ShapedFont

    for key, line in (("running", furniture.running), ("footer", furniture.footer)):
        if line is None:
            continue
        width = ShapedFont(line.font).width(line.sample, line.size)
        if abs(width - line.sample_width) > 0.05:  # CSS px
            return LaidOut(f"{key} measures {width:.2f}px, laid out {line.sample_width:.2f}px")
    return furniture


def footer_text(parts: Sequence[Part], page: int, total: int) -> str:
    return "".join(part.value if part.kind == "text" else str(page if part.kind == "page" else total) for part in parts)


def collapse(text: str) -> str:
    """Text as a margin box shows it: white space collapsed, soft hyphens unseen."""
    return _COLLAPSIBLE.sub(" ", text).replace("\u00ad", "").strip(" ")


def running_heads(parts: Sequence[Part], strings: list[list[list[str]]]) -> list[str]:
    """The running head of each page, resolving string() as WeasyPrint does: a value set on
    the page (the first, the last, or none at all for first-except), else the last value set
    on an earlier page."""
    heads: list[str] = []
    current: dict[str, str] = {}
    for assignments in strings:
        on_page: dict[str, list[str]] = {}
        for name, value in assignments:
            on_page.setdefault(name, []).append(value)
        text = []
        for part in parts:
            if part.kind == "text":
                text.append(part.value)
                continue
            here = on_page.get(part.value)
            if not here:
                text.append(current.get(part.value, ""))
            else:
                text.append({"first": here[0], "last": here[-1], "first-except": ""}[part.keyword])
        heads.append(collapse("".join(text)))
        current.update({name: values[-1] for name, values in on_page.items()})
    return heads


@dataclass(frozen=True)
class DrawnFurniture:
    """The furniture drawn straight onto the merged pages: constant boxes stamped from the
    sample's forms, running heads and page numbers drawn as text."""

    furniture: DrawnLook
    forms: bytes
    heads: list[str]
    total: int
    strings: list  # what the heads were resolved from

    def apply(self, merged, pages) -> None:
        import pikepdf

        from .overlay import PX, TextStamps, TextStyle

        furniture, stamps = self.furniture, TextStamps()
        forms = pikepdf.open(io.BytesIO(self.forms)) if self.forms else None
        shared = {
            key: merged.copy_foreign(forms.pages[page].as_form_xobject())
            for key, page in (("head", furniture.head), ("foot", furniture.foot))
            if page is not None and forms is not None
        }

        def line(index: int, spec: TextLine, text: str, part: str) -> None:
            style = TextStyle(spec.font, spec.size * PX, spec.color)
            width = stamps.width(style, text)
            dx, dy = larger(index)
            x = spec.x * PX + {"left": 0, "center": (dx - width) / 2, "right": dx - width}[spec.align]
            y = float(pages[index].trimbox[3]) - spec.baseline * PX - (0 if part == "Header" else dy)
            stamps.add(index, style, x, y, text, part)

        def larger(index: int) -> tuple[float, float]:
            """How much wider and taller the page is than the sample's (a landscape page: see tablefit.py);
            the trim box, which is the media box but for a bleed (pdf.print)."""
            box = [float(value) for value in pages[index].trimbox]
            dx = box[2] - box[0] - furniture.page[0] * PX
            dy = box[3] - box[1] - furniture.page[1] * PX
            return (0.0 if abs(dx) < 0.01 else dx), (0.0 if abs(dy) < 0.01 else dy)

        for index in range(1, len(pages)):  # the cover has none
            if "head" in shared:
                stamps.add_form(index, "/RBHead", shared["head"], "Header", (0.0, larger(index)[1]))
            if furniture.running is not None and self.heads[index]:
                line(index, furniture.running, self.heads[index], "Header")
            if "foot" in shared:
                stamps.add_form(index, "/RBFoot", shared["foot"], "Footer")
            if furniture.footer is not None:
                text = footer_text(furniture.footer.parts, index + 1, self.total)
                line(index, furniture.footer, text, "Footer")
        stamps.apply(merged, pages)


def drawable_heads(furniture: Furniture, strings) -> tuple[list[str] | None, str]:
    """Each page's running head when all the furniture can be drawn, else None; and why not."""
    if isinstance(furniture, LaidOut):
        return None, furniture.why
    running = furniture.running
    if running is None:
        return [""] * len(strings), ""
    from .overlay import ShapedFont

    font = ShapedFont(running.font)
    fit = running.fit
    assert fit is not None, "a running head is read with its fit"
    heads = running_heads(running.parts, strings)
    for head in sorted(set(heads)):
        if any(unicodedata.bidirectional(c) in ("R", "AL", "AN", "RLE", "RLO", "RLI") for c in head):
            return None, f"running head {head!r} is right-to-left"
        glyphs = font.shape(head)
        if any(glyph == 0 for glyph, _advance in glyphs):  # WeasyPrint would take another font
            return None, f"running head {head!r} has characters its font lacks"
        width = sum(advance for _glyph, advance in glyphs) * running.size / font.upem
        if fit.neighbour + fit.sugar + width >= fit.room - 0.01:
            return None, f"running head {head!r} is too long for one line"
    return heads, ""


@dataclass(frozen=True)
class StampedFurniture:
    """Furniture from a laid-out document of blank pages, stamped page on page."""

    pdf: bytes

    def apply(self, merged, pages) -> None:
        import pikepdf

        document = pikepdf.open(io.BytesIO(self.pdf))  # kept open while its pages are copied
        furniture = list(document.pages)
        for index, page in enumerate(pages):
            form = merged.copy_foreign(furniture[index].as_form_xobject())
            if "/Resources" not in page.obj:
                page.obj.Resources = pikepdf.Dictionary()
            if "/XObject" not in page.obj.Resources:
                page.obj.Resources.XObject = pikepdf.Dictionary()
            # named by page (pages of a chunk share one resource dictionary), never at random
            name = pikepdf.Name(f"/RBFurniture{index + 1}")
            page.obj.Resources.XObject[name] = form
            # the page's own content leaves its coordinate system flipped: isolate it first
            page.contents_add(pikepdf.Stream(merged, b"q\n"), prepend=True)
            page.contents_add(
                pikepdf.Stream(merged, b"\nQ\n/Artifact BMC q " + bytes(name) + b" Do Q EMC\n"), prepend=False
            )


def layout_furniture(root: str, html: str, identifier: str, fonts_dir: Path | None) -> bytes:
    """Worker: lay out the furniture document; untagged, its pages are stamped as artifacts."""
    from .layout import write_pdf

    return write_pdf(layout_pdf(html, load_project(root), identifier, fonts_dir=fonts_dir), identifier, tagged=False)
