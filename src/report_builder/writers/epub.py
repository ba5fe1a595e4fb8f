"""EPUB writer: the publication as an EPUB 3 book, its page-list taken from the print layout.

XHTML files come from the `epub_*.xhtml` templates (one per article, plus cover, title page,
contents and sources); page-break markers are placed where the printed pages begin
(pagelist.py); ebooklib packages the book, with the additions EPUB 3 and reproducible builds
need, in a zip written the same every build (`_write`).
"""

from __future__ import annotations

import datetime as dt
import io
import os
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, NoReturn

from ebooklib import epub
from lxml import etree

from ..errors import Diagnostic, ReportError
from ..labels import N_, full_stop, page_label, plural, text
from ..pagelist import insert_at_word, local_name
from ..project import Project
from ..render import (
    TABLE_RULES_MARK,
    RenderContext,
    epub_image_name,
    make_environment,
    render_article,
    render_template,
    style_files,
    with_table_rules,
)

if TYPE_CHECKING:
    from pathlib import Path

    from .pdf import PrintLayout

XHTML_NS = "http://www.w3.org/1999/xhtml"
EPUB_NS = "http://www.idpf.org/2007/ops"
XML_NS = "http://www.w3.org/XML/1998/namespace"
NCX_NS = "http://www.daisy.org/z3986/2005/ncx/"
NS = {"x": XHTML_NS, "epub": EPUB_NS}

#: raster cover made from the PDF's first page: its height in pixels (stores ask for ≥ 1400)
COVER_HEIGHT = 1600
#: core media types a cover named in report.yaml may have
COVER_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
}
IMAGE_TYPES = {**COVER_TYPES, ".svg": "image/svg+xml"}
#: a page that begins with one of these gets its marker inside, before the first word
_TEXT_BLOCKS = frozenset({"p", "li", "dd", "dt", "figcaption", "caption", "td", "th"})
#: … and one that begins with a heading, just before it
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_FIRST_TEXT = _TEXT_BLOCKS | _HEADINGS

#: what the writer itself says, in English; translated through the catalogues (labels.py)
LABELS = {
    "cover": N_("Cover"),
    "titlepage": N_("Title page"),
    "contents": N_("Contents"),
    "sources": N_("Sources"),
    "pages": N_("Pages"),
    "cover_of": N_("Cover of %(title)s"),
    "cover_text": N_("Cover: %(title)s"),
    "pdf_edition": N_("%(title)s, PDF edition (%(size)s)"),
    "reflowable": N_("This EPUB is reflowable: text size, font and colours follow the reader's settings."),
    "headings": N_("Headings are in order, and every article and section is listed in the table of contents."),
    "every_source": N_("Every figure's source is listed under Sources."),
    "one_image": N_("The image has a text description."),
    "one_chart": N_("The chart gives its figures as text as well."),
    "no_images": N_("It has no images."),
}


@dataclass
class Page:
    """One XHTML file of the book, as an lxml tree while page markers are placed in it."""

    name: str  # file name inside the book, e.g. "pokrovsk.xhtml"
    uid: str  # manifest id
    tree: etree._ElementTree
    linear: bool = True
    properties: list[str] = field(default_factory=list)

    def content(self) -> bytes:
        return etree.tostring(self.tree, encoding="utf-8", xml_declaration=True)


@dataclass(frozen=True)
class PageBreak:
    number: int  # printed page number
    page: str  # file name of the XHTML file holding the marker
    id: str  # the marker's id: page-N
    label: str = ""  # the page's label, as the PDF's /PageLabels give it (labels.page_label)


@dataclass
class EpubDraft:
    """The book's XHTML pages, rendered before the print layout is known (see draft_epub)."""

    context: RenderContext
    articles: list
    styles: list[tuple[str, bytes]]
    pages: list[Page]
    cover: Cover  # without its image when the image is the printed cover
    ids: dict  # element id → (page, element), where page breaks are placed (see place_page_breaks)
    fonts: list = field(default_factory=list)  # project_fonts.EmbeddedFont: subsets in fonts/


