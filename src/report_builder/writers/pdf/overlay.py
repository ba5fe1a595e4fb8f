"""Page furniture drawn straight onto finished PDF pages: short lines of text and stamped forms.

A PDF laid out in chunks gets its running heads and page numbers after the merge, when the
page count is known. Laying them out in the chunks cost a tenth of their layout time, and
laying out a second document of blank pages to carry them cost a full WeasyPrint page per page;
this draws them instead: each line is shaped with HarfBuzz in the same static font file
WeasyPrint used, and the glyphs are embedded as a font subset of their own (Type 0, Identity-H,
glyph ids kept, widths from the font, a ToUnicode map so the text is searchable and read as
written); constant furniture is a form XObject WeasyPrint drew once. Both are marked as
pagination artifacts (header or footer), in the order a single layout draws its margin boxes.

Text can also fill marked content WeasyPrint left empty (see contents.py): it is then drawn
in the page's own coordinates, inside the tagged span, as part of the content.
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass, field
from pathlib import Path

from . import weasy

#: WeasyPrint's unit: CSS pixels, 0.75 pt each
PX = 0.75


@dataclass(frozen=True)
class TextStyle:
    font: str  # path of a static (not variable) TrueType font
    size: float  # points
    color: tuple[float, float, float]  # sRGB, 0–1
    features: tuple[tuple[str, int], ...] = ()  # OpenType features on top of the font's defaults


@dataclass
class _Line:
    style: TextStyle
    x: float  # points from the left edge to the start of the baseline
    y: float  # points from the bottom edge to the baseline
    glyphs: list[tuple[int, int]]  # (glyph id, advance in font units)
    part: str  # "Header" or "Footer": the artifact it belongs to; "" inside tagged content


@dataclass
class _Form:
    name: str  # its name in the page's /XObject resources
    form: object  # a pikepdf form XObject of the same PDF, drawn over the whole page
    part: str
    offset: tuple[float, float] = (0.0, 0.0)  # where its origin is drawn, in points


class ShapedFont:
    """One font file: shapes text and remembers every glyph used, for the subset."""

    def __init__(self, path: str):
        import uharfbuzz

        self.path = path
        self.face = uharfbuzz.Face(Path(path).read_bytes())
        self.font = uharfbuzz.Font(self.face)  # scaled in font units
        self.upem = self.face.upem
        self.used: dict[int, str] = {0: ""}  # glyph id → the text it stands for
        self.shaped: dict[tuple, list[tuple[int, int]]] = {}  # running heads repeat from page to page

    def shape(self, text: str, features: tuple[tuple[str, int], ...] = ()) -> list[tuple[int, int]]:
        """(glyph id, advance) of each glyph, with the font's default features (kerning included)
        and `features`."""
        if (text, features) not in self.shaped:
            self.shaped[text, features] = self._shape(text, dict(features)) if text else []
        return self.shaped[text, features]

    def _shape(self, text: str, features: dict[str, int]) -> list[tuple[int, int]]:
        import uharfbuzz

        buffer = uharfbuzz.Buffer()
        buffer.add_str(text)
        buffer.guess_segment_properties()
        uharfbuzz.shape(self.font, buffer, features)
        starts = sorted({info.cluster for info in buffer.glyph_infos}) + [len(text)]
        glyphs = []
        for info, position in zip(buffer.glyph_infos, buffer.glyph_positions):
            end = starts[starts.index(info.cluster) + 1]
            self.used.setdefault(info.codepoint, text[info.cluster : end])
            glyphs.append((info.codepoint, position.x_advance))
        return glyphs

    def width(self, text: str, size: float, features: tuple[tuple[str, int], ...] = ()) -> float:
        return sum(advance for _glyph, advance in self.shape(text, features)) * size / self.upem

    def advance_1000(self, glyph: int) -> int:
        return round(self.font.get_glyph_h_advance(glyph) * 1000 / self.upem)


@dataclass
class TextStamps:
    """Lines and forms to draw on the pages of one PDF, in order; `apply` embeds the fonts and
    draws them all."""

    prefix: str = "RBText"  # of the fonts' resource names: another TextStamps on the same PDF takes another
    fonts: dict[str, ShapedFont] = field(default_factory=dict)
    lines: dict[int, list[_Line | _Form]] = field(default_factory=dict)  # page index → what to draw
    fills: dict[int, dict[int, _Line]] = field(default_factory=dict)  # page index → MCID → its text

    def font(self, path: str) -> ShapedFont:
        if path not in self.fonts:
            self.fonts[path] = ShapedFont(path)
        return self.fonts[path]

    def width(self, style: TextStyle, text: str) -> float:
        """The advance width of `text` in points."""
        return self.font(style.font).width(text, style.size, style.features)

    def add(self, page: int, style: TextStyle, x: float, y: float, text: str, part: str = "Footer") -> None:
        """Draw `text` on page `page` with its baseline starting at (x, y), in points from the
        page's bottom-left corner."""
        self.lines.setdefault(page, []).append(
            _Line(style, x, y, self.font(style.font).shape(text, style.features), part)
        )

    def fill(self, page: int, mcid: int, style: TextStyle, x: float, y: float, text: str) -> None:
        """Draw `text` inside the empty marked-content sequence `mcid` of page `page`, its baseline
        starting at (x, y) in the page's own coordinates there (WeasyPrint's: CSS px, y down)."""
        glyphs = self.font(style.font).shape(text, style.features)
        self.fills.setdefault(page, {})[mcid] = _Line(style, x, y, glyphs, "")

    def add_form(self, page: int, name: str, form, part: str, offset: tuple[float, float] = (0.0, 0.0)) -> None:
        """Draw the form XObject `form` (of the same PDF) over page `page`, moved by `offset` (points)."""
        self.lines.setdefault(page, []).append(_Form(name, form, part, offset))

    def apply(self, pdf, pages) -> None:
        """Draw everything onto `pages` (the PDF's pages in order)."""
        import pikepdf

        names = {path: pikepdf.Name(f"/{self.prefix}{index}") for index, path in enumerate(sorted(self.fonts))}
        embedded = {path: _embed(pdf, font) for path, font in sorted(self.fonts.items())}
        for index, fills in sorted(self.fills.items()):
            page = pages[index]
            fonts = _dictionary(_dictionary(page.obj, "/Resources"), "/Font")
            for line in fills.values():
                fonts[names[line.style.font]] = embedded[line.style.font]
            _fill_marked_content(
                pdf,
                page,
                {
                    mcid: _draw(line, names[line.style.font], self.fonts[line.style.font])
                    for mcid, line in fills.items()
                },
            )
        for index, items in sorted(self.lines.items()):
            page = pages[index]
            resources = _dictionary(page.obj, "/Resources")
            for item in items:
                if isinstance(item, _Form):
                    _dictionary(resources, "/XObject")[pikepdf.Name(item.name)] = item.form
                else:
                    _dictionary(resources, "/Font")[names[item.style.font]] = embedded[item.style.font]
            drawn, part = [], None
            for item in items:
                if item.part != part:
                    drawn.append(b"EMC\n" if part else b"")
                    drawn.append(b"/Artifact <</Type /Pagination /Subtype /%s>> BDC\n" % item.part.encode("ascii"))
                    part = item.part
                if isinstance(item, _Form) and item.offset != (0.0, 0.0):
                    move = b"1 0 0 1 %.3f %.3f cm " % item.offset
                    drawn.append(b"q %s%s Do Q\n" % (move, item.name.encode("ascii")))
                elif isinstance(item, _Form):
                    drawn.append(b"q %s Do Q\n" % item.name.encode("ascii"))
                else:
                    drawn.append(_draw(item, names[item.style.font], self.fonts[item.style.font]))
            # the page's own content may leave its graphics state changed: isolate it first
            page.contents_add(pikepdf.Stream(pdf, b"q\n"), prepend=True)
            page.contents_add(pikepdf.Stream(pdf, b"\nQ\n" + b"".join(drawn) + b"EMC\n"), prepend=False)


