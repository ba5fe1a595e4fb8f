"""The layout worker processes and what they run: one document laid out, its PDF and what the
merge needs read off it (ChunkResult).

The workers start before the content is loaded (LayoutWorkers), so that their import of
WeasyPrint overlaps the reading and rendering of the articles.
"""

from __future__ import annotations

import gc
import io
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from ...errors import Diagnostic
from ...fonts import allow_empty_fontconfig
from ...project import load_project
from . import weasy
from .contents import ContentsNumbers, NumberPlaces, read_numbers
from .furniture import Furniture, layout_furniture, layout_furniture_sample, page_strings
from .layout import Layout, layout_pdf, write_pdf

if TYPE_CHECKING:
    import pikepdf


@dataclass(frozen=True)
class ChunkResult:
    """One document laid out by a worker (or found in the cache): its PDF and what was read off it."""

    pdf: bytes
    pages: int
    anchors: dict[str, int]  # element id → page index within the chunk
    page_starts: list[list[list]] = field(default_factory=list)  # see pagelist.py
    warnings: list[Diagnostic] = field(default_factory=list)
    strings: list[list[list[str]]] = field(default_factory=list)  # per page: the [name, value] of each string-set
    wide: list[int] = field(default_factory=list)  # its landscape pages (wide tables), by index
    blank: list[int] = field(default_factory=list)  # its pages left blank (two-sided: see weasy.blank_pages)
    furniture: Furniture | None = None  # the furniture sample only: see furniture.read_furniture
    #: the front's contents numbers, or a chunk's cross-reference page numbers: see contents.read_numbers
    numbers: ContentsNumbers | None = None
    fetched: dict[str, str] = field(default_factory=dict)  # project file → sha256 of the bytes laid out
    #: the merge puts a blank page before the chunk's own (two-sided: see chunked._TwoSided); not cached
    blank_before: bool = False

    @cached_property
    def opened(self) -> pikepdf.Pdf:
        """The PDF opened with pikepdf, once: the build opens each chunk as it comes in, while
        the workers lay out the rest, rather than all of them at the merge."""
        import pikepdf

        pdf = pikepdf.open(io.BytesIO(self.pdf))
        if self.blank_before:
            _insert_blank_page(pdf)
        return pdf

    def after_blank_page(self) -> ChunkResult:
        """The chunk with a blank page before its first: every page index one further on."""
        assert not self.blank_before, "a chunk gets one blank page at most"
        numbers = self.numbers
        if isinstance(numbers, NumberPlaces):
            numbers = replace(numbers, entries=tuple(replace(e, page=e.page + 1) for e in numbers.entries))
        return replace(
            self,
            pages=self.pages + 1,
            anchors={name: page + 1 for name, page in self.anchors.items()},
            page_starts=[[], *self.page_starts],
            strings=[[], *self.strings],
            wide=[index + 1 for index in self.wide],
            blank=[0, *(index + 1 for index in self.blank)],
            numbers=numbers,
            blank_before=True,
        )


def _insert_blank_page(pdf) -> None:
    """A blank page before the first, of its size: as WeasyPrint leaves one (no content, no furniture)."""
    import pikepdf

    first = pdf.pages[0].obj
    page = pikepdf.Dictionary(
        Type=pikepdf.Name.Page,
        Contents=pdf.make_stream(b""),
        Resources=pikepdf.Dictionary(),
        Tabs=pikepdf.Name.S,
    )
    for box in ("/MediaBox", "/CropBox", "/BleedBox", "/TrimBox", "/ArtBox"):
        if box in first:
            page[box] = pikepdf.Array(list(first[box]))
    pdf.pages.insert(0, pikepdf.Page(pdf.make_indirect(page)))