def draft_epub(publication, project: Project) -> EpubDraft:
    """Everything of the EPUB that does not depend on the print layout.

    A chunked build calls this while the layout workers run; the page-break markers, the
    page-list and a cover taken from the printed first page are added by write_epub.
    """
    config = publication.config
    if config.epub.split_level != 1:
        _fail(
            project,
            "split_level",
            f"epub.split_level {config.epub.split_level} is not supported: "
            "the EPUB has one file per article (split_level: 1)",
        )
    context = RenderContext(publication, project, make_environment(project))
    articles = [render_article(article, "epub", context) for article in publication.articles]
    cover = _cover(publication, project)

    styles = [(f"styles/{path.name}", _stylesheet(path, project)) for path in style_files(project, "epub")]
    values = dict(publication=publication, config=config, target="epub", stylesheets=[name for name, _data in styles])
    pages = _pages(publication, context, articles, cover, values)
    fonts = _embedded_fonts(publication, project, pages, styles)
    _link_across_pages(pages)
    if cover.from_print:  # rendered once the layout is done: load the renderer while it runs
        import PIL.PngImagePlugin  # noqa: F401
        import pypdfium2  # noqa: F401
    return EpubDraft(context, articles, styles, pages, cover, _ids(pages), fonts)


def _stylesheet(path: Path, project: Project) -> bytes:
    """An ebook stylesheet's bytes, with the fact-table rules where it marks them."""
    from ..readlog import read_bytes

    data = read_bytes(path)
    if TABLE_RULES_MARK.encode() not in data:
        return data
    return with_table_rules(data.decode("utf-8"), project).encode("utf-8")


def _embedded_fonts(publication, project, pages: list[Page], styles: list) -> list:
    """The fonts the book embeds (see project_fonts.py), subset to its text; their @font-face
    rules go first into styles/fonts.css, which every page links before its other stylesheets."""
    from ..project_fonts import embedded_faces, font_face_rules, subset_fonts

    faces = embedded_faces(publication, project)
    if not faces:
        return []
    text = "".join(str(part) for page in pages for part in page.tree.getroot().itertext())
    fonts = subset_fonts(faces, text, "sfnt")
    styles.insert(0, ("styles/fonts.css", font_face_rules(fonts, lambda font: f"../fonts/{font.name}").encode()))
    for page in pages:
        head = page.tree.getroot().find(f"{{{XHTML_NS}}}head")
        if head is None:
            continue
        link = etree.Element(f"{{{XHTML_NS}}}link", rel="stylesheet", type="text/css", href="styles/fonts.css")
        first = head.find(f"{{{XHTML_NS}}}link")
        if first is not None:
            first.addprevious(link)
        else:
            head.append(link)
    return fonts


def write_epub(
    publication, project: Project, layout: PrintLayout, pdf_bytes: bytes | None = None, draft: EpubDraft | None = None
) -> bytes:
    """The EPUB bytes; `layout` is the print layout the PDF was written from (never laid out again).

    `draft` is what draft_epub made of this publication, if it ran already; it is used up here.
    """
    config = publication.config
    draft = draft or draft_epub(publication, project)
    cover = draft.cover
    if cover.from_print:
        cover = replace(cover, data=render_cover_png(_print_pdf(layout, pdf_bytes)))
    pages = draft.pages
    breaks = place_page_breaks(pages, _print_page_starts(layout), draft.ids, lambda n: page_label(config, n))
    _fill_page_list(next(page for page in pages if "nav" in page.properties), breaks)
    toc = table_of_contents(publication)
    from ..readlog import read_bytes

    images = [(href, read_bytes(project.root / path)) for path, href in sorted(draft.context.epub_images.items())]
    book = _book(
        publication,
        pages,
        images,
        draft.styles,
        cover,
        _ncx(publication, toc, breaks),
        _summary(publication, draft.articles, len(breaks)),
        draft.fonts,
    )
    return _write(book, modified_time(config.date))


# -- the XHTML files -----------------------------------------------------------------------------