def _dictionary(parent, key: str):
    """parent[key], a dictionary, made when missing."""
    import pikepdf

    if key not in parent:
        parent[key] = pikepdf.Dictionary()
    return parent[key]


def _fill_marked_content(pdf, page, drawn: dict[int, bytes]) -> None:
    """Put `drawn[mcid]` inside the page's empty marked-content sequence of each MCID."""
    import pikepdf

    if isinstance(page.obj.Contents, pikepdf.Array):
        page.contents_coalesce()
    filled = set()

    def fill(match):
        mcid = int(match.group(2))
        if mcid not in drawn:
            return match.group(0)
        filled.add(mcid)
        return match.group(1) + b"\n" + drawn[mcid] + match.group(3)

    content = weasy.EMPTY_MARKED_CONTENT.sub(fill, page.obj.Contents.read_bytes())
    if filled != set(drawn):
        raise ValueError(f"no empty marked content {sorted(set(drawn) - filled)} on the page")
    page.obj.Contents = pikepdf.Stream(pdf, content)


def _draw(line: _Line, name, font: ShapedFont) -> bytes:
    """BT … ET for one line; a TJ offset wherever shaping moved a glyph from its plain advance.

    A line inside tagged content (part "") is in WeasyPrint's coordinates, whose y axis points down.
    """
    items = []
    for glyph, advance in line.glyphs:
        items.append(b"<%04x>" % glyph)
        shift = font.advance_1000(glyph) - advance * 1000 / font.upem
        if abs(shift) > 0.01:
            items.append(_number(shift))
    red, green, blue = line.style.color
    return b"q BT %s %s Tf %s %s %s rg 1 0 0 %s %s %s Tm [%s] TJ ET Q\n" % (
        bytes(name),
        _number(line.style.size),
        _number(red),
        _number(green),
        _number(blue),
        b"-1" if line.part == "" else b"1",
        _number(line.x),
        _number(line.y),
        b" ".join(items),
    )


