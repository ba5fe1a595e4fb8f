"""Parallel PDF layout: articles laid out in chunks by worker processes, then merged.

WeasyPrint lays out one document on one core. A briefing splits naturally at article
boundaries (each article starts a page), so chunks of articles are laid out at the same
time and merged with pikepdf. What a single render gets from seeing the whole document is
restored after the merge:

- the page furniture (running heads, marking, "Page X of Y") is left out of the chunks and
  drawn on the merged pages where a sample in the same page style shows a single layout puts
  it (see furniture.py);
- the contents is laid out first, its page numbers hidden stand-ins, and the real numbers are
  drawn in their place after the merge (see contents.py); so are the page numbers printed after
  cross-references, "(p. N)", read from the chunks that have some;
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

from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field, replace
from pathlib import Path

from ...errors import Diagnostic
from ...fonts import PrintFonts, font_face_css
from ...render import PrintPart, render_document
from .cache import cache_key, cover_digest, image_digest, load_cached, prune_cache, store_cached
from .contents import HIDDEN_NUMBERS_CSS, HIDDEN_PAGE_REFERENCES_CSS, STAND_IN, DrawnNumbers, NumberPlace, NumberPlaces
from .furniture import (
    DrawnFurniture,
    DrawnLook,
    LaidOut,
    StampedFurniture,
    checked,
    drawable_heads,
    furniture_html,
    sample_html,
)
from .merge import merge_pdfs
from .plan import chunk_parts
from .workers import (
    ChunkResult,
    LayoutWorkers,
    lay_out_chunk,
    lay_out_front,
    lay_out_furniture,
    lay_out_furniture_sample,
)


@dataclass
class ChunkedLayout:
    """The merged PDF and what the EPUB page-list needs, like a single Layout provides (both
    are a PrintLayout)."""

    pdf: bytes
    page_count: int
    anchors: dict[str, int]  # element id → page index in the merged PDF
    page_starts: list
    warnings: list[Diagnostic] = field(default_factory=list)
    laid_out: int = 0  # layouts of chunks in this build
    chunks_laid_out: int = 0  # chunks laid out in this build (the rest came from the cache)
    notes: list[str] = field(default_factory=list)  # how it was made, for --verbose
    fetched: dict[str, str] = field(default_factory=dict)  # project file → sha256 of the bytes laid out

    def cover_pdf(self) -> bytes:
        """A PDF whose first page is the cover: the merged one."""
        return self.pdf


def layout_chunked(
    publication,
    project,
    jobs: int,
    cache_dir: Path | None,
    print_fonts: PrintFonts | None,
    workers: LayoutWorkers,
    meanwhile: Callable[[], None] | None = None,
    before_articles: Callable[[tuple[int, ...] | None], None] | None = None,
) -> ChunkedLayout:
    """Lay the publication out in chunks on `workers` (see LayoutWorkers; the caller shuts them down).

    `meanwhile` runs in this process once every chunk is handed to the workers, which it would
    otherwise only wait for (the build renders the EPUB's pages there). Once the cover, contents
    and furniture sample are handed to them, `before_articles(part.articles)` runs before each
    chunk is rendered, and `before_articles(None)` after the last (the build draws its charts
    there, while the workers lay out what is handed to them).
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
        return html, cache_key(html, variant, cover_digest(config, project))

    def chunk(part: PrintPart) -> tuple[str, str]:
        extra = fonts + ([("page-references.css", HIDDEN_PAGE_REFERENCES_CSS)] if part.xref_stand_ins else [])
        html = render_document(publication, project, "pdf", extra, part)
        return html, cache_key(html, variant, image_digest(publication, project, part.articles))

    work = _Jobs(workers, cache_dir, str(project.root), config.identifier, variant, print_fonts.directory)
    sides = _Sides(config.pdf.duplex, config.pdf.starts_right, print_fonts)
    # How the page furniture looks, from samples in the page style (two-sided pages lay theirs
    # out); the cover and the contents, its page numbers left to draw after the merge (see contents.py).
    sample_job = (
        None
        if sides.duplex
        else work.furniture_sample(sample_html(publication, project, print_fonts.css), print_fonts.faces)
    )
    stand_ins = tuple((heading_id, STAND_IN) for heading_id in _toc_ids(publication))
    front_job = work.front(*contents(stand_ins, hidden_numbers=True), print_fonts.faces)
    documents: list[tuple[str, str]] = []
    cached: list[ChunkResult | None] = []
    chunk_jobs: dict[int, tuple[str, ChunkResult | Future]] = {}
    for i, part in enumerate(parts):
        if before_articles is not None and part.articles:
            before_articles(part.articles)
        documents.append(chunk(part))
        cached.append(load_cached(cache_dir, documents[i][1], project.root))
        if cached[i] is None and work.idle():  # no worker waits for the rest to be rendered (an edit)
            chunk_jobs[i] = work.layout(*documents[i], faces=_faces_for(documents[i][0], print_fonts))
    if before_articles is not None:
        before_articles(None)
    work.keys.update(key for _html, key in documents)
    stale = [i for i, found in enumerate(cached) if found is None]
    # The rest the largest first, so the last to finish are short and no core waits long; where
    # the stand-in page numbers of cross-references are is read from the chunks that have some.
    for i in sorted((i for i in stale if i not in chunk_jobs), key=lambda i: len(documents[i][0]), reverse=True):
        chunk_jobs[i] = work.layout(*documents[i], faces=_faces_for(documents[i][0], print_fonts))
    if meanwhile is not None:
        meanwhile()
    for found in cached:
        if found is not None:
            found.opened  # noqa: B018 - opened now, while the workers lay out the rest
    front = work.finish(front_job)
    for i in chunk_jobs:  # in the order they were handed out
        cached[i] = laid_out_now = work.finish(chunk_jobs[i])
        laid_out_now.opened  # noqa: B018
    results = [result for result in cached if result is not None]
    assert len(results) == len(documents), "every chunk laid out or found in the cache"
    parts, results = sides.settled(work, chunk, parts, front, results)
    anchors, total = _merged_anchors(front, sides.padded(front, results))
    why = _undrawable_references(results, anchors)
    if why:
        notes.append(f"pdf: cross-references' page numbers laid out, not drawn: {why}")
        parts, results = _numbered_references(work, chunk, parts, front, results, anchors, sides)
        anchors, total = _merged_anchors(front, sides.padded(front, results))
    entries: list[NumberPlace] = []
    if publication.show_toc() and isinstance(front.numbers, NumberPlaces):
        entries.extend(front.numbers.entries)
    elif publication.show_toc():
        why = front.numbers.why if isinstance(front.numbers, LaidOut) else "not read"
        notes.append(f"pdf: contents page numbers laid out, not drawn: {why}")
        front, anchors, total = _numbered_contents(work, contents, front, lambda f: sides.padded(f, results), stand_ins)
        # the contents' length moves every chunk: each is laid out again if it now starts on the other side
        parts, results = sides.settled(work, chunk, parts, front, results)
        anchors, total = _merged_anchors(front, sides.padded(front, results))
    results = sides.padded(front, results)
    if sides.relaid:
        notes.append(f"pdf: {len(sides.relaid)} chunk(s) laid out again, starting on the other side of the sheet")
    entries.extend(_reference_entries(front, results))
    numbers = DrawnNumbers(tuple(entries), anchors) if entries else None
    sample = None if sample_job is None else work.finish(sample_job)
    furnished = _furnished(publication, project, print_fonts, work, front, results, total, notes, sample)
    laid_out = sum(isinstance(job, Future) for _key, job in chunk_jobs.values())
    if cache_dir is not None:
        prune_cache(cache_dir, work.keys)
    merged = merge_pdfs([front] + results, furnished, numbers, config)
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


def _numbered_contents(work, contents, front, chunks, stand_ins):
    """The contents laid out again with its page numbers, until its length settles (at once, in
    practice: the numbers are positioned out of the flow). `chunks(front)` are the chunks after
    that front (two-sided: with the blank pages its length puts before them). Returns it, the
    anchors and the page count."""
    anchors, total = _merged_anchors(front, chunks(front))
    for _round in range(3):
        toc_pages = tuple((i, anchors[i] + 1) for i, _ in stand_ins if i in anchors)
        numbered = work.finish(work.layout(*contents(toc_pages)))
        settled = numbered.pages == front.pages
        front = numbered
        anchors, total = _merged_anchors(front, chunks(front))
        if settled:
            break
    return front, anchors, total


def _faces_for(html: str, print_fonts: PrintFonts):
    """The print faces when a chunk has cross-references' page numbers to read, else None."""
    return print_fonts.faces if 'class="page-number"' in html else None


def _undrawable_references(results: list[ChunkResult], anchors: dict[str, int]) -> str:
    """Why the page numbers of cross-references cannot be drawn over their stand-ins ('' when they can)."""
    for result in results:
        if isinstance(result.numbers, LaidOut):
            return result.numbers.why
        for entry in result.numbers.entries if isinstance(result.numbers, NumberPlaces) else ():
            page = anchors.get(entry.anchor)
            if page is not None and len(str(page + 1)) > entry.digits:
                return f"page {page + 1} has more figures than the {entry.digits} set for it"
    return ""


def _reference_entries(front: ChunkResult, results: list[ChunkResult]) -> list[NumberPlace]:
    """The cross-references' numbers to draw, on the pages of the merged PDF."""
    entries: list[NumberPlace] = []
    start = front.pages
    for result in results:
        if isinstance(result.numbers, NumberPlaces):
            entries.extend(replace(entry, page=start + entry.page) for entry in result.numbers.entries)
        start += result.pages
    return entries


def _numbered_references(work, chunk, parts, front, results, anchors, sides) -> tuple[list, list[ChunkResult]]:
    """The chunks laid out again with their cross-references' page numbers, wide enough for them,
    until the page numbers settle. Returns the chunks' parts and layouts."""
    digits = max([len(str(page + 1)) for page in anchors.values()] + [1])
    for _round in range(3):
        pages = tuple(sorted((ident, page + 1) for ident, page in anchors.items()))
        laid = [replace(part, xref_stand_ins=False, xref_pages=pages, page_digits=digits) for part in parts]
        numbered = [work.finish(work.layout(*chunk(part))) for part in laid]
        parts, results = sides.settled(work, chunk, laid, front, numbered)
        moved, _total = _merged_anchors(front, sides.padded(front, results))
        settled = moved == anchors
        anchors = moved
        if settled:
            break
    return parts, results


def _furnished(publication, project, print_fonts, work, front, results, total, notes, sample):
    """The page furniture drawn onto the merged pages, or else a document of it laid out (always
    for two-sided pages, whose furniture changes sides and leaves blank pages out)."""
    strings = [page for result in [front] + results for page in result.strings]
    if sample is None:
        why = "two-sided pages"
    else:
        furniture = checked(sample.furniture)
        heads, why = drawable_heads(furniture, strings)
        if heads is not None and isinstance(furniture, DrawnLook):
            return DrawnFurniture(furniture, sample.pdf, heads, total, strings)
    notes.append(f"pdf: page furniture laid out, not drawn: {why}")
    wide: set[int] = set()
    blank: set[int] = set()
    start = 0
    for result in [front, *results]:
        wide.update(start + index for index in result.wide)
        blank.update(start + index for index in result.blank)
        start += result.pages
    html = furniture_html(publication, project, print_fonts.css, strings, wide=wide, blank=blank)
    return StampedFurniture(work.finish(work.furniture(html)).pdf)


@dataclass(frozen=True)
class _Sides:
    """Two-sided printing in chunks: on which side each chunk's first page falls.

    A chunk is laid out on its own, its first page a recto (right-hand) unless its part says
    `first_verso`. An article that must start on a recto (the first one; every one, and the
    sources, with pdf.chapter_start: right) gets a blank page before it when the pages before
    end on a recto: the merge adds it, as WeasyPrint adds one in a single layout. Otherwise a
    chunk that falls on a verso is laid out again as one (settled): with `chapter_start: any`,
    a chunk's side is known only once the chunks before it are laid out. Simplex: no change.
    """

    duplex: bool
    starts_right: bool
    print_fonts: PrintFonts
    relaid: list[int] = field(default_factory=list)  # the chunks laid out again on the other side

    def starts(self, front: ChunkResult, results: list[ChunkResult]) -> list[tuple[bool, bool]]:
        """For each chunk: whether a blank page goes before it, and whether its first page is a verso."""
        found, total = [], front.pages
        for index, result in enumerate(results):
            verso = total % 2 == 1  # page total + 1 is even
            blank = verso and (index == 0 or self.starts_right)  # the first chunk holds the first article
            found.append((blank, verso and not blank))
            total += result.pages + blank
        return found

    def settled(self, work, chunk, parts, front, results) -> tuple[list, list[ChunkResult]]:
        """The chunks laid out again, at once, on the side they fall on, until every one does."""
        if not self.duplex:
            return parts, results
        parts, results = list(parts), list(results)
        for _round in range(len(parts)):
            wrong = [i for i, (_, verso) in enumerate(self.starts(front, results)) if parts[i].first_verso != verso]
            if not wrong:
                break
            jobs = {}
            for i in wrong:
                parts[i] = replace(parts[i], first_verso=not parts[i].first_verso)
                html, key = chunk(parts[i])
                faces = _faces_for(html, self.print_fonts) if parts[i].xref_stand_ins else None
                jobs[i] = work.layout(html, key, faces=faces)
            for i in wrong:
                results[i] = work.finish(jobs[i])
            self.relaid.extend(wrong)
        return parts, results

    def padded(self, front: ChunkResult, results: list[ChunkResult]) -> list[ChunkResult]:
        """The chunks, each with the blank page the merge puts before it, if any."""
        if not self.duplex:
            return results
        return [r.after_blank_page() if blank else r for r, (blank, _) in zip(results, self.starts(front, results))]


@dataclass
class _Jobs:
    """Layouts in the worker pool, each looked up in the chunk cache first and stored after."""

    pool: LayoutWorkers
    cache_dir: Path | None
    root: str
    identifier: str
    variant: str | None
    fonts_dir: Path | None
    keys: set[str] = field(default_factory=set)  # every key this build used: the cache keeps them
    started: list[Future] = field(default_factory=list)  # the layouts handed to the workers

    def layout(self, html: str, key: str, faces=None) -> tuple[str, ChunkResult | Future]:
        """A chunk; with `faces`, also where its cross-references' stand-in page numbers go."""
        return self._start(key, lay_out_chunk, self.root, html, self.identifier, self.variant, self.fonts_dir, faces)

    def front(self, html: str, key: str, faces) -> tuple[str, ChunkResult | Future]:
        """The cover and the contents, with where its page numbers go (see contents.py)."""
        return self._start(key, lay_out_front, self.root, html, self.identifier, self.variant, self.fonts_dir, faces)

    def furniture(self, html: str) -> tuple[str, ChunkResult | Future]:
        return self._start(cache_key(html), lay_out_furniture, self.root, html, self.identifier, self.fonts_dir)

    def furniture_sample(self, html: str, faces) -> tuple[str, ChunkResult | Future]:
        # the HTML's @font-face rules name every face file, so the key covers `faces` too
        return self._start(
            cache_key(html), lay_out_furniture_sample, self.root, html, self.identifier, self.fonts_dir, faces
        )

    def idle(self) -> bool:
        """Whether a worker has nothing to lay out (the jobs handed to it are done)."""
        return sum(not job.done() for job in self.started) < self.pool.size

    def _start(self, key, worker, *args):
        self.keys.add(key)
        cached = load_cached(self.cache_dir, key, Path(self.root))
        if cached is not None:
            return key, cached
        job = self.pool.submit(worker, *args)
        self.started.append(job)
        return key, job

    def finish(self, job: tuple[str, ChunkResult | Future]) -> ChunkResult:
        key, started = job
        if isinstance(started, ChunkResult):
            return started
        result = started.result()
        store_cached(self.cache_dir, key, result, Path(self.root))
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