def _pages(publication, context, articles, cover, values) -> list[Page]:
    """Cover, title page, contents, one file per article, sources: the reading order."""
    jinja = context.jinja
    contents = dict(toc=table_of_contents(publication), landmarks=_landmarks(publication))
    pages = [
        _page(
            jinja,
            "cover.xhtml",
            "cover",
            "epub_cover.xhtml",
            values,
            cover=cover,
            cover_alt=_cover_alt(publication, cover),
        ),
        _page(jinja, "titlepage.xhtml", "titlepage", "epub_titlepage.xhtml", values),
        _page(jinja, "nav.xhtml", "nav", "epub_nav.xhtml", values, **contents),
    ]
    pages[2].properties.append("nav")
    pages[2].linear = publication.show_toc()  # as in print: a contents page only when it has one
    for item in articles:
        pages.append(
            _page(
                jinja,
                article_file(item.article),
                f"article-{item.article.name}",
                "epub_article.xhtml",
                values,
                item=item,
            )
        )
    if publication.sources:
        pages.append(_page(jinja, "sources.xhtml", "sources", "epub_sources.xhtml", values))
    for page in pages:
        if page.tree.find(".//{http://www.w3.org/2000/svg}svg") is not None:
            page.properties.append("svg")
    return pages


#: file names of the book's own pages; an article of the same name is renamed
RESERVED_FILES = frozenset({"cover", "titlepage", "nav", "sources"})


def article_file(article) -> str:
    return f"{article.name}{'-article' if article.name in RESERVED_FILES else ''}.xhtml"


def _page(jinja, name, uid, template, values, **extra) -> Page:
    text = render_template(jinja, template, **values, **extra)
    parser = etree.XMLParser(remove_blank_text=False, resolve_entities=False, no_network=True)
    try:
        tree = etree.ElementTree(etree.fromstring(text.encode("utf-8"), parser))
    except etree.XMLSyntaxError as exc:  # a project template, or raw HTML, that is not XHTML
        raise ReportError(
            [Diagnostic(f"templates/{template}", None, None, f"{name} in the EPUB is not well-formed XHTML: {exc.msg}")]
        ) from None
    return Page(name=name, uid=uid, tree=tree)


def _landmarks(publication) -> list[tuple[str, str, str]]:
    """(epub:type, href, label) of the landmarks: cover, title page, contents, first article."""
    first = publication.articles[0]
    return [
        ("cover", "cover.xhtml", text(publication.config, LABELS["cover"])),
        ("titlepage", "titlepage.xhtml", text(publication.config, LABELS["titlepage"])),
        ("toc", "nav.xhtml#contents", text(publication.config, LABELS["contents"])),
        ("bodymatter", article_file(first), first.title),
    ]


def _link_across_pages(pages: list[Page]) -> None:
    """A `#id` link to an element in another file of the book becomes `file.xhtml#id`."""
    owners = _page_of_ids(pages)
    for page in pages:
        own = {element.get("id") for element in page.tree.iter()}
        for link in page.tree.iterfind(".//x:a[@href]", NS):
            href = link.get("href") or ""
            target = href[1:] if href.startswith("#") else None
            if target and target not in own and target in owners:
                link.set("href", f"{owners[target]}#{target}")


def _page_of_ids(pages: list[Page]) -> dict[str, str]:
    owners: dict[str, str] = {}
    for page in pages:
        for element in page.tree.iter():
            ident = element.get("id")
            if ident is not None:
                owners.setdefault(ident, page.name)
    return owners


def table_of_contents(publication) -> list[dict]:
    """The nested contents: article → sections → subsections, then the sources."""
    toc: list[dict] = []
    for article in publication.articles:
        stack: list[dict] = []
        for heading in article.headings:
            if heading.level > publication.config.toc_depth:
                continue
            href = article_file(article) + ("" if heading.level == 1 else f"#{heading.id}")
            entry = {"title": heading.text, "href": href, "level": heading.level, "children": []}
            while stack and stack[-1]["level"] >= heading.level:
                stack.pop()
            (stack[-1]["children"] if stack else toc).append(entry)
            stack.append(entry)
    if publication.sources:
        title = text(publication.config, LABELS["sources"])
        toc.append({"title": title, "href": "sources.xhtml", "level": 1, "children": []})
    return toc


# -- page-list -----------------------------------------------------------------------------------


def _print_page_starts(layout: PrintLayout) -> list[list]:
    """Where each printed page begins, as the print layout found it."""
    return layout.page_starts


