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
from dataclasses import dataclass
from pathlib import Path

from ...project import load_project
from ...render import _styles, make_environment, margin_boxes_none, render_template
from .layout import layout_pdf

#: what the sample's running head says; its width is compared with what HarfBuzz measures
SAMPLE_HEAD = "Sample running head, 2026"
#: the margin boxes the drawing reproduces; a page style with any other one is laid out
DRAWN_BOXES = ("top-left", "top-right", "bottom-left", "bottom-right")
#: the text properties the drawing reproduces; any other value is laid out instead
PLAIN_TEXT = {
    "letter_spacing": "normal",
    "word_spacing": 0,
    "text_transform": "none",
    "font_feature_settings": "normal",
    "font_variant_numeric": "normal",
    "font_variant_ligatures": "normal",
    "font_variant_caps": "normal",
    "font_variant_position": "normal",
    "font_stretch": "normal",
    "font_kerning": "auto",
    "direction": "ltr",
    "text_decoration_line": "none",
}
_COLLAPSIBLE = re.compile(r"[ \t\n\r\f]+")


# -- in the main process: the documents the workers lay out ---------------------------------------


def furniture_html(publication, project, fonts_css: str, pages: list, only: str = "", wide=frozenset()) -> str:
    """Blank pages in the print page style, each setting the named strings `pages` lists for it;
    those whose index is in `wide` are landscape pages (the `wide` page of a wide table)."""
    jinja = make_environment(project)
    styles = [("fonts.css", fonts_css)] + _styles(project, "pdf")
    return render_template(
        jinja, "page_furniture.html", config=publication.config, styles=styles, pages=pages, only=only, wide=wide
    )


#: the sample's pages: the cover, a page with all its furniture, then the same page with only
#: its top-left box and with only its bottom-left box (stamped as they are)
FULL_PAGE, HEAD_PAGE, FOOT_PAGE = 1, 2, 3


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


# -- in a worker: the samples read ----------------------------------------------------------------


def layout_furniture_sample(root: str, html: str, identifier: str, fonts_dir: Path | None, faces) -> tuple[dict, bytes]:
    """Worker: how the furniture looks (see read_furniture), and the sample's PDF, whose pages
    the furniture's "head" and "foot" name are stamped as forms."""
    from .layout import write_pdf

    layout = layout_pdf(html, load_project(root), identifier, fonts_dir=fonts_dir)
    furniture = read_furniture(layout.document, faces)
    if furniture["kind"] != "drawn":
        return furniture, b""
    for key, name, index in (("head", "top-left", HEAD_PAGE), ("foot", "bottom-left", FOOT_PAGE)):
        alone = _margin_boxes(layout.document.pages[index])
        if set(alone) - {name} or _text_position(layout.document, name, index) != furniture[key]:
            return {"kind": "layout", "why": f"@{name} changes without its neighbours"}, b""
        furniture[key] = None if furniture[key] is None else index
    return furniture, write_pdf(layout, identifier, tagged=False)


def read_furniture(document, faces) -> dict:
    """How a single layout furnishes its pages, read off the sample's full page.

    {"kind": "drawn", "head": …, "running": …, "foot": …, "footer": …} when the pages carry at
    most the four boxes of DRAWN_BOXES, the left ones constant, the right ones one line of plain
    text in one of the print fonts; {"kind": "layout", "why": …} for anything else.
    """
    if len(document.pages) != 4:
        return {"kind": "layout", "why": "the sample has other pages"}
    if _margin_boxes(document.pages[0]):
        return {"kind": "layout", "why": "the cover has margin boxes"}
    boxes = _margin_boxes(document.pages[FULL_PAGE])
    others = sorted(set(boxes) - set(DRAWN_BOXES))
    if others:
        return {"kind": "layout", "why": f"margin boxes {', '.join(others)}"}
    found: dict = {"kind": "drawn", "page": [document.pages[FULL_PAGE].width, document.pages[FULL_PAGE].height]}
    for key, name in (("head", "top-left"), ("foot", "bottom-left")):
        box = boxes.get(name)
        if box is not None and any(kind != "string" for kind, _value in box.style["content"]):
            return {"kind": "layout", "why": f"@{name} is not constant"}
        found[key] = _text_position(document, name, FULL_PAGE)
    for key, name, read in (("running", "top-right", _running_head), ("footer", "bottom-right", _footer)):
        box = boxes.get(name)
        line = None if box is None else read(box, faces, len(document.pages))
        if line is not None and line["kind"] == "layout":
            return line
        found[key] = line
    if found["running"] is not None:
        found["running"]["fit"] = _fit(document.pages[FULL_PAGE]._page_box, boxes)
        if found["running"]["fit"] is None:
            return {"kind": "layout", "why": "@top-left is more than one line"}
    return found


