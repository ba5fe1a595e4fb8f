"""Parallel PDF layout: articles laid out in chunks by worker processes, then merged.

WeasyPrint lays out one document on one core. A briefing splits naturally at article
boundaries (each article starts a page), so chunks of articles are laid out at the same
time and merged with pikepdf. What a single render gets from seeing the whole document is
restored after the merge:

- the page furniture (running heads, marking, "Page X of Y") is left out of the chunks and
  drawn on the merged pages where a sample in the same page style shows a single layout puts
  it (see furniture.py);
- the contents is laid out first, its page numbers hidden stand-ins, and the real numbers are
  drawn in their place after the merge (see contents.py);
- named destinations of every chunk are merged, so contents and cross-chunk links work;
- the bookmark tree is rebuilt from the chunks' outlines with merged page numbers.

The workers start before the content is loaded (LayoutWorkers), so that their import of
WeasyPrint overlaps the reading and rendering of the articles.

Which articles make a chunk depends on the articles alone (plan_chunks), never on the worker
count or on earlier builds: one worker lays the same chunks out one after another, and the
merged PDF is byte-identical for any -j, cached or not. Each chunk's PDF is cached by the hash
of its HTML: after an edit only the chunk holding the edited article is laid out again. Page
numbers are added after the merge, so a chunk never depends on where it starts, and a change
of page count invalidates no layout at all.
"""

from __future__ import annotations

import dataclasses
import gc
import hashlib
import io
import json
import os
import warnings as python_warnings
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from ...errors import Diagnostic
from ...fonts import PrintFonts, allow_empty_fontconfig, font_face_css
from ...project import load_project
from ...readlog import read_bytes
from ...render import PrintPart, render_document
from .contents import HIDDEN_NUMBERS_CSS, HIDDEN_PAGE_REFERENCES_CSS, STAND_IN, DrawnNumbers, read_numbers
from .furniture import (
    DrawnFurniture,
    StampedFurniture,
    checked,
    drawable_heads,
    furniture_html,
    layout_furniture,
    layout_furniture_sample,
    page_strings,
    sample_html,
)
from .layout import layout_pdf

#: articles per chunk at most and at least (but the last) in a large publication; more chunks
#: balance better and cache finer, fewer cost less: each chunk is rendered, laid out and merged on
#: its own and embeds its own font subsets (measured: 25 chunks of a 100-article book cost a fifth
#: more CPU than 14)
MAX_ARTICLES_PER_CHUNK = 10
MIN_ARTICLES_PER_CHUNK = 4
#: past the minimum, one article in this many ends a chunk (chosen by the hash of its name)
ARTICLES_BETWEEN_CUTS = 5
#: below this many articles the book is cut into four chunks of equal count instead
SMALL_PUBLICATION = 32
CHUNK_CACHE_VERSION = "7"


@dataclass
class ChunkResult:
    pdf: bytes
    pages: int
    anchors: dict[str, int]  # element id → page index within the chunk
    page_starts: list = field(default_factory=list)
    warnings: list[Diagnostic] = field(default_factory=list)
    strings: list = field(default_factory=list)  # per page: the [name, value] of each string-set
    furniture: dict | None = None  # the furniture sample only: see furniture.read_furniture
    numbers: dict | None = None  # the front only: see contents.read_numbers
    fetched: dict[str, str] = field(default_factory=dict)  # project file → sha256, as laid out (not cached)
    _opened: object = field(default=None, repr=False, compare=False)

    def opened(self):
        """The PDF opened with pikepdf, once: the build opens each chunk as it comes in, while
        the workers lay out the rest, rather than all of them at the merge."""
        if self._opened is None:
            import pikepdf

            self._opened = pikepdf.open(io.BytesIO(self.pdf))
        return self._opened


@dataclass
class ChunkedLayout:
    """The merged PDF and what the EPUB page-list needs, like a single Layout provides."""

    pdf: bytes
    page_count: int
    anchors: dict[str, int]  # element id → page index in the merged PDF
    page_starts: list
    warnings: list[Diagnostic] = field(default_factory=list)
    laid_out: int = 0  # layouts of chunks in this build
    chunks_laid_out: int = 0  # chunks laid out in this build (the rest came from the cache)
    notes: list[str] = field(default_factory=list)  # how it was made, for --verbose
    fetched: dict[str, str] = field(default_factory=dict)  # project file → sha256 of the bytes laid out