def _ids(pages: list[Page]) -> dict:
    """Each element id of the book → (page, element): the first file holding it wins."""
    index = {}
    for page in reversed(pages):
        for element in page.tree.iter():
            if element.get("id") is not None:
                index[element.get("id")] = (page, element)
    return index


def place_page_breaks(
    pages: list[Page], starts: list[list], index: dict | None = None, label: Callable[[int], str] = str
) -> list[PageBreak]:
    """Put a page-break marker where each printed page begins; return them in page order.

    `index` is _ids(pages), when it was made already; `label` names page N, as the PDF's page labels do."""
    index = _ids(pages) if index is None else index
    markers: dict[int, tuple[Page, etree._Element]] = {}
    for number, start in enumerate(starts, 1):
        placed = _place(index, start, number)
        if placed is None and number == 1:  # the cover: nothing of it has an id
            body = pages[0].tree.find("x:body", NS)
            assert body is not None  # every page is XHTML with a body
            body.insert(0, _marker(number, "div"))
            placed = pages[0], body[0]
        if placed is not None:
            markers[number] = placed
    for number in range(len(starts), 0, -1):  # blank pages: where the next page begins
        if number not in markers:
            markers[number] = _place_before_next(markers, number, pages)
    for number, (_page, marker) in markers.items():
        marker.set("aria-label", label(number))
        while marker.get("id") in index:  # an id the content uses already
            marker.set("id", (marker.get("id") or "") + "_")
    return [
        PageBreak(number, page.name, marker.get("id") or "", label(number))
        for number, (page, marker) in sorted(markers.items())
    ]


def _marker(number: int, tag: str = "span") -> etree._Element:
    marker = etree.Element(
        f"{{{XHTML_NS}}}{tag}",
        {f"{{{EPUB_NS}}}type": "pagebreak", "role": "doc-pagebreak", "id": f"page-{number}", "aria-label": str(number)},
    )
    marker.text = ""  # written <span …></span>: safe for reading systems that parse it as HTML
    return marker


def _place(index, start, number):
    """Place page `number`'s marker at the innermost anchor the book has; (page, marker) or None."""
    for ident, words in start:
        if ident not in index:
            continue
        page, element = index[ident]
        marker = _marker(number)
        if words and insert_at_word(element, words, marker):
            return page, marker
        if words == 0:
            return page, _place_at_start(element, number)
    return None


def _place_at_start(element, number) -> etree._Element:
    """A page that begins with `element`: mark the start of its first text, never inside a heading.

    A marker on the first line of text is where reading systems turn to; an empty marker
    between two blocks may sit at the foot of the previous screen.
    """
    nav = next((e for e in element.iterancestors() if local_name(e) == "nav"), None)
    if local_name(element) == "nav" or nav is not None:
        marker = _marker(number, "div")  # a nav holds nothing but its heading and list
        (nav if nav is not None else element).addprevious(marker)
        return marker
    first = next((e for e in element.iter() if local_name(e) in _FIRST_TEXT), None)
    if first is None or local_name(first) in _HEADINGS:
        marker = _marker(number, "div")  # before a heading, so its number is not read as part of it
        (first if first is not None else element).addprevious(marker)
        return marker
    marker = _marker(number)
    marker.tail, first.text = first.text, None
    first.insert(0, marker)
    return marker


def _place_before_next(markers, number, pages):
    later = [markers[n] for n in sorted(markers) if n > number]
    if later:
        page, following = later[0]
        marker = _marker(number, local_name(following))
        following.addprevious(marker)
        return page, marker
    page = pages[-1]
    marker = _marker(number, "div")
    page.tree.find("x:body", NS).append(marker)
    return page, marker


def _fill_page_list(nav: Page, breaks: list[PageBreak]) -> None:
    """List every page break in the nav's page-list (the template leaves its list empty)."""
    page_list = nav.tree.find(".//x:nav[@epub:type='page-list']/x:ol", NS)
    assert page_list is not None  # epub_nav.xhtml writes it
    for entry in breaks:
        item = etree.SubElement(page_list, f"{{{XHTML_NS}}}li")
        link = etree.SubElement(item, f"{{{XHTML_NS}}}a", {"href": f"{entry.page}#{entry.id}"})
        link.text = entry.label or str(entry.number)
        item.tail = "\n"


