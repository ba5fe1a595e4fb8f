"""One writer per output format, in `WRITERS`: the one list of the formats a project can have.

Every writer has the same small shape (`Writer`): a name, whether it needs the print layout
(the EPUB takes its page-list from the printed pages), and `write`, which makes the output's
bytes from a `Job`. A writer may also `prepare` work that needs no layout: a chunked build runs
it while the layout workers are busy. Writers are imported when they are first used, so reading
this module (config.py does) loads none of their libraries.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..errors import Diagnostic
    from ..model import Publication
    from ..project import Project


@dataclass(frozen=True)
class PrintEdition:
    """The print layout made once for every writer that needs it: the PDF's bytes and the layout."""

    pdf: bytes
    layout: Any  # writers.pdf.layout.Layout, or chunks.ChunkedLayout when laid out in chunks
    warnings: tuple[Diagnostic, ...] = ()
    notes: tuple[str, ...] = ()  # how it was laid out, for --verbose
    chunks: int = 0  # chunks the print document was split into (0: laid out in one go)
    chunks_laid_out: int = 0  # … of which this build laid out (the rest came from the cache)
    print_html: str | None = None  # the print HTML, when asked to keep it (--keep-intermediate)


@dataclass(frozen=True)
class Job:
    """What a writer is given: the loaded publication and, when it needs it, the print edition."""

    publication: Publication
    project: Project
    print: PrintEdition | None = None
    prepared: Any = None  # what the writer's `prepare` returned, when it ran


@dataclass(frozen=True)
class Writer:
    name: str  # the format and the output's suffix: `SLUG.NAME`
    needs_print_layout: bool
    write: Callable[[Job], bytes | dict[str, bytes]]  # a folder of pages: file name → bytes
    packages: tuple[str, ...]  # the distributions whose versions shape its bytes (see stamps.py)
    renders: tuple[str, ...]  # the render targets of its documents (their charts are drawn first)
    prepare: Callable[[Publication, Project], Any] | None = None


#: what every output is made with: the content loaders, the templates, the HTML sanitiser, image sizes
_CONTENT = (
    "markdown-it-py",
    "pygments",  # how code is highlighted
    "vl-convert-python",  # how charts are drawn
    "mdit-py-plugins",
    "jinja2",
    "markupsafe",
    "babel",
    "pyyaml",
    "openpyxl",
    "lxml",
    "Pillow",
)
#: … and the print layout: WeasyPrint and what it draws and writes with, the fonts, the merge
_PRINT = (
    *_CONTENT,
    *("weasyprint", "pydyf", "tinycss2", "cssselect2", "fonttools", "pikepdf", "uharfbuzz"),
    *("fontpkg-noto-serif", "fontpkg-noto-sans", "fontpkg-jetbrains-mono", "fontpkg-ibm-plex-sans-arabic"),
)


def _write_pdf(job: Job) -> bytes:
    assert job.print is not None
    return job.print.pdf


def _prepare_epub(publication: Publication, project: Project) -> Any:
    from .epub import draft_epub

    return draft_epub(publication, project)


def _write_epub(job: Job) -> bytes:
    from .epub import write_epub

    assert job.print is not None
    return write_epub(job.publication, job.project, job.print.layout, pdf_bytes=job.print.pdf, draft=job.prepared)


def _write_html(job: Job) -> bytes | dict[str, bytes]:
    from ..fonts import depend_on_fonts
    from ..project_fonts import embed_in_html
    from ..render import render_document
    from .html import split_pages, write_html

    depend_on_fonts(job.publication.config.language)  # embedded as WOFF2 subsets (see writers/html.py)
    html = write_html(
        embed_in_html(render_document(job.publication, job.project, "html"), job.publication, job.project)
    )
    return split_pages(html) if job.publication.config.html.layout == "pages" else html


def draw_charts(
    publication: Publication, formats: list[str], engines=1, articles: tuple[int, ...] | None = None
) -> None:
    """Every chart the outputs in `formats` show (of the `articles` given, by index), drawn before
    any writer renders it: the writers, forked or not, only read them.

    On one engine, whatever the cores: the build is busy on the others meanwhile (the layout
    workers import WeasyPrint and lay the front matter and the chunks before out), and a second
    engine costs as much to start as about ten drawings (its JavaScript engine loading Vega), CPU
    time a shared machine does not have to spare. `engines` may be chart_engine.Engines kept
    running from one call to the next.
    """
    from ..charts import draw_charts as draw

    chosen = publication.articles if articles is None else [publication.articles[i] for i in articles]
    if any(article.charts for article in chosen):
        draw(publication, {target for fmt in formats for target in WRITERS[fmt].renders}, engines, articles)


WRITERS: dict[str, Writer] = {
    writer.name: writer
    for writer in (
        Writer("pdf", needs_print_layout=True, write=_write_pdf, packages=_PRINT, renders=("pdf",)),
        Writer(
            "epub",
            needs_print_layout=True,  # the page-list and the printed cover
            write=_write_epub,
            packages=(*_PRINT, "ebooklib", "pypdfium2"),
            renders=("pdf", "epub"),
            prepare=_prepare_epub,
        ),
        Writer("html", needs_print_layout=False, write=_write_html, packages=_CONTENT, renders=("html",)),
    )
}
#: every format, in the order outputs are built and listed
FORMATS: tuple[str, ...] = tuple(WRITERS)