def _number(value: float) -> bytes:
    return (b"%.4f" % value).rstrip(b"0").rstrip(b".") or b"0"


def _embed(pdf, font: ShapedFont):
    """A Type 0 font holding a subset of `font` with the glyphs used, glyph ids unchanged."""
    import pikepdf
    import uharfbuzz

    glyphs = sorted(font.used)
    plan = uharfbuzz.SubsetInput()
    plan.glyph_set.update(glyphs)
    plan.flags = uharfbuzz.SubsetFlags.RETAIN_GIDS | uharfbuzz.SubsetFlags.NO_HINTING
    program = uharfbuzz.subset(font.face, plan).blob.data
    # a subset's name: six capitals of its own, from what is in it (reproducible)
    tag = "".join(chr(65 + byte % 26) for byte in hashlib.sha256(repr(font.used).encode("utf-8")).digest()[:6])
    names = uharfbuzz.OTNameIdPredefined
    family = (
        font.face.get_name(names.TYPOGRAPHIC_FAMILY) or font.face.get_name(names.FONT_FAMILY) or Path(font.path).stem
    )  # named as WeasyPrint names its subsets: Noto-Sans
    base = pikepdf.Name("/" + tag + "+" + "".join(c for c in family.replace(" ", "-") if c.isalnum() or c in "-_"))
    scale = 1000 / font.upem
    x_min, y_min, x_max, y_max = struct.unpack(">4h", font.face.reference_table("head").data[36:44])
    extents = font.font.get_font_extents("ltr")
    cap_height = font.font.get_metric_position_with_fallback(uharfbuzz.OTMetricsTag.CAP_HEIGHT)
    descriptor = pdf.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.FontDescriptor,
            FontName=base,
            Flags=4,
            FontBBox=[round(v * scale) for v in (x_min, y_min, x_max, y_max)],
            ItalicAngle=round(font.font.get_style_value(uharfbuzz.StyleTag.SLANT_ANGLE), 2),
            Ascent=round(extents.ascender * scale),
            Descent=round(extents.descender * scale),
            CapHeight=round(cap_height * scale),
            StemV=80,
            FontFile2=pdf.make_stream(program, Length1=len(program)),
        )
    )
    widths = pikepdf.Array()
    for glyph in glyphs:
        widths.append(glyph)
        widths.append(pikepdf.Array([font.advance_1000(glyph)]))
    descendant = pdf.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.Font,
            Subtype=pikepdf.Name.CIDFontType2,
            BaseFont=base,
            CIDSystemInfo=pikepdf.Dictionary(
                Registry=pikepdf.String("Adobe"), Ordering=pikepdf.String("Identity"), Supplement=0
            ),
            FontDescriptor=descriptor,
            W=widths,
            CIDToGIDMap=pikepdf.Name.Identity,
        )
    )
    return pdf.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.Font,
            Subtype=pikepdf.Name.Type0,
            BaseFont=base,
            Encoding=pikepdf.Name("/Identity-H"),
            DescendantFonts=[descendant],
            ToUnicode=pdf.make_stream(_to_unicode(font.used)),
        )
    )


def _to_unicode(used: dict[int, str]) -> bytes:
    """The CMap from glyph ids to the text each stands for."""
    pairs = [(glyph, text) for glyph, text in sorted(used.items()) if text]
    blocks = []
    for start in range(0, len(pairs), 100):  # at most 100 entries per block
        chunk = pairs[start : start + 100]
        entries = "\n".join(f"<{glyph:04x}> <{text.encode('utf-16-be').hex()}>" for glyph, text in chunk)
        blocks.append(f"{len(chunk)} beginbfchar\n{entries}\nendbfchar")
    return (
        "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
        "/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
        "1 begincodespacerange\n<0000> <ffff>\nendcodespacerange\n"
        + "\n".join(blocks)
        + "\nendcmap\nCMapName currentdict /CMapResource defineresource pop\nend\nend\n"
    ).encode("ascii")
