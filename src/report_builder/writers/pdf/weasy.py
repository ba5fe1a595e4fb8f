"""The one boundary to WeasyPrint's internals: everything of it beyond its public API is here.

Public API (used anywhere): `HTML`, `CSS`, `Document`, `Page` (its `anchors` and `links`),
`DocumentMetadata` and the URL fetcher. Everything else the PDF writer relies on is read here
and handed out as frozen dataclasses, never as boxes:

- box-tree walks: where each page begins (the EPUB page-list), the named strings each page sets,
  the margin boxes of a page (the furniture sample), the contents' stand-in numbers;
- computed-style keys and values, and `text.fonts.font_features`;
- the content-stream shape of an empty tagged span (filled by overlay.py);
- the wording of WeasyPrint's log messages (a failed resource, a CSS position);
- the pydyf PDF `write_pdf` hands its finisher: the XMP stream, image dictionaries, the parent
  tree of link annotations (see metadata_finisher);
- three changes to WeasyPrint's behaviour: images named by their bytes, the footnote fix, and
  its PDF writer's (pydyf's) stream compression level.

These were written against one series (TESTED_SERIES). With any other version the build uses
the public API only (see `internals_supported`): one layout in one process, no patch, page
starts from each page's anchors; `tests/test_weasyprint_contract.py` names every internal
relied on, so an upgrade fails there first.
"""

from __future__ import annotations

import hashlib
import inspect
import logging
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from typing import Any

from ...pagelist import _breaks_word, _count_starts

#: the WeasyPrint series the internals below were read from and tested with
TESTED_SERIES = "70"


# -- the version guard ----------------------------------------------------------------------------


@cache
def installed_version() -> str:
    """`weasyprint.__version__` once WeasyPrint is imported; before, its installed version read
    without importing it (the main process of a chunked build leaves that to the workers)."""
    loaded = sys.modules.get("weasyprint")
    if loaded is not None:
        return str(loaded.__version__)
    from importlib.metadata import version

    return version("weasyprint")


def internals_supported() -> bool:
    """Whether the installed WeasyPrint is of the series this module was written against."""
    return installed_version().split(".")[0] == TESTED_SERIES


def unsupported_note() -> str | None:
    """What the build does without WeasyPrint's internals, for --verbose; None when it has them."""
    if internals_supported():
        return None
    return (
        f"pdf: WeasyPrint {installed_version()} is not the tested {TESTED_SERIES}.x: its public API only "
        "(one layout in one process, images named by address, footnotes as it places them, "
        "EPUB page starts at element boundaries)"
    )


# -- before a layout: the two changes to WeasyPrint -----------------------------------------------


def prepare() -> None:
    """Apply the footnote fix, name images by content and compress at STREAM_COMPRESSION_LEVEL,
    once; nothing on another series."""
    if not internals_supported():
        return
    apply_footnote_fix()
    name_images_by_content()
    compress_streams_at_default_level()


#: the statements of `layout.block._linebox_layout` the footnote fix replaces (WeasyPrint 70)
_FOOTNOTE_OLD = (
    "            while report and context.current_page_footnotes:\n"
    "                context.report_footnote(context.current_page_footnotes[-1])\n"
)
_FOOTNOTE_NEW = (
    "            reportable = _rb_footnotes_called_in(line, context.current_page_footnotes)\n"
    "            while report and reportable:\n"
    "                context.report_footnote(reportable.pop())\n"
)
_footnote_original: Any = None


def apply_footnote_fix() -> None:
    """Keep every footnote on the page of its call (Kozea/WeasyPrint#2502, #1564).

    When a line does not fit at the foot of a page and the lines before it cannot be left alone
    (orphans), WeasyPrint 70 moves the page's last footnotes to the next page until the line
    fits, however far above their calls are: a footnote then lands a page after its call. Only
    the footnotes called in that line may move now; the others stay, and the page breaks before
    the paragraph as orphans ask. Raises AssertionError when the function is not the one this
    was written for: the fix is never skipped silently.
    """
    global _footnote_original
    import weasyprint.layout.block as block

    if _footnote_original is not None:
        return
    function = block._linebox_layout
    lines, first = inspect.getsourcelines(function)
    source = "".join(lines)
    if source.count(_FOOTNOTE_OLD) != 1:  # raised, not asserted: python -O must not skip it either
        raise AssertionError("WeasyPrint's _linebox_layout changed: the footnote fix cannot apply")
    # compiled at its own line in its own file, so tracebacks still point into WeasyPrint
    code = compile("\n" * (first - 1) + source.replace(_FOOTNOTE_OLD, _FOOTNOTE_NEW), block.__file__, "exec")
    block.__dict__["_rb_footnotes_called_in"] = _footnotes_called_in
    exec(code, block.__dict__)  # noqa: S102 - redefines the one function, in its own module
    if block._linebox_layout is function:
        raise AssertionError("the footnote fix did not replace _linebox_layout")
    _footnote_original = function