class LayoutWorkers(ProcessPoolExecutor):
    """The layout worker processes, started before the content is read: each imports WeasyPrint
    (about half a second of CPU) while the main process loads the articles.

    Only as many as leave a core to the main process start importing at once; the others wait
    until the content is loaded (content_loaded), so that loading, which the layout waits for,
    does not share its core. On two cores: one worker imports beside the loading, the other
    after it, while the first lays out its first chunk.
    """

    def __init__(self, jobs: int):
        import multiprocessing

        self._loaded = multiprocessing.Event()
        self._announced = False
        self.size = jobs  # how many lay out at once
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
        early = multiprocessing.Semaphore(max(1, cores - 1))
        super().__init__(max_workers=jobs, initializer=_prepare_worker, initargs=(os.getpid(), self._loaded, early))
        self.submit(int)  # the pool forks its workers at the first job

    def content_loaded(self) -> None:
        # Once only: setting the event waits for every sleeper to wake, and after `kill` a killed
        # worker can never wake (nor release the event's lock).
        if not self._announced:
            self._announced = True
            self._loaded.set()

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self.content_loaded()  # a worker still waiting to import goes on, and finds it has to exit
        super().shutdown(wait=wait, cancel_futures=cancel_futures)

    def kill(self) -> None:
        """Stop every worker now (SIGKILL), mid-layout too: the build has failed or run out of time."""
        self.content_loaded()  # the waiting ones wake first, so the event is never left half set
        for process in list((self._processes or {}).values()):
            if process.is_alive():
                process.kill()


def _prepare_worker(parent: int, loaded, early) -> None:
    from ...processes import exit_with_parent

    exit_with_parent(parent)
    if not early.acquire(block=False):
        loaded.wait(timeout=10)
    gc.disable()  # the import makes objects by the hundred thousand and frees none: no collections
    allow_empty_fontconfig()  # the build's FONTCONFIG_FILE (fonts.py) is inherited with the environment
    try:
        from ...fetcher import SandboxFetcher  # noqa: F401 - imports WeasyPrint
        from ...pagelist import find_page_starts  # noqa: F401
    finally:
        gc.freeze()  # the modules stay: later collections need not look at them
        gc.enable()


def lay_out_chunk(
    root: str, html: str, identifier: str, variant: str | None = None, fonts_dir: Path | None = None, faces=None
) -> ChunkResult:
    """Worker: lay out one chunk; return its PDF and where its anchors (and, with `faces`, the
    stand-in page numbers of its cross-references) landed."""
    result, layout = _laid_out(root, html, identifier, variant, fonts_dir)
    if faces is None:
        return result
    return replace(result, numbers=read_numbers(layout.document, result.pdf, faces))


def _laid_out(
    root: str, html: str, identifier: str, variant: str | None, fonts_dir: Path | None
) -> tuple[ChunkResult, Layout]:
    layout = layout_pdf(html, load_project(root), identifier, variant=variant, fonts_dir=fonts_dir)
    anchors = _anchor_pages(layout.document)
    # WeasyPrint drops links to anchors it has not laid out: the merge points them at the chunk
    # that holds them
    weasy.keep_links_to_missing_anchors(layout.document, set(anchors))
    return ChunkResult(
        pdf=write_pdf(layout, identifier, variant=variant),
        pages=layout.page_count,
        anchors=anchors,
        page_starts=layout.page_starts,
        warnings=layout.warnings,
        strings=page_strings(layout.document),
        wide=weasy.landscape_pages(layout.document),
        blank=weasy.blank_pages(layout.document),
        fetched=layout.fetched,
    ), layout


def lay_out_front(
    root: str, html: str, identifier: str, variant: str | None, fonts_dir: Path | None, faces
) -> ChunkResult:
    """Worker: lay out the cover and the contents, its page numbers hidden; and read where they go."""
    result, layout = _laid_out(root, html, identifier, variant, fonts_dir)
    return replace(result, numbers=read_numbers(layout.document, result.pdf, faces))


def lay_out_furniture(root: str, html: str, identifier: str, fonts_dir: Path | None) -> ChunkResult:
    """Worker: the furniture document's PDF (see furniture.StampedFurniture)."""
    return ChunkResult(pdf=layout_furniture(root, html, identifier, fonts_dir), pages=0, anchors={})


def lay_out_furniture_sample(root: str, html: str, identifier: str, fonts_dir: Path | None, faces) -> ChunkResult:
    """Worker: how the furniture looks, and the forms of its constant boxes."""
    furniture, forms = layout_furniture_sample(root, html, identifier, fonts_dir, faces)
    return ChunkResult(pdf=forms, pages=0, anchors={}, furniture=furniture)


def _anchor_pages(document) -> dict[str, int]:
    anchors: dict[str, int] = {}
    for index, page in enumerate(document.pages):
        for name in page.anchors:
            anchors.setdefault(name, index)
    return anchors