# -- cover ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cover:
    name: str  # file name inside the book
    media_type: str
    data: bytes
    from_print: bool


def _cover(publication, project) -> Cover:
    """The cover named in report.yaml, else the PDF's first page as a PNG (its data added later)."""
    configured = publication.config.epub.cover
    if configured:
        path = project.resolve_inside(project.root, configured)
        if path is None or not path.exists():
            _fail(project, "cover", f"epub.cover '{configured}' is not a file inside the project")
        media_type = COVER_TYPES.get(path.suffix.lower())
        if media_type is None:
            _fail(project, "cover", f"epub.cover '{configured}' must be a PNG, JPEG, GIF or WebP image")
        from ..images import ImageRefused, ImageUnreadable, check_image_file
        from ..readlog import read_bytes

        try:
            check_image_file(path, configured, project.root)
            data = read_bytes(path)
        except ImageRefused as exc:
            _fail(project, "cover", f"epub.cover: {exc}")
        except (ImageUnreadable, OSError):
            _fail(project, "cover", f"epub.cover '{configured}' cannot be read as an image")
        name = epub_image_name(project.display(path))
        return Cover(name, media_type, data, from_print=False)
    return Cover("cover.png", "image/png", b"", from_print=True)


def _print_pdf(layout: PrintLayout, pdf_bytes: bytes | None) -> bytes:
    """A PDF whose first page is the printed cover."""
    return pdf_bytes if pdf_bytes is not None else layout.cover_pdf()


def render_cover_png(pdf_bytes: bytes, height: int = COVER_HEIGHT) -> bytes:
    """The first page of a PDF as a PNG `height` pixels tall: its trim box, without a bleed and its marks."""
    import pypdfium2

    document = pypdfium2.PdfDocument(pdf_bytes)
    try:
        page = document[0]
        media, trim = page.get_mediabox(), page.get_trimbox()
        crop = (trim[0] - media[0], trim[1] - media[1], media[2] - trim[2], media[3] - trim[3])
        if any(crop):
            bitmap = page.render(scale=height / (trim[3] - trim[1]), crop=crop)
        else:
            bitmap = page.render(scale=height / page.get_height())
        image = bitmap.to_pil().convert("RGB")
    finally:
        document.close()
    out = io.BytesIO()
    image.save(out, format="PNG", compress_level=3)  # a third of the time of the best compression, +40 % size
    return out.getvalue()


def _cover_alt(publication, cover: Cover) -> str:
    config = publication.config
    if not cover.from_print:
        return text(config, LABELS["cover_of"], title=config.title)
    words = [
        text(config, LABELS["cover_text"], title=config.title) + (f". {config.subtitle}" if config.subtitle else "")
    ]
    dated = publication.date_text if config.dated else ""
    words.append(", ".join(filter(None, [", ".join(config.authors), config.publisher, dated])))
    if config.marking:
        words.append(config.marking)
    return " ".join(full_stop(w) for w in words if w)  # a date may end in its own full stop (uk "р.")


def _fail(project, key, message) -> NoReturn:
    line, col = _setting_position(project, key)
    raise ReportError([Diagnostic("report.yaml", line, col, message)])


def _setting_position(project, key):
    """Line and column of `epub.<key>` in report.yaml, for messages about it."""
    from ..inputs import LocatedDict, parse_yaml, read_text

    try:
        data = parse_yaml(read_text(project.config_file, "report.yaml"), "report.yaml")
        epub = data.get("epub")
        return epub.value_pos[key] if isinstance(epub, LocatedDict) and key in epub else (None, None)
    except ReportError:
        return None, None


# -- package: metadata, NCX, zip ------------------------------------------------------------------


def modified_time(content_date: dt.date) -> dt.datetime:
    """`dcterms:modified` and the zip times: midnight UTC of the publication date (report.yaml,
    else SOURCE_DATE_EPOCH's day: see config.py), so a dated book never depends on the build."""
    return dt.datetime.combine(content_date, dt.time(0, 0), dt.UTC)