def _margin_boxes(page) -> dict:
    """The margin boxes WeasyPrint generated on a page, by name."""
    return {child.at_keyword[1:]: child for child in page._page_box.children if hasattr(child, "at_keyword")}


def _text_position(document, name, index):
    """(x, y, text) of each piece of text in a margin box on a page of the sample; None when it has none."""
    box = _margin_boxes(document.pages[index]).get(name)
    texts = [] if box is None else [b for b in box.descendants() if type(b).__name__ == "TextBox"]
    return [[t.position_x, t.position_y, t.text] for t in texts] or None


def _footer(box, faces, pages: int) -> dict | None:
    parts = []
    for kind, value in box.style["content"]:
        if kind == "string":
            parts.append(["string", value])
        elif kind == "counter()" and value[0] in ("page", "pages") and value[1] == "decimal":
            parts.append([value[0]])
        else:
            return {"kind": "layout", "why": f"footer content {kind}"}
    return _line(box, faces, footer_text(parts, FULL_PAGE + 1, pages), parts)


def _running_head(box, faces, _pages: int) -> dict | None:
    parts = []
    for kind, value in box.style["content"]:
        if kind == "string":
            parts.append(["string", value])
        elif kind == "string()" and value[1] in ("first", "last", "first-except"):
            parts.append(["named", value[0], value[1]])
        else:
            return {"kind": "layout", "why": f"running head content {kind}"}
    # the sample page sets every name: first-except shows nothing there
    sample = "".join(
        part[1] if part[0] == "string" else "" if part[2] == "first-except" else SAMPLE_HEAD for part in parts
    )
    return _line(box, faces, sample, parts)


def _line(box, faces, expected: str, parts) -> dict | None:
    """Where and how a margin box's one line of text is drawn; None when the box shows nothing."""
    texts = [b for b in box.descendants() if type(b).__name__ == "TextBox"]
    lines = [b for b in box.children if type(b).__name__ == "LineBox"]
    if not texts and not expected.strip():
        return None
    if len(texts) != 1 or len(lines) != 1 or texts[0].text != collapse(expected):
        return {"kind": "layout", "why": f"@{box.at_keyword[1:]} is not one line of text"}
    text = texts[0]
    style = text.style
    unusual = [name for name, plain in PLAIN_TEXT.items() if style[name] != plain]
    face = print_face(faces, style)
    red, green, blue, alpha = style["color"].to("srgb")
    align = {"start": "left", "end": "right"}.get(box.style["text_align_all"], box.style["text_align_all"])
    if unusual or face is None or alpha != 1 or align not in ("left", "center", "right"):
        return {"kind": "layout", "why": f"@{box.at_keyword[1:]} style: {unusual or align if face else 'font'}"}
    x = {"left": text.position_x, "center": text.position_x + text.width / 2, "right": text.position_x + text.width}[
        align
    ]
    return {
        "kind": "text",
        "parts": parts,
        "align": align,
        "x": x,
        "baseline": text.position_y + text.baseline,
        "font": str(face.path),
        "size": style["font_size"],
        "color": [red, green, blue],
        "sample": text.text,
        "sample_width": text.width,
    }


def _fit(page_box, boxes) -> dict | None:
    """What decides whether a running head stays on one line: WeasyPrint gives the top-left and
    top-right boxes at least their max-content width when both fit in the page's width."""
    right, left = boxes["top-right"], boxes.get("top-left")
    neighbour = 0.0
    if left is not None:
        if len([b for b in left.children if type(b).__name__ == "LineBox"]) > 1:
            return None
        texts = [b for b in left.descendants() if type(b).__name__ == "TextBox"]
        neighbour = sum(t.width for t in texts) + left.margin_width() - left.width
    return {"room": page_box.border_width(), "neighbour": neighbour, "sugar": right.margin_width() - right.width}


def print_face(faces, style):
    """The static face WeasyPrint used for `style`, when it is one of the print fonts."""
    family = style["font_family"][0].lower()
    candidates = [face for face in faces if face.family.lower() == family and face.style == style["font_style"]]
    exact = [face for face in candidates if face.weight == style["font_weight"]]
    return exact[0] if exact else None


def page_strings(document) -> list[list[list[str]]]:
    """Worker: the named strings (string-set) each page's content sets, in the order WeasyPrint
    collects them for string()."""
    pages = []
    for page in document.pages:
        found = []
        for box in page._page_box.descendants():
            string_set = box.string_set
            if string_set and string_set != "none":
                found.extend([name, text] for name, text in string_set)
        pages.append(found)
    return pages


# -- in the main process: the furniture drawn --------------------------------------------------


