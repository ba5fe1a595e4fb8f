"""The print layout, made once per build for every writer that needs it (the PDF, the EPUB's page-list).

In parallel chunks when the publication can be split (writers/pdf/chunked.py), else in one go.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from .. import readlog
from ..errors import Diagnostic
from ..fonts import PrintFonts
from ..model import Publication
from ..project import Project
from . import PrintEdition

Progress = Callable[[str], None]


@dataclass(frozen=True)
class PrintSettings:
    jobs: int
    cache: Path  # the chunk cache folder
    fonts: Path  # the folder of the static font instances (fonts.fonts_cache)
    use_cache: bool = True  # False: lay every chunk out again (--force)
    keep_html: bool = False  # keep the print HTML (--keep-intermediate)


@contextmanager
def print_workers(article_count: int, jobs: int) -> Iterator:
    """The worker processes of a chunked print layout, or None when it is laid out in one go.

    They start before the content is loaded (see chunks.LayoutWorkers); the caller asks for
    them only when an output needs the print layout.
    """
    from .pdf import LayoutWorkers, can_chunk

    if not can_chunk(article_count):
        yield None
        return
    workers = LayoutWorkers(min(jobs, article_count + 2))
    try:
        yield workers
    except BaseException:  # a failed build waits neither for their imports nor for their layouts
        workers.kill()
        workers.shutdown(wait=False, cancel_futures=True)
        raise
    workers.shutdown()  # idle by now, they exit at once and are reaped: none outlives the build


def lay_out_print(
    publication: Publication,
    project: Project,
    settings: PrintSettings,
    workers,
    meanwhile: Callable[[], None] | None,
    say: Progress,
    before_articles: Callable[[tuple[int, ...] | None], None] = lambda articles: None,
) -> PrintEdition:
    """Lay out the print edition once: in chunks on `workers` when there are any, else in one go.

    `meanwhile` is work for this process while the workers lay out; a single layout leaves it.
    `before_articles(articles)` runs before those articles (by index) are rendered, and
    `before_articles(None)` once before the rest is (the build draws its charts there): in
    chunks, for each chunk in turn once the front matter and the furniture sample are with the
    workers, so that a chunk's layout starts while the next one's charts are drawn.
    """
    from ..fonts import depend_on_fonts, print_fonts
    from ..render import render_document, style_files
    from .pdf import check_stylesheets

    config = publication.config
    own_styles = [path for path in style_files(project, "pdf") if project.root in path.resolve().parents]
    families = frozenset(font.family.lower() for font in config.fonts)
    warnings = check_stylesheets(project, own_styles, families)
    fonts = print_fonts(project, own_styles, settings.fonts, config)
    depend_on_fonts(config.language)
    print_html = None
    if settings.keep_html or workers is None:
        before_articles(None)
        before_articles = lambda articles: None  # noqa: E731 - done
        say("rendering print HTML")
        print_html = render_document(publication, project, "pdf", extra_styles=[("fonts.css", fonts.css)])
    kept = _without_machine_paths(print_html) if settings.keep_html and print_html is not None else None
    ready = _Ready(fonts, tuple(warnings), kept)
    if workers is not None:
        return _chunked(publication, project, settings, ready, workers, meanwhile, say, before_articles)
    return _single(publication, project, settings, ready, print_html or "", say)


@dataclass(frozen=True)
class _Ready:
    """What both layouts start from: the print fonts, the stylesheets' warnings, the HTML to keep."""

    fonts: PrintFonts
    warnings: tuple[Diagnostic, ...]
    kept_html: str | None


def _chunked(
    publication, project, settings: PrintSettings, ready: _Ready, workers, meanwhile, say, before_articles
) -> PrintEdition:
    from .pdf import chunk_parts, layout_chunked

    jobs = settings.jobs
    say(f"laying out pages on {jobs} core{'s' if jobs > 1 else ''}")
    if not settings.use_cache:
        shutil.rmtree(settings.cache, ignore_errors=True)  # --force: lay every chunk out again
    layout = layout_chunked(
        publication, project, jobs, settings.cache, ready.fonts, workers, meanwhile, before_articles
    )
    readlog.merge(layout.fetched)
    how = f"in parallel on {jobs} cores" if jobs > 1 else "in chunks, one after another"
    note = f"pdf: laid out {how} ({layout.chunks_laid_out} chunk(s) laid out, the rest from the cache)"
    return PrintEdition(
        pdf=layout.pdf,
        layout=layout,
        warnings=(*ready.warnings, *layout.warnings),
        notes=(note, *layout.notes),
        chunks=len(chunk_parts(publication)),
        chunks_laid_out=layout.chunks_laid_out,
        print_html=ready.kept_html,
    )


def _single(publication, project, settings: PrintSettings, ready: _Ready, print_html: str, say) -> PrintEdition:
    from .pdf import layout_pdf, write_pdf
    from .pdf.conformance import unambiguous_stream_ends
    from .pdf.pagelabels import labelled

    config = publication.config
    say("laying out pages")
    layout = layout_pdf(print_html, project, config.identifier, variant=config.pdf.variant, fonts_dir=settings.fonts)
    readlog.merge(layout.fetched)
    say("writing PDF")
    pdf = unambiguous_stream_ends(labelled(write_pdf(layout, config.identifier, variant=config.pdf.variant), config))
    warnings = (*ready.warnings, *layout.warnings)
    return PrintEdition(
        pdf=pdf, layout=layout, warnings=warnings, notes=tuple(layout.notes), print_html=ready.kept_html
    )


def _without_machine_paths(print_html: str) -> str:
    """The kept print HTML names its fonts by file name (`fonts/NAME.ttf`), not by this machine's folders."""
    return re.sub(r"url\('file://[^']*/([^/']+)'\)", r"url('fonts/\1')", print_html)