def _book(publication, pages, images, styles, cover, ncx, summary, fonts=()):
    book = epub.EpubBook()
    _metadata(book, publication, summary)
    items = {}
    for page in pages:
        item = epub.EpubItem(
            uid=page.uid, file_name=page.name, media_type="application/xhtml+xml", content=page.content()
        )
        item.properties = page.properties
        items[page.uid] = book.add_item(item)
    for number, (name, data) in enumerate(images, 1):
        if name != cover.name:
            book.add_item(
                epub.EpubItem(
                    uid=f"image-{number}",
                    file_name=name,
                    media_type=IMAGE_TYPES.get(os.path.splitext(name)[1].lower(), ""),
                    content=data,
                )
            )
    cover_item = epub.EpubItem(uid="cover-image", file_name=cover.name, media_type=cover.media_type, content=cover.data)
    cover_item.properties = ["cover-image"]
    book.add_item(cover_item)
    for number, (name, data) in enumerate(styles, 1):
        book.add_item(epub.EpubItem(uid=f"style-{number}", file_name=name, media_type="text/css", content=data))
    for number, font in enumerate(fonts, 1):
        book.add_item(
            epub.EpubItem(
                uid=f"font-{number}", file_name=f"fonts/{font.name}", media_type=font.media_type, content=font.data
            )
        )
    book.add_item(epub.EpubItem(uid="ncx", file_name="toc.ncx", media_type="application/x-dtbncx+xml", content=ncx))
    book.spine = [(items[page.uid], "yes" if page.linear else "no") for page in pages]
    book.guide = _guide(publication, pages)
    return book


def _guide(publication, pages) -> list[dict]:
    """The EPUB 2 guide beside the landmarks: Kindle conversion (KindleGen, Send to Kindle) opens
    the book at its `text` reference, and reads `cover` and `toc` from it too."""
    config = publication.config
    first = next(page for page in pages if page.uid.startswith("article-"))
    return [
        {"type": "cover", "href": "cover.xhtml", "title": text(config, LABELS["cover"])},
        {"type": "toc", "href": "nav.xhtml", "title": text(config, LABELS["contents"])},
        {"type": "text", "href": first.name, "title": publication.articles[0].title},
    ]


def _metadata(book, publication, summary) -> None:
    from .. import __version__

    config = publication.config
    book.metadata.clear()
    book.add_metadata(None, "meta", "", {"name": "generator", "content": f"report-builder {__version__}"})
    book.set_identifier(config.identifier)
    book.title = config.title
    book.add_metadata("DC", "title", config.title, {"id": "title"})
    book.add_metadata(None, "meta", "main", {"refines": "#title", "property": "title-type"})
    if config.subtitle:
        book.add_metadata("DC", "title", config.subtitle, {"id": "subtitle"})
        book.add_metadata(None, "meta", "subtitle", {"refines": "#subtitle", "property": "title-type"})
    book.set_language(config.language)
    if config.direction == "rtl":  # pages turn right to left (spine page-progression-direction)
        book.set_direction("rtl")
    for number, author in enumerate(config.authors, 1):
        book.add_metadata("DC", "creator", author, {"id": f"creator-{number}"})
        book.add_metadata(
            None, "meta", "aut", {"refines": f"#creator-{number}", "property": "role", "scheme": "marc:relators"}
        )
    for name, value in (("publisher", config.publisher), ("description", config.description)):
        if value:
            book.add_metadata("DC", name, value)
    book.add_metadata("DC", "date", config.date.isoformat())
    for keyword in publication.keywords:
        book.add_metadata("DC", "subject", keyword)
    book.add_metadata(None, "meta", "", {"name": "cover", "content": "cover-image"})  # EPUB 2 reading systems
    for prop, value in accessibility_metadata(publication, summary):
        attributes = {"property": prop}
        book.add_metadata(None, "meta", value, attributes)  # the summary is in the book's language
    if config.epub.conforms_to:
        _conformance(book, config)