def checked(furniture: dict) -> dict:
    """Draw text only when HarfBuzz measures each sample line as WeasyPrint laid it out."""
    if furniture["kind"] != "drawn":
        return furniture
    from .overlay import ShapedFont

    for key in ("running", "footer"):
        line = furniture[key]
        if line is None:
            continue
        width = ShapedFont(line["font"]).width(line["sample"], line["size"])
        if abs(width - line["sample_width"]) > 0.05:  # CSS px
            return {"kind": "layout", "why": f"{key} measures {width:.2f}px, laid out {line['sample_width']:.2f}px"}
    return furniture


def footer_text(parts, page: int, total: int) -> str:
    return "".join(part[1] if part[0] == "string" else str(page if part[0] == "page" else total) for part in parts)


def collapse(text: str) -> str:
    """Text as a margin box shows it: white space collapsed, soft hyphens unseen."""
    return _COLLAPSIBLE.sub(" ", text).replace("\u00ad", "").strip(" ")


def running_heads(parts, strings: list[list[list[str]]]) -> list[str]:
    """The running head of each page, resolving string() as WeasyPrint does: a value set on
    the page (the first, the last, or none at all for first-except), else the last value set
    on an earlier page."""
    heads, current = [], {}
    for assignments in strings:
        on_page: dict[str, list[str]] = {}
        for name, value in assignments:
            on_page.setdefault(name, []).append(value)
        text = []
        for kind, value, *keyword in parts:
            if kind == "string":
                text.append(value)
                continue
            here = on_page.get(value)
            if not here:
                text.append(current.get(value, ""))
            else:
                text.append({"first": here[0], "last": here[-1], "first-except": ""}[keyword[0]])
        heads.append(collapse("".join(text)))
        current.update({name: values[-1] for name, values in on_page.items()})
    return heads


@dataclass
class DrawnFurniture:
    """The furniture drawn straight onto the merged pages: constant boxes stamped from the
    sample's forms, running heads and page numbers drawn as text."""

    furniture: dict
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
            key: merged.copy_foreign(forms.pages[furniture[key]].as_form_xobject())
            for key in ("head", "foot")
            if furniture[key] is not None
        }

        def line(index, spec, text, part):
            style = TextStyle(spec["font"], spec["size"] * PX, tuple(spec["color"]))
            width = stamps.width(style, text)
            dx, dy = larger(index)
            x = spec["x"] * PX + {"left": 0, "center": (dx - width) / 2, "right": dx - width}[spec["align"]]
            y = float(pages[index].MediaBox[3]) - spec["baseline"] * PX - (0 if part == "Header" else dy)
            stamps.add(index, style, x, y, text, part)

        def larger(index) -> tuple[float, float]:
            """How much wider and taller the page is than the sample's (a landscape page: see tablefit.py)."""
            box = [float(value) for value in pages[index].MediaBox]
            dx, dy = box[2] - box[0] - furniture["page"][0] * PX, box[3] - box[1] - furniture["page"][1] * PX
            return (0.0 if abs(dx) < 0.01 else dx), (0.0 if abs(dy) < 0.01 else dy)

        for index in range(1, len(pages)):  # the cover has none
            if "head" in shared:
                stamps.add_form(index, "/RBHead", shared["head"], "Header", (0.0, larger(index)[1]))
            if furniture["running"] is not None and self.heads[index]:
                line(index, furniture["running"], self.heads[index], "Header")
            if "foot" in shared:
                stamps.add_form(index, "/RBFoot", shared["foot"], "Footer")
            if furniture["footer"] is not None:
                text = footer_text(furniture["footer"]["parts"], index + 1, self.total)
                line(index, furniture["footer"], text, "Footer")
        stamps.apply(merged, pages)


def drawable_heads(furniture: dict, strings) -> tuple[list[str] | None, str]:
    """Each page's running head when all the furniture can be drawn, else None; and why not."""
    if furniture["kind"] != "drawn":
        return None, furniture["why"]
    running = furniture["running"]
    if running is None:
        return [""] * len(strings), ""
    from .overlay import ShapedFont

    font = ShapedFont(running["font"])
    fit = running["fit"]
    heads = running_heads(running["parts"], strings)
    for head in sorted(set(heads)):
        if any(unicodedata.bidirectional(c) in ("R", "AL", "AN", "RLE", "RLO", "RLI") for c in head):
            return None, f"running head {head!r} is right-to-left"
        glyphs = font.shape(head)
        if any(glyph == 0 for glyph, _advance in glyphs):  # WeasyPrint would take another font
            return None, f"running head {head!r} has characters its font lacks"
        width = sum(advance for _glyph, advance in glyphs) * running["size"] / font.upem
        if fit["neighbour"] + fit["sugar"] + width >= fit["room"] - 0.01:
            return None, f"running head {head!r} is too long for one line"
    return heads, ""


@dataclass
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