def can_chunk(config, articles: int, jobs: int | None = None) -> bool:
    """Chunk when there are articles to split, whatever the worker count (`jobs` is not used:
    the PDF's bytes must not depend on it; one worker lays the chunks out one after another).

    Duplex pages need to know their parity, and PDF/A and PDF/X files are not merged (their
    conformance covers the whole file); those are laid out in one process.
    """
    mergeable = config.pdf.variant is None or config.pdf.variant.startswith("pdf/ua")
    return articles > 1 and not config.pdf.duplex and mergeable


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
    from ...build import exit_with_parent

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


def plan_chunks(publication, jobs: int | None = None) -> list[tuple[int, ...]]:
    """Group consecutive articles into chunks, from the articles alone (content-defined chunking).

    In a large publication a chunk of MIN_ARTICLES_PER_CHUNK articles or more ends after an
    article whose name hashes to a cut point (one name in ARTICLES_BETWEEN_CUTS), or once it holds
    MAX_ARTICLES_PER_CHUNK articles: an edit moves no boundary, and an article added or removed
    moves only the boundaries next to it. A small publication is cut into four chunks of equal
    count, so that it still lays out on several cores. The plan is the same for any worker count
    (`jobs` is not used) and any cache history, so the merged PDF is too.
    """
    del jobs  # the plan must not depend on it (see the module docstring)
    names = [article.name for article in publication.articles]
    if len(names) < SMALL_PUBLICATION:
        size = max(1, -(-len(names) // 4))
        return [tuple(range(start, min(start + size, len(names)))) for start in range(0, len(names), size)]
    chunks, current = [], []
    for index, name in enumerate(names):
        current.append(index)
        if (
            len(current) >= MAX_ARTICLES_PER_CHUNK
            or index == len(names) - 1
            or (len(current) >= MIN_ARTICLES_PER_CHUNK and _cut_after(name, ARTICLES_BETWEEN_CUTS))
        ):
            chunks.append(tuple(current))
            current = []
    return chunks


def _cut_after(name: str, spacing: int) -> bool:
    """Whether a chunk ends after the article `name`: true for one name in `spacing`, by hash."""
    digest = hashlib.sha256(name.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % spacing == 0


def layout_chunked(
    publication,
    project,
    jobs: int,
    cache_dir: Path | None,
    print_fonts: PrintFonts | None,
    workers: LayoutWorkers,
    meanwhile: Callable[[], None] | None = None,
) -> ChunkedLayout:
    """Lay the publication out in chunks on `workers` (see LayoutWorkers; the caller shuts them down).

    `meanwhile` runs in this process once every chunk is handed to the workers, which it would
    otherwise only wait for (the build renders the EPUB's pages there).
    """
    config = publication.config
    variant = config.pdf.variant
    print_fonts = print_fonts or PrintFonts(font_face_css())
    fonts = [("fonts.css", print_fonts.css)]
    parts = chunk_parts(publication)
    notes: list[str] = []

    def contents(toc_pages, hidden_numbers: bool = False) -> tuple[str, str]:
        part = PrintPart(articles=(), cover=True, toc=True, sources=False, margin_boxes=False, toc_pages=toc_pages)
        extra = fonts + ([("contents-numbers.css", HIDDEN_NUMBERS_CSS)] if hidden_numbers else [])
        html = render_document(publication, project, "pdf", extra, part)
        return html, _cache_key(html, variant)

    def chunk(part: PrintPart) -> tuple[str, str]:
        extra = fonts + ([("page-references.css", HIDDEN_PAGE_REFERENCES_CSS)] if part.xref_stand_ins else [])
        html = render_document(publication, project, "pdf", extra, part)
        return html, _cache_key(html, variant, _image_digest(publication, project, part.articles))

    work = _Jobs(workers, cache_dir, str(project.root), config.identifier, variant, print_fonts.directory)
    # How the page furniture looks, from samples in the page style; the cover and the contents,
    # its page numbers left to draw after the merge (see contents.py).
    sample_job = work.furniture_sample(sample_html(publication, project, print_fonts.css), print_fonts.faces)
    stand_ins = tuple((heading_id, STAND_IN) for heading_id in _toc_ids(publication))
    front_job = work.front(*contents(stand_ins, hidden_numbers=True), print_fonts.faces)
    documents = [chunk(part) for part in parts]
    cached = [_cached(cache_dir, key) for _html, key in documents]
    work.keys.update(key for _html, key in documents)
    stale = [i for i, found in enumerate(cached) if found is None]
    # The largest first, so the last to finish are short and no core waits long.
    order = sorted(stale, key=lambda i: len(documents[i][0]), reverse=True)
    # where the stand-in page numbers of cross-references are, read from the chunks that have some
    chunk_jobs = {
        i: work.layout(*documents[i], faces=print_fonts.faces if 'class="page-number"' in documents[i][0] else None)
        for i in order
    }
    if meanwhile is not None:
        meanwhile()
    for result in [found for found in cached if found]:
        result.opened()
    front = work.finish(front_job)
    for i in order:
        cached[i] = work.finish(chunk_jobs[i])
        cached[i].opened()
    results = list(cached)
    anchors, total = _merged_anchors(front, results)
    why = _undrawable_references(results, anchors)
    if why:
        notes.append(f"pdf: cross-references' page numbers laid out, not drawn: {why}")
        results = _numbered_references(work, chunk, parts, front, results, anchors)
        anchors, total = _merged_anchors(front, results)
    entries = []
    if publication.show_toc() and front.numbers["kind"] == "drawn":
        entries = list(front.numbers["entries"])
    elif publication.show_toc():
        notes.append(f"pdf: contents page numbers laid out, not drawn: {front.numbers['why']}")
        front, anchors, total = _numbered_contents(work, contents, front, results, stand_ins)
    entries.extend(_reference_entries(front, results))
    numbers = DrawnNumbers(entries, anchors) if entries else None
    sample = work.finish(sample_job)
    furnished = _furnished(publication, project, print_fonts, work, front, results, total, notes, sample)
    laid_out = sum(isinstance(job, Future) for _key, job in chunk_jobs.values())
    if cache_dir is not None:
        prune_cache(cache_dir, work.keys)
    merged = merge_pdfs([front] + results, furnished, numbers)
    page_starts = list(front.page_starts)
    for result in results:
        page_starts.extend(result.page_starts)
    reported = [w for r in [front] + results for w in r.warnings]
    fetched = {path: digest for r in [front] + results for path, digest in r.fetched.items()}
    return ChunkedLayout(
        pdf=merged,
        page_count=total,
        anchors=anchors,
        page_starts=page_starts,
        warnings=_unique(reported),
        laid_out=laid_out,
        notes=_unique(notes),
        chunks_laid_out=len(stale),
        fetched=fetched,
    )


def _numbered_contents(work, contents, front, results, stand_ins):
    """The contents laid out again with its page numbers, until its length settles (at once, in
    practice: the numbers are positioned out of the flow). Returns it, the anchors and the page count."""
    anchors, total = _merged_anchors(front, results)
    for _round in range(3):
        toc_pages = tuple((i, anchors[i] + 1) for i, _ in stand_ins if i in anchors)
        numbered = work.finish(work.layout(*contents(toc_pages)))
        settled = numbered.pages == front.pages
        front = numbered
        anchors, total = _merged_anchors(front, results)
        if settled:
            break
    return front, anchors, total


def _undrawable_references(results, anchors) -> str:
    """Why the page numbers of cross-references cannot be drawn over their stand-ins ('' when they can)."""
    for result in results:
        numbers = result.numbers or {"kind": "drawn", "entries": []}
        if numbers["kind"] != "drawn":
            return numbers["why"]
        for entry in numbers["entries"]:
            page = anchors.get(entry["anchor"])
            if page is not None and len(str(page + 1)) > entry["digits"]:
                return f"page {page + 1} has more figures than the {entry['digits']} set for it"
    return ""


def _reference_entries(front, results) -> list[dict]:
    """The cross-references' numbers to draw, on the pages of the merged PDF."""
    entries, start = [], front.pages
    for result in results:
        for entry in (result.numbers or {}).get("entries", ()):
            entries.append({**entry, "page": start + entry["page"]})
        start += result.pages
    return entries


def _numbered_references(work, chunk, parts, front, results, anchors):
    """The chunks laid out again with their cross-references' page numbers, wide enough for them,
    until the page counts settle. Returns the chunks."""
    digits = max([len(str(page + 1)) for page in anchors.values()] + [1])
    for _round in range(3):
        pages = tuple(sorted((ident, page + 1) for ident, page in anchors.items()))
        laid = [dataclasses.replace(part, xref_stand_ins=False, xref_pages=pages, page_digits=digits) for part in parts]
        numbered = [work.finish(work.layout(*chunk(part))) for part in laid]
        settled = [r.pages for r in numbered] == [r.pages for r in results]
        results = numbered
        anchors, _total = _merged_anchors(front, results)
        if settled:
            break
    return results


def _furnished(publication, project, print_fonts, work, front, results, total, notes, sample):
    """The page furniture drawn onto the merged pages, or else a document of it laid out."""
    furniture = checked(sample.furniture)
    strings = [page for result in [front] + results for page in result.strings]
    heads, why = drawable_heads(furniture, strings)
    if heads is not None:
        return DrawnFurniture(furniture, sample.pdf, heads, total, strings)
    notes.append(f"pdf: page furniture laid out, not drawn: {why}")
    return StampedFurniture(
        work.finish(work.furniture(furniture_html(publication, project, print_fonts.css, strings))).pdf
    )


def chunk_parts(publication, jobs: int | None = None) -> list[PrintPart]:
    """The chunks to lay out: groups of articles (see plan_chunks), then the sources alone."""
    parts = [
        PrintPart(articles=group, cover=False, toc=False, sources=False, margin_boxes=False, xref_stand_ins=True)
        for group in plan_chunks(publication)
    ]
    if publication.sources:
        parts.append(PrintPart(articles=(), cover=False, toc=False, sources=True, margin_boxes=False))
    return parts


@dataclass
class _Jobs:
    """Layouts in the worker pool, each looked up in the chunk cache first and stored after."""

    pool: ProcessPoolExecutor
    cache_dir: Path | None
    root: str
    identifier: str
    variant: str | None
    fonts_dir: Path | None
    keys: set[str] = field(default_factory=set)  # every key this build used: the cache keeps them

    def layout(self, html: str, key: str, faces=None) -> tuple[str, ChunkResult | Future]:
        """A chunk; with `faces`, also where its cross-references' stand-in page numbers go."""
        return self._start(key, _layout_chunk, self.root, html, self.identifier, self.variant, self.fonts_dir, faces)

    def front(self, html: str, key: str, faces) -> tuple[str, ChunkResult | Future]:
        """The cover and the contents, with where its page numbers go (see contents.py)."""
        return self._start(key, _layout_front, self.root, html, self.identifier, self.variant, self.fonts_dir, faces)

    def furniture(self, html: str) -> tuple[str, ChunkResult | Future]:
        return self._start(_cache_key(html), _layout_furniture, self.root, html, self.identifier, self.fonts_dir)

    def furniture_sample(self, html: str, faces) -> tuple[str, ChunkResult | Future]:
        # the HTML's @font-face rules name every face file, so the key covers `faces` too
        return self._start(
            _cache_key(html), _layout_furniture_sample, self.root, html, self.identifier, self.fonts_dir, faces
        )

    def _start(self, key, worker, *args):
        self.keys.add(key)
        cached = _cached(self.cache_dir, key)
        if cached is not None:
            return key, cached
        return key, self.pool.submit(worker, *args)

    def finish(self, job: tuple[str, ChunkResult | Future]) -> ChunkResult:
        key, started = job
        if isinstance(started, ChunkResult):
            return started
        result = started.result()
        _store(self.cache_dir, key, result)
        return result


def _merged_anchors(front: ChunkResult, results: list[ChunkResult]) -> tuple[dict[str, int], int]:
    """Where every anchor lands in the merged PDF, and its page count."""
    anchors = dict(front.anchors)
    total = front.pages
    for result in results:
        anchors.update({name: total + page for name, page in result.anchors.items()})
        total += result.pages
    return anchors, total


def _toc_ids(publication):
    for article in publication.articles:
        for heading in article.headings:
            if heading.level <= 2:
                yield heading.id
    if publication.sources:
        yield "sources"
    for kind in ("table", "figure"):
        if f"{kind}s" in publication.config.lists:
            yield from (item.id for item in publication.numbered(kind))


def _unique(diagnostics):
    seen, unique = set(), []
    for warning in diagnostics:
        if str(warning) not in seen:
            seen.add(str(warning))
            unique.append(warning)
    return unique


def _layout_chunk(
    root: str, html: str, identifier: str, variant: str | None = None, fonts_dir: Path | None = None, faces=None
) -> ChunkResult:
    """Worker: lay out one chunk; return its PDF and where its anchors (and, with `faces`, the
    stand-in page numbers of its cross-references) landed."""
    result, layout = _laid_out(root, html, identifier, variant, fonts_dir)
    if faces is not None:
        result.numbers = read_numbers(layout.document, result.pdf, faces)
    return result


def _laid_out(root: str, html: str, identifier: str, variant: str | None, fonts_dir: Path | None):
    from ...pagelist import find_page_starts
    from .layout import write_pdf

    layout = layout_pdf(html, load_project(root), identifier, variant=variant, fonts_dir=fonts_dir)
    anchors = _anchor_pages(layout.document)
    _keep_links_to_other_chunks(layout.document, anchors)
    return ChunkResult(
        pdf=write_pdf(layout, identifier, variant=variant),
        pages=layout.page_count,
        anchors=anchors,
        page_starts=find_page_starts(layout.document),
        warnings=layout.warnings,
        strings=page_strings(layout.document),
        fetched=dict(layout.fetcher.fetched),
    ), layout


def _layout_front(
    root: str, html: str, identifier: str, variant: str | None, fonts_dir: Path | None, faces
) -> ChunkResult:
    """Worker: lay out the cover and the contents, its page numbers hidden; and read where they go."""
    result, layout = _laid_out(root, html, identifier, variant, fonts_dir)
    result.numbers = read_numbers(layout.document, result.pdf, faces)
    return result


def _layout_furniture(root: str, html: str, identifier: str, fonts_dir: Path | None) -> ChunkResult:
    """Worker: the furniture document's PDF (see furniture.StampedFurniture)."""
    return ChunkResult(pdf=layout_furniture(root, html, identifier, fonts_dir), pages=0, anchors={})


def _layout_furniture_sample(root: str, html: str, identifier: str, fonts_dir: Path | None, faces) -> ChunkResult:
    """Worker: how the furniture looks, and the forms of its constant boxes."""
    furniture, forms = layout_furniture_sample(root, html, identifier, fonts_dir, faces)
    return ChunkResult(pdf=forms, pages=0, anchors={}, furniture=furniture)


def _anchor_pages(document) -> dict[str, int]:
    anchors = {}
    for index, page in enumerate(document.pages):
        for name in page.anchors:
            anchors.setdefault(name, index)
    return anchors


def _keep_links_to_other_chunks(document, anchors):
    """WeasyPrint drops links to anchors it has not laid out; give them a stand-in destination.

    The merge replaces each stand-in with the real destination from the chunk that holds it.
    """
    missing = {
        name
        for page in document.pages
        for kind, name, _rect, _box in page.links
        if kind == "internal" and name not in anchors
    }
    if missing and document.pages:
        for name in sorted(missing):
            document.pages[0].anchors[name] = (0, 0, 0, 0)


def _cache_key(html: str, variant: str | None = None, images: str = "") -> str:
    """A chunk's identity: its HTML (styles inlined), the bytes of the images it names, the tools."""
    from ...stamps import current_versions

    versions = json.dumps(current_versions(), sort_keys=True)
    text = f"{CHUNK_CACHE_VERSION}\n{variant}\n{versions}\n{images}\n{html}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _image_digest(publication, project, articles) -> str:
    """The HTML names images by path; their bytes decide the layout too."""
    digest = hashlib.sha256()
    for index in articles:
        for image in publication.articles[index].images:
            digest.update(image.src.encode("utf-8"))
            digest.update(hashlib.sha256(read_bytes(project.root / image.src)).digest())
    return digest.hexdigest()


def _cached(cache_dir: Path | None, key: str) -> ChunkResult | None:
    if cache_dir is None:
        return None
    try:
        meta = json.loads((cache_dir / f"{key}.json").read_text(encoding="utf-8"))
        pdf = (cache_dir / f"{key}.pdf").read_bytes()
        return ChunkResult(
            pdf=pdf,
            pages=meta["pages"],
            anchors=meta["anchors"],
            page_starts=meta["page_starts"],
            strings=meta["strings"],
            furniture=meta["furniture"],
            numbers=meta["numbers"],
        )
    except (OSError, ValueError, KeyError, TypeError):  # missing or damaged
        return None


def _store(cache_dir: Path | None, key: str, result: ChunkResult) -> None:
    if cache_dir is None:
        return
    from ...output import atomic_write

    atomic_write(cache_dir / f"{key}.pdf", result.pdf)
    meta = {
        "pages": result.pages,
        "anchors": result.anchors,
        "page_starts": result.page_starts,
        "strings": result.strings,
        "furniture": result.furniture,
        "numbers": result.numbers,
    }
    atomic_write(cache_dir / f"{key}.json", json.dumps(meta).encode("utf-8"))


def prune_cache(cache_dir: Path, keep: set[str]) -> None:
    """Remove cached chunks no longer part of the publication."""
    if not cache_dir.is_dir():
        return
    for path in cache_dir.glob("*.*"):
        if path.stem not in keep:
            path.unlink(missing_ok=True)


def merge_pdfs(
    chunks: list[ChunkResult], furniture: StampedFurniture | DrawnFurniture, numbers: DrawnNumbers | None = None
) -> bytes:
    """Concatenate the chunk PDFs, merging structure, destinations and outlines; draw the
    contents' page numbers, when they are left to draw; add the page furniture."""
    import pikepdf

    documents = [chunk.opened() for chunk in chunks]
    merged = documents[0]
    # A chunk's destinations for anchors it does not hold are stand-ins (see
    # _keep_links_to_other_chunks): only the chunk that lays an anchor out names it.
    names = [(name, dest) for name, dest in _named_destinations(merged) if str(name) in chunks[0].anchors]
    moved_names = []  # (name, merged page index, the rest of the destination)
    outline = [_outline_entries(merged, 0)]
    parent_tree = _ParentTree(merged)
    for chunk, document in zip(chunks[1:], documents[1:]):
        start = len(merged.pages)
        page_index = {page.objgen: index for index, page in enumerate(document.pages)}
        _detach_structure(document)
        with python_warnings.catch_warnings():  # the named destinations are merged below
            python_warnings.simplefilter("ignore", pikepdf.exceptions.PageCopyWarning)
            merged.pages.extend(document.pages)
        parent_tree.append(document, start)
        for name, dest in _named_destinations(document):
            index = page_index.get(dest[0].objgen)
            if index is not None and str(name) in chunk.anchors:
                moved_names.append((name, start + index, list(dest)[1:]))
        outline.append(_outline_entries(document, start))
    # pikepdf finds the page at an index in time proportional to the page count: look pages up
    # in one list from here on
    pages = list(merged.pages)
    parent_tree.write(pages)
    names.extend((name, pikepdf.Array([pages[index].obj, *rest])) for name, index, rest in moved_names)
    _write_named_destinations(merged, names)
    _write_outline(merged, pages, [entry for entries in outline for entry in entries])
    if numbers is not None:
        numbers.apply(merged, pages)
    furniture.apply(merged, pages)
    out = io.BytesIO()
    merged.save(out, deterministic_id=True, compress_streams=True, object_stream_mode=pikepdf.ObjectStreamMode.generate)
    return out.getvalue()


def _structure_root(document):
    root = document.Root.get("/StructTreeRoot")
    if root is None:
        return None, None
    kids = root.K if isinstance(root.K, pikepdf_array()) else [root.K]
    return root, kids[0]


def pikepdf_array():
    import pikepdf

    return pikepdf.Array


def _detach_structure(document) -> None:
    """Cut the chunk's top elements loose from its root, so copying them copies no more."""
    root, top = _structure_root(document)
    if root is None:
        return
    for kid in top.K:
        if hasattr(kid, "keys") and "/P" in kid:
            del kid["/P"]


class _ParentTree:
    """The merged document's parent tree (marked content → structure element), built chunk by
    chunk and written once at the end: rewriting it after every chunk made merging quadratic."""

    def __init__(self, merged):
        self.merged = merged
        self.root, self.top = _structure_root(merged)
        nums = list(self.root.ParentTree.Nums) if self.root is not None else []
        self.pairs = [(int(nums[i]), nums[i + 1]) for i in range(0, len(nums), 2)]
        self.next_key = max((key + 1 for key, _value in self.pairs), default=0)
        self.renumbered: list[tuple[int, int, int]] = []  # (first page, end, key offset) of each chunk

    def append(self, document, start) -> None:
        """Move a chunk's tagged content under the merged structure tree.

        The chunk's pages were copied already, so the structure elements copied here point at
        the merged pages; its parent-tree keys are renumbered after the merged ones.
        """
        merged = self.merged
        chunk_root, chunk_top = _structure_root(document)
        if self.root is None or chunk_root is None:
            return
        offset = self.next_key
        for kid in chunk_top.K:
            copied = merged.copy_foreign(kid) if kid.is_indirect else kid
            copied.P = self.top
            self.top.K.append(copied)
        # one copy of the whole array: QPDF follows its references in one go, item by item from
        # Python took a sixth of the merge
        chunk_nums = chunk_root.ParentTree.Nums
        chunk_nums = merged.copy_foreign(chunk_nums if chunk_nums.is_indirect else document.make_indirect(chunk_nums))
        added = [(int(chunk_nums[i]) + offset, chunk_nums[i + 1]) for i in range(0, len(chunk_nums), 2)]
        self.pairs.extend(added)
        self.next_key = max([self.next_key] + [key + 1 for key, _value in added])
        self.renumbered.append((start, len(merged.pages), offset))

    def write(self, pages) -> None:
        """Renumber the merged pages' references into the tree (`pages`: the merged pages, in order)
        and write the tree."""
        import pikepdf

        if self.root is None:
            return
        for start, end, offset in self.renumbered:
            for page in pages[start:end]:
                if "/StructParents" in page.obj:
                    page.obj.StructParents = int(page.obj.StructParents) + offset
                for annotation in page.obj.get("/Annots", []):
                    if "/StructParent" in annotation:
                        annotation.StructParent = int(annotation.StructParent) + offset
        pairs = sorted(self.pairs, key=lambda pair: pair[0])
        self.root.ParentTree.Nums = pikepdf.Array([item for pair in pairs for item in pair])
        if "/ParentTreeNextKey" in self.root:
            self.root.ParentTreeNextKey = pairs[-1][0] + 1 if pairs else 0


def _named_destinations(document):
    import pikepdf

    names = document.Root.get("/Names")
    dests = names.get("/Dests") if names is not None else None
    if dests is None:
        return []
    tree = pikepdf.NameTree(dests)
    return list(tree.items())


def _write_named_destinations(merged, names):
    import pikepdf

    unique = {}
    for name, dest in names:
        unique.setdefault(str(name), dest)
    array = pikepdf.Array()
    for name in sorted(unique):
        array.append(pikepdf.String(name))
        array.append(unique[name])
    if "/Names" not in merged.Root:
        merged.Root.Names = pikepdf.Dictionary()
    merged.Root.Names.Dests = merged.make_indirect(pikepdf.Dictionary(Names=array))


def _outline_entries(document, start):
    """The outline of one chunk as (title, merged page index, top, children)."""
    with document.open_outline() as outline:
        return [_entry(item, document, start) for item in outline.root]


def _entry(item, document, start):
    page_index, top = _destination(item, document)
    return (
        item.title,
        start + page_index if page_index is not None else None,
        top,
        [_entry(child, document, start) for child in item.children],
    )


def _destination(item, document):
    dest = item.destination
    if dest is None and item.action is not None:
        dest = item.action.get("/D")
    try:
        page = dest[0]
        top = float(dest[3]) if len(dest) > 3 else None
    except (TypeError, IndexError, KeyError):
        return None, None
    for index, candidate in enumerate(document.pages):
        if candidate.objgen == page.objgen:
            return index, top
    return None, None


def _write_outline(merged, pages, entries):
    import pikepdf

    def build(entry):
        title, page, top, children = entry
        # the destination pikepdf would make from the page index, without looking the index up
        destination = pikepdf.Array(
            [pages[page if page is not None else 0].obj, pikepdf.Name.XYZ, 0, top if top is not None else 0, 0]
        )
        item = pikepdf.OutlineItem(title, destination)
        item.children.extend(build(child) for child in children)
        return item

    with merged.open_outline() as outline:
        outline.root.clear()
        outline.root.extend(build(entry) for entry in entries)


__all__ = ["can_chunk", "plan_chunks", "layout_chunked", "merge_pdfs", "prune_cache", "ChunkedLayout"]