def accessibility_metadata(publication, summary: str) -> list[tuple[str, str]]:
    """EPUB Accessibility 1.1 discovery metadata, derived from what the book contains."""
    config = publication.config
    images = [image for article in publication.articles for image in article.images]
    visual = publication.has_images
    described = visual and all(image.alt.strip() for image in images)  # charts carry title and desc
    features = [
        "structuralNavigation",
        "tableOfContents",
        "readingOrder",
        "pageNavigation",
        "printPageNumbers",
        "pageBreakMarkers",
        "ARIA",
        "displayTransformability",
    ]
    if described:
        features.append("alternativeText")
    meta = [("schema:accessMode", "textual")]
    if visual:
        meta.append(("schema:accessMode", "visual"))
        meta.append(("schema:accessModeSufficient", "textual,visual"))
    if not visual or described:
        meta.append(("schema:accessModeSufficient", "textual"))
    meta += [("schema:accessibilityFeature", feature) for feature in features]
    meta += [
        ("schema:accessibilityHazard", "none"),
        ("schema:accessibilitySummary", summary),
        ("pageBreakSource", _page_source(config)),
    ]
    return meta


def _page_source(config) -> str:
    """Names the print edition the page numbers come from (it has no ISBN to cite)."""
    by = ", ".join(filter(None, [", ".join(config.authors), config.publisher]))
    edition = text(config, LABELS["pdf_edition"], title=config.title, size=config.pdf.page_size)
    return f"{edition}{', ' + by if by else ''}, {config.date.isoformat()}"


def _summary(publication, articles, page_count: int) -> str:
    """The accessibility summary: what a reader can expect, counted from the content."""
    config = publication.config
    pubs = publication.articles
    tables = sum(len(a.tables) for a in pubs)
    charts = sum(len(a.charts) for a in pubs)
    images = sum(len(a.images) for a in pubs)
    notes = sum(len(item.footnotes) for item in articles)
    says = [
        text(config, LABELS["reflowable"]),
        plural(config, "It has %(number)s article.", "It has %(number)s articles.", len(pubs)),
        text(config, LABELS["headings"]),
        plural(
            config,
            "Page-break markers and a page list give the page numbers of the printed edition, %(number)s page long.",
            "Page-break markers and a page list give the page numbers of the printed edition, %(number)s pages long.",
            page_count,
        ),
    ]
    if tables:
        says.append(
            plural(
                config,
                "%(number)s fact table is a data table with column and row headers.",
                "%(number)s fact tables are data tables with column and row headers.",
                tables,
            )
        )
        says.append(text(config, LABELS["every_source"]))
    if images == 1:
        says.append(text(config, LABELS["one_image"]))
    elif images:
        says.append(
            plural(
                config,
                "Each of the %(number)s image has a text description.",
                "Each of the %(number)s images has a text description.",
                images,
            )
        )
    if charts == 1:
        says.append(text(config, LABELS["one_chart"]))
    elif charts:
        says.append(
            plural(
                config,
                "Each of the %(number)s chart gives its figures as text as well.",
                "Each of the %(number)s charts gives its figures as text as well.",
                charts,
            )
        )
    if not images and not charts:
        says.append(text(config, LABELS["no_images"]))
    if notes:
        says.append(
            plural(
                config,
                "%(number)s footnote is linked to and from the text.",
                "%(number)s footnotes are linked to and from the text.",
                notes,
            )
        )
    return " ".join(says)


def _conformance(book, config) -> None:
    claim = config.epub.conforms_to
    if claim.startswith(("http://", "https://")):
        book.add_metadata(None, "link", "", {"rel": "dcterms:conformsTo", "href": claim})
    else:
        book.add_metadata(None, "meta", claim, {"property": "dcterms:conformsTo"})
    certifier = config.publisher or ", ".join(config.authors)
    if certifier:
        book.add_metadata(None, "meta", certifier, {"property": "a11y:certifiedBy"})