def footnote_fix_applied() -> bool:
    return _footnote_original is not None


@contextmanager
def footnote_fix_undone() -> Iterator[None]:
    """WeasyPrint's own footnote placement, for a while (tests show what the fix changes)."""
    import weasyprint.layout.block as block

    if _footnote_original is None:  # not applied: WeasyPrint's own already
        yield
        return
    fixed = block._linebox_layout
    block._linebox_layout = _footnote_original
    try:
        yield
    finally:
        block._linebox_layout = fixed


def _footnotes_called_in(line: Any, footnotes: list) -> list:
    """The footnotes of `footnotes` (laid out on this page, in order) called in the line box `line`."""
    called = [box.footnote for box in line.descendants() if box.footnote is not None]
    return [footnote for footnote in footnotes if any(footnote is call for call in called)]


def name_images_by_content() -> None:
    """Name each raster image in the PDF by a hash of its bytes, not of its address.

    WeasyPrint names an image's XObject by the MD5 of its absolute URL, so the PDF's bytes
    changed with the project's folder. The bytes (and the orientation applied to them) are what
    the image is; the same image at two addresses becomes one XObject, as it should.
    """
    from weasyprint import images

    original = images.RasterImage.__init__
    if getattr(original, "named_by_content", False):
        return

    def __init__(self, pillow_image, image_id, image_data, *args, **kwargs):
        if image_data is not None:
            orientation = kwargs.get("orientation", args[2] if len(args) > 2 else "none")
            image_id = hashlib.sha256(repr(orientation).encode("utf-8") + b"\0" + bytes(image_data)).hexdigest()[:32]
        original(self, pillow_image, image_id, image_data, *args, **kwargs)

    __init__.named_by_content = True  # type: ignore[attr-defined]
    __init__.__wrapped__ = original  # type: ignore[attr-defined]  # inspect.signature reads WeasyPrint's
    images.RasterImage.__init__ = __init__


#: zlib's level for the streams WeasyPrint writes (pydyf uses 9, the slowest). Measured on a
#: 39-page chunk of the bench book: level 9 2.02 s and 204 KB, level 6 1.88 s and 210 KB (a
#: layout 6 % faster for a file 3 % larger); level 1 gained little more for 34 % more bytes.
STREAM_COMPRESSION_LEVEL = 6
#: the statement of `pydyf.Stream.data` that sets the level (pydyf 0.11 to 0.13)
_PYDYF_COMPRESSOBJ = "zlib.compressobj(level=9)"


class _ZlibAtLevel:
    """pydyf's `zlib`, but for the level its streams are compressed at."""

    def __init__(self, zlib: Any, level: int) -> None:
        self._zlib = zlib
        self.level = level

    def compressobj(self, level: int = -1, *args: Any, **kwargs: Any) -> Any:
        return self._zlib.compressobj(self.level if level == 9 else level, *args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._zlib, name)


def compress_streams_at_default_level() -> bool:
    """Have pydyf compress streams at STREAM_COMPRESSION_LEVEL; False (and nothing changed)
    when `pydyf.Stream.data` no longer sets the level as this was written for."""
    import pydyf

    if isinstance(pydyf.zlib, _ZlibAtLevel):
        return True
    if _PYDYF_COMPRESSOBJ not in inspect.getsource(pydyf.Stream.data.fget):
        return False
    pydyf.zlib = _ZlibAtLevel(pydyf.zlib, STREAM_COMPRESSION_LEVEL)
    return True


# -- log messages ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class LogMessage:
    """One message WeasyPrint logged, read: where it points and what it is about."""

    error: bool  # logged as an error (a resource it could not use), not a warning
    text: str  # as logged
    line: int | None = None  # the CSS position it names, if any
    col: int | None = None
    resource: str | None = None  # "image" or "stylesheet" when it could not use one
    url: str | None = None  # that resource's address
    cause: BaseException | None = None  # why, when it says
    reported_with_file: bool = False  # a CSS message check_stylesheets reports at its file and line

    @property
    def without_position(self) -> str:
        return _CSS_POSITION.sub("", self.text).rstrip(".")


