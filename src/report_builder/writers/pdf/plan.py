"""Chunk planning: which articles a chunk of the print layout holds, from the articles alone.

Which articles make a chunk depends on the articles alone (plan_chunks), never on the worker
count or on earlier builds: one worker lays the same chunks out one after another, and the
merged PDF is byte-identical for any -j, cached or not.
"""

from __future__ import annotations

import hashlib

from ...render import PrintPart
from . import weasy

#: smaller chunks balance better and cache finer (an edit lays out one chunk again), more cost
#: more: each is rendered, laid out and merged on its own and embeds its own font subsets.
#: Measured on the 100-article bench book (a full PDF and EPUB build, and the build after one
#: article is edited, medians of 3): 18 chunks of up to 10 articles 13.3 s and 3.9 s, 24 of up
#: to 6 13.3 s and 2.7 s, 30 of up to 5 13.2 s and 2.6 s, with 4 % more CPU.
MAX_ARTICLES_PER_CHUNK = 6
MIN_ARTICLES_PER_CHUNK = 3
#: past the minimum, one article in this many ends a chunk (chosen by the hash of its name)
ARTICLES_BETWEEN_CUTS = 4
#: below this many articles the book is cut into four chunks of equal count instead
SMALL_PUBLICATION = 32


def can_chunk(articles: int) -> bool:
    """Chunk when there are articles to split, whatever the worker count (the PDF's bytes must
    not depend on it; one worker lays the chunks out one after another).

    Every book is chunked, two-sided (duplex) ones too (see chunked._Sides), and the merged file
    keeps its PDF/A and PDF/UA conformance (conformance.py); a book is laid out in one process
    when WeasyPrint is not of the tested series: the merge needs its internals (weasy.py).
    """
    return articles > 1 and weasy.internals_supported()


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


def chunk_parts(publication, jobs: int | None = None) -> list[PrintPart]:
    """The chunks to lay out: groups of articles (see plan_chunks), then the sources alone."""
    parts = [
        PrintPart(articles=group, cover=False, toc=False, sources=False, margin_boxes=False, xref_stand_ins=True)
        for group in plan_chunks(publication)
    ]
    if publication.sources:
        parts.append(PrintPart(articles=(), cover=False, toc=False, sources=True, margin_boxes=False))
    return parts