def _ncx(publication, toc, breaks) -> bytes:
    """toc.ncx for EPUB 2 reading systems: the same contents, its real depth, the page list."""
    config = publication.config
    root = etree.Element(f"{{{NCX_NS}}}ncx", nsmap={None: NCX_NS}, version="2005-1")  # type: ignore[dict-item]
    root.set(f"{{{XML_NS}}}lang", config.language)
    head = etree.SubElement(root, f"{{{NCX_NS}}}head")
    for name, value in (
        ("dtb:uid", config.identifier),
        ("dtb:depth", str(_depth(toc))),
        ("dtb:totalPageCount", str(len(breaks))),
        ("dtb:maxPageNumber", str(len(breaks))),
    ):
        etree.SubElement(head, f"{{{NCX_NS}}}meta", name=name, content=value)
    _ncx_text(etree.SubElement(root, f"{{{NCX_NS}}}docTitle"), config.title)
    nav_map = etree.SubElement(root, f"{{{NCX_NS}}}navMap")
    counter = iter(range(1, 10_000))
    _ncx_points(nav_map, toc, counter)
    page_list = etree.SubElement(root, f"{{{NCX_NS}}}pageList")
    _ncx_text(etree.SubElement(page_list, f"{{{NCX_NS}}}navLabel"), text(config, LABELS["pages"]))
    for entry in breaks:
        target = etree.SubElement(
            page_list, f"{{{NCX_NS}}}pageTarget", id=f"ncx-{entry.id}", type="normal", value=str(entry.number)
        )
        _ncx_text(etree.SubElement(target, f"{{{NCX_NS}}}navLabel"), entry.label or str(entry.number))
        etree.SubElement(target, f"{{{NCX_NS}}}content", src=f"{entry.page}#{entry.id}")
    return etree.tostring(root, encoding="utf-8", xml_declaration=True, pretty_print=True)


def _ncx_points(parent, entries, counter) -> None:
    for entry in entries:
        point = etree.SubElement(parent, f"{{{NCX_NS}}}navPoint", id=f"nav-{next(counter)}")
        _ncx_text(etree.SubElement(point, f"{{{NCX_NS}}}navLabel"), entry["title"])
        etree.SubElement(point, f"{{{NCX_NS}}}content", src=entry["href"])
        _ncx_points(point, entry["children"], counter)


def _ncx_text(parent, text) -> None:
    etree.SubElement(parent, f"{{{NCX_NS}}}text").text = text


def _depth(entries) -> int:
    return max((1 + _depth(e["children"]) for e in entries), default=0)


def _write(book, modified: dt.datetime) -> bytes:
    """The book's bytes: ebooklib writes the package (its public `write_epub`), and the zip is
    written again here, the same every build: `mimetype` first and stored, then every entry in
    ebooklib's order, one fixed date, fixed attributes, and `xml:lang` on <package>."""
    packed = io.BytesIO()
    options = {
        "mtime": modified,
        "epub2_guide": True,  # the guide: where Kindle conversion starts reading
        "epub3_landmark": False,
        "epub3_pages": False,
        "compresslevel": 0,  # read back at once below: compressed once, there
        "raise_exceptions": True,
    }
    epub.write_epub(packed, book, options)
    with zipfile.ZipFile(packed) as written:
        entries = [(info.filename, written.read(info)) for info in written.infolist()]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in sorted(entries, key=lambda entry: entry[0] != "mimetype"):
            content = _with_package_language(data, book.language) if name.endswith(".opf") else data
            archive.writestr(_entry(name, _zip_time(modified)), content)
    return out.getvalue()


def _zip_time(modified: dt.datetime) -> tuple[int, int, int, int, int, int]:
    """A zip's DOS dates run from 1980 to 2107: a book dated outside them is zipped at the nearer end."""
    earliest = dt.datetime(1980, 1, 1, tzinfo=dt.UTC)
    latest = dt.datetime(2107, 12, 31, tzinfo=dt.UTC)
    year, month, day, hour, minute, second = min(max(modified, earliest), latest).timetuple()[:6]
    return year, month, day, hour, minute, second


def _entry(name: str, date_time: tuple[int, int, int, int, int, int]) -> zipfile.ZipInfo:
    """One zip entry's header: `mimetype` stored (EPUB requires it), the rest deflated; Unix, 0644."""
    info = zipfile.ZipInfo(name, date_time=date_time)
    info.compress_type = zipfile.ZIP_STORED if name == "mimetype" else zipfile.ZIP_DEFLATED
    info.create_system = 3
    info.external_attr = 0o644 << 16
    return info


def _with_package_language(opf: bytes, language: str) -> bytes:
    """The package document with `xml:lang` on <package> (ebooklib writes none), byte for byte
    as ebooklib wrote it otherwise (a parse and a new serialisation would close empty elements)."""
    from xml.sax.saxutils import quoteattr

    start = opf.index(b"<package ")
    end = opf.index(b">", start)
    return opf[:end] + f" xml:lang={quoteattr(language)}".encode() + opf[end:]