_CSS_POSITION = re.compile(r" at (\d+):(\d+)")
#: CSS messages that a stylesheet parsed on its own reports at its file and line
_REPORTED_WITH_THEIR_FILE = ("Ignored `", "Invalid or unsupported selector", "Parse error")
#: WeasyPrint's messages about a resource it could not use, and what the resource is to a reader
_FAILED_RESOURCE = {
    "Failed to load image at %r: %s": "image",
    "Failed to render SVG image %s": "image",
    "Failed to load stylesheet at %s: %s": "stylesheet",
    "Failed to load stylesheet at %s : %s": "stylesheet",
}


#: the warning WeasyPrint gives at import when fontconfig lists no font (fonts.py wants none listed)
EMPTY_FONTCONFIG_WARNING = "No fonts configured in FontConfig"


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextmanager
def captured_log() -> Iterator[list[LogMessage]]:
    """The warnings and errors WeasyPrint logs in the block, read once it ends."""
    capture = _Capture()
    logger = logging.getLogger("weasyprint")
    logger.addHandler(capture)
    messages: list[LogMessage] = []
    try:
        yield messages
    finally:
        logger.removeHandler(capture)
        messages.extend(_read(record) for record in capture.records)


def _read(record: logging.LogRecord) -> LogMessage:
    text = record.getMessage()
    position = _CSS_POSITION.search(text)
    line, col = (int(position.group(1)), int(position.group(2))) if position else (None, None)
    kind = _FAILED_RESOURCE.get(str(record.msg))
    args = record.args if isinstance(record.args, tuple) else ()
    url = args[0] if kind is not None and args and isinstance(args[0], str) else None
    cause = args[1] if url is not None and len(args) > 1 and isinstance(args[1], BaseException) else None
    return LogMessage(
        error=record.levelno >= logging.ERROR,
        text=text,
        line=line,
        col=col,
        resource=kind if url is not None else None,
        url=url,
        cause=cause,
        reported_with_file=text.startswith(_REPORTED_WITH_THEIR_FILE),
    )


# -- the PDF WeasyPrint writes -------------------------------------------------------------------


def metadata_finisher(rewrite: Callable[[bytes], bytes]) -> Callable[[Any, Any], None]:
    """A `write_pdf` finisher that replaces the XMP packet WeasyPrint wrote with `rewrite(packet)`,
    left uncompressed (PDF/A rule 6.6.2.1), and asks no viewer to smooth an image (rule 6.2.8:
    a project stylesheet may set `image-rendering: auto` again). The PDF is pydyf's, not yet written."""

    def finish(_document: Any, pdf: Any) -> None:
        for written in pdf.objects:
            extra = getattr(written, "extra", None)
            if extra is not None and extra.get("Interpolate") == "true":
                extra["Interpolate"] = "false"
        _link_annotations_under_links(pdf)
        reference = pdf.catalog.get("Metadata")
        if reference is None:
            return
        stream = pdf.objects[int(reference.split()[0])]
        stream.stream = [rewrite(b"".join(stream.stream))]
        stream.compress = False

    return finish


def _link_annotations_under_links(pdf: Any) -> None:
    """Hang every link annotation under its Link structure element (PDF/UA-1 7.18.5).

    WeasyPrint 70 gives each box inside a link (`<a><span>Table 1.</span> …</a>`, `[*a*](…)`)
    a link annotation of its own, and hangs it under that box's element (a Span), not under the
    link's: the annotation and its parent-tree entry move up to the nearest Link ancestor.
    """

    def at(reference: Any) -> Any:
        return pdf.objects[int(reference.split()[0])]

    root = pdf.catalog.get("StructTreeRoot")
    if root is None:
        return
    nums = at(at(root)["ParentTree"])["Nums"]
    for index in range(0, len(nums), 2):
        key, value = nums[index], nums[index + 1]
        if not isinstance(value, bytes):  # a page's marked-content array
            continue
        element = at(value)
        link = element
        while link.get("S") not in ("/Link", None) and "P" in link and link["P"] != root:
            link = at(link["P"])
        if element is link or link.get("S") != "/Link":
            continue
        for kid in list(element["K"]):
            target = at(kid) if isinstance(kid, bytes) else None
            if target is not None and target.get("Type") == "/OBJR" and at(target["Obj"]).get("StructParent") == key:
                element["K"].remove(kid)
                link["K"].append(kid)
                nums[index + 1] = link.reference


# -- the content stream WeasyPrint writes ---------------------------------------------------------

#: a marked-content sequence with nothing in it: where WeasyPrint would have drawn hidden text
EMPTY_MARKED_CONTENT = re.compile(rb"(/[A-Za-z]+\s*<<\s*/MCID\s+(\d+)\s*>>\s*BDC)(\s*EMC)")


# -- computed style -------------------------------------------------------------------------------

#: text properties the drawing reproduces at these values only (WeasyPrint's computed values)
PLAIN_TEXT: dict[str, object] = {
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
#: those of PLAIN_TEXT that only choose OpenType features (HarfBuzz can be given them)
FEATURE_PROPERTIES = frozenset(
    name for name in PLAIN_TEXT if name.startswith(("font_feature", "font_variant", "font_kerning"))
)


@dataclass(frozen=True)
class Look:
    """How a piece of text is drawn, from its computed style."""

    family: str  # the first family named, as written
    style: str  # normal, italic, oblique
    weight: int
    size: float  # CSS px
    color: tuple[float, float, float, float]  # sRGB and alpha, 0–1
    visible: bool
    align: str  # text-align-all, start and end resolved for left-to-right text
    unusual: tuple[str, ...]  # the PLAIN_TEXT properties with another value, in its order
    features: tuple[tuple[str, int], ...]  # the OpenType features WeasyPrint shapes it with, sorted


@dataclass(frozen=True)
class PlacedText:
    """A text box as laid out: CSS px from the page's top-left corner, y down."""

    text: str
    x: float
    y: float  # top of the box
    width: float
    baseline: float  # y + the box's baseline offset
    look: Look


def _look(style: Any) -> Look:
    from weasyprint.text.fonts import font_features

    features = font_features(
        style["font_kerning"],
        style["font_variant_ligatures"],
        style["font_variant_position"],
        style["font_variant_caps"],
        style["font_variant_numeric"],
        style["font_variant_alternates"],
        style["font_variant_east_asian"],
        style["font_feature_settings"],
    )
    red, green, blue, alpha = style["color"].to("srgb")
    return Look(
        family=style["font_family"][0],
        style=style["font_style"],
        weight=style["font_weight"],
        size=style["font_size"],
        color=(red, green, blue, alpha),
        visible=style["visibility"] == "visible",
        align=_align(style),
        unusual=tuple(name for name, plain in PLAIN_TEXT.items() if style[name] != plain),
        features=tuple(sorted(features.items())),
    )


def _placed(box: Any) -> PlacedText:
    return PlacedText(
        text=box.text,
        x=box.position_x,
        y=box.position_y,
        width=box.width,
        baseline=box.position_y + box.baseline,
        look=_look(box.style),
    )


def _align(style: Any) -> str:
    """text-align-all with start and end resolved for left-to-right text."""
    align = style["text_align_all"]
    return {"start": "left", "end": "right"}.get(align, align)


# -- box-tree walks -------------------------------------------------------------------------------


def _page_box(page: Any) -> Any:
    return page._page_box


def _is_text(box: Any) -> bool:
    return type(box).__name__ == "TextBox"


def _is_line(box: Any) -> bool:
    return type(box).__name__ == "LineBox"


@dataclass(frozen=True)
class ContentItem:
    """One item of a margin box's `content`: literal text, a counter, or a named string."""

    kind: str  # "text", "counter", "string", or "other"
    value: str = ""  # the text, the counter's name, the string's name
    option: str = ""  # the counter's style, the string()'s keyword (first, last, …)
    written: str = ""  # WeasyPrint's name for the item, for messages


def _content_item(kind: str, value: Any) -> ContentItem:
    if kind == "string":
        return ContentItem("text", value, written=kind)
    if kind == "counter()":
        return ContentItem("counter", value[0], value[1], written=kind)
    if kind == "string()":
        return ContentItem("string", value[0], value[1], written=kind)
    return ContentItem("other", written=kind)


@dataclass(frozen=True)
class MarginBox:
    """A margin box WeasyPrint generated on a page, as laid out."""

    name: str  # top-left, bottom-right, …
    content: tuple[ContentItem, ...]
    texts: tuple[PlacedText, ...]  # its text boxes, in order
    lines: int  # its line boxes
    align: str  # left, center, right, or another text-align value
    margin_width: float  # CSS px, margins, borders and padding included
    width: float  # CSS px, its content box
    clamped: bool = False  # its text cut at a line-clamp, ending in an ellipsis WeasyPrint draws


def margin_boxes(page: Any) -> dict[str, MarginBox]:
    """The margin boxes of a laid-out page, by name."""
    found = {}
    for child in _page_box(page).children:
        if not hasattr(child, "at_keyword"):
            continue
        found[child.at_keyword[1:]] = MarginBox(
            name=child.at_keyword[1:],
            content=tuple(_content_item(kind, value) for kind, value in child.style["content"]),
            texts=tuple(_placed(box) for box in child.descendants() if _is_text(box)),
            lines=sum(1 for box in child.children if _is_line(box)),
            align=_align(child.style),
            margin_width=child.margin_width(),
            width=child.width,
            clamped=any(getattr(box, "block_ellipsis", "none") != "none" for box in child.children if _is_line(box)),
        )
    return found


def page_width(page: Any) -> float:
    """The border width of a page's box: the room its top margin boxes share."""
    return _page_box(page).border_width()


def page_strings(document: Any) -> list[list[list[str]]]:
    """The named strings (string-set) each page's content sets, as [name, text], in the order
    WeasyPrint collects them for string()."""
    pages = []
    for page in document.pages:
        found: list[list[str]] = []
        for box in _page_box(page).descendants():
            string_set = box.string_set
            if string_set and string_set != "none":
                found.extend([name, text] for name, text in string_set)
        pages.append(found)
    return pages


@dataclass(frozen=True)
class GeneratedLink:
    """Text generated after a link (`a::after`) or a cross-reference's page number
    (`span::after`), as laid out (see hidden_texts)."""

    text: PlacedText
    href: str  # the element's `href`, else its `data-href` (a page number's link target)
    value: str  # the element's value of the attribute asked for
    classes: tuple[str, ...]  # the element's classes


def hidden_texts(page: Any, attribute: str) -> list[GeneratedLink | None]:
    """The texts of a page that leave an empty marked-content span, in the order they are drawn:
    every hidden text box, and the `a::after` or `span::after` texts of the elements that carry
    `attribute`, shown or not. Those are GeneratedLink, the other hidden ones (a table's
    "(continued)" row on its first page) None."""
    found: list[GeneratedLink | None] = []
    for box in _every_box(_page_box(page)):
        if not _is_text(box):
            continue
        if box.element_tag in ("a::after", "span::after") and box.element.get(attribute) is not None:
            found.append(
                GeneratedLink(
                    _placed(box),
                    box.element.get("href") or box.element.get("data-href") or "",
                    box.element.get(attribute),
                    tuple((box.element.get("class") or "").split()),
                )
            )
        elif box.style["visibility"] != "visible":
            found.append(None)
    return found


def _every_box(box: Any) -> Iterator[Any]:
    """Every box under `box`, absolutely positioned ones included (descendants() skips those)."""
    yield box
    for child in getattr(box, "children", ()):
        yield from _every_box(getattr(child, "_box", child))


def keep_links_to_missing_anchors(document: Any, laid_out: set[str]) -> None:
    """Give the links to anchors a document does not lay out a stand-in destination (its first
    page's corner): WeasyPrint drops a link whose anchor it has not laid out, and the merge
    points each stand-in at the chunk that lays the anchor out."""
    missing = {
        name
        for page in document.pages
        for kind, name, _rect, _box in page.links
        if kind == "internal" and name not in laid_out
    }
    if missing and document.pages:
        for name in sorted(missing):
            document.pages[0].anchors[name] = (0, 0, 0, 0)


# -- page starts, for the EPUB page-list (see pagelist.py) ----------------------------------------


def page_starts(document: Any) -> list[list[list]]:
    """For each page of a laid-out document, where it begins (see pagelist.py's module doc).

    Without the internals: the first element with an id that starts on the page, at its first
    word (a page that continues a paragraph starts at the next one).
    """
    if not internals_supported():
        return [[[next(iter(page.anchors)), 0]] if page.anchors else [] for page in document.pages]
    walker = _LayoutWalker()
    return [walker.page(_page_box(page)) for page in document.pages]


class _LayoutWalker:
    """Walks the pages in order, counting the words printed so far in every element with an id."""

    def __init__(self) -> None:
        from weasyprint.formatting_structure import boxes

        self.boxes = boxes
        self.words: dict[str, int] = {}
        self.after_space = True  # the text so far ended at a word boundary
        self.line_end = ""  # the last two characters of the current line
        self.seen_blocks: set[int] = set()  # elements whose boxes were met on earlier pages
        self.start: list | None = None  # the current page's start, once found

    def page(self, page_box: Any) -> list[list]:
        boxes = self.boxes
        self.start = None
        for child in page_box.children:
            if not isinstance(child, (boxes.MarginBox, boxes.FootnoteAreaBox)):
                self._walk(child, [])
        return self.start or []

    def _walk(self, box: Any, anchors: list) -> None:
        boxes = self.boxes
        tag = getattr(box, "element_tag", "") or ""
        element = getattr(box, "element", None)
        if "::" in tag and not tag.endswith("::footnote-call"):
            return  # generated content exists in print only
        if element is not None and element.get("aria-hidden") == "true":
            return
        if isinstance(box, boxes.TableRowGroupBox) and (box.is_header or box.is_footer):
            if id(element) in self.seen_blocks:
                return  # a table header repeated on a continuation page
            self.seen_blocks.add(id(element))
        ident = element.get("id") if element is not None else None
        if ident and (not anchors or anchors[-1][1] is not element):
            anchors = anchors + [(ident, element)]
        if (
            isinstance(box, boxes.BlockContainerBox)
            and not isinstance(box, boxes.LineBox)
            and element is not None
            and id(element) not in self.seen_blocks
        ):
            self.seen_blocks.add(id(element))
            self.after_space, self.line_end = True, ""  # a new block: its first word starts afresh
        if isinstance(box, boxes.LineBox):
            self.after_space = self.after_space or not _breaks_word(self.line_end)
            self.line_end = ""
        if isinstance(box, boxes.TextBox):
            self._text(box.text, anchors)
        elif isinstance(box, boxes.ReplacedBox):
            self._mark(anchors)
        for child in getattr(box, "children", ()):
            self._walk(child, anchors)

    def _text(self, text: str, anchors: list) -> None:
        if text.strip():
            self._mark(anchors)
        starts, self.after_space = _count_starts(text, self.after_space)
        for ident, _element in anchors:
            self.words[ident] = self.words.get(ident, 0) + starts
        self.line_end = (self.line_end + text)[-2:]

    def _mark(self, anchors: list) -> None:
        """The first content of a page: note where it is, before its own words are counted."""
        if self.start is None and anchors:
            self.start = [[ident, self.words.get(ident, 0)] for ident, _element in reversed(anchors)]


# -- tables: the landscape pages of wide tables, the rows that say a table continues --------

#: the class of the header row a continued table shows (tables.CONTINUED_ROW)
_CONTINUED_ROW = "table-continued-row"


def landscape_pages(document) -> list[int]:
    """The indexes of the pages laid out on their side (the `wide` page of a wide table, tablefit.py)."""
    return [index for index, page in enumerate(document.pages) if page.width > page.height]


def blank_pages(document) -> list[int]:
    """The indexes of the pages WeasyPrint left blank before a forced break to a left or right
    page (two-sided printing: the pages CSS's `@page :blank` selects)."""
    return [index for index, page in enumerate(document.pages) if _page_box(page).page_type.blank]


def show_continued_rows(document) -> None:
    """Show the "(continued)" row of each table's repeated header on the pages after its first.

    The row is laid out (hidden) on every page the table spans, so showing it moves nothing: the
    pages stay as laid out, in a chunked layout and a single one alike."""
    seen: set[int] = set()
    for page in document.pages:
        for table, row in _continued_rows(_page_box(page), None):
            if table in seen:
                _show(row)
            seen.add(table)


def _continued_rows(box, table):
    """(the table's element id, the row) of each continued row on a page, in document order."""
    for child in getattr(box, "children", ()):
        if type(child).__name__ == "LineBox":  # no table inside a line: its text is not walked
            continue
        if child.element_tag == "table" and type(child).__name__ == "TableBox":
            yield from _continued_rows(child, id(child.element))
        elif child.element_tag == "tr" and _CONTINUED_ROW in (child.element.get("class") or "").split():
            yield table, child
        else:
            yield from _continued_rows(child, table)


def _show(box) -> None:
    style = box.style.copy()
    style["visibility"] = "visible"
    box.style = style
    for child in getattr(box, "children", ()):
        _show(child)
