"""The chunk cache: each chunk's PDF and what was read off it, by the hash of what decides its layout.

After an edit only the chunk holding the edited article is laid out again. Page numbers are
added after the merge, so a chunk never depends on where it starts, and a change of page count
invalidates no layout at all.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from ...readlog import read_bytes
from .workers import ChunkResult

#: the format of the cached files: a change of what is stored changes it, and every key with it
CHUNK_CACHE_VERSION = "6"


def cache_key(html: str, variant: str | None = None, images: str = "") -> str:
    """A chunk's identity: its HTML (styles inlined), the bytes of the images it names, the tools."""
    from ...stamps import current_versions

    versions = json.dumps(current_versions(), sort_keys=True)
    text = f"{CHUNK_CACHE_VERSION}\n{variant}\n{versions}\n{images}\n{html}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def image_digest(publication, project, articles) -> str:
    """The HTML names images by path; their bytes decide the layout too."""
    digest = hashlib.sha256()
    for index in articles:
        for image in publication.articles[index].images:
            digest.update(image.src.encode("utf-8"))
            digest.update(hashlib.sha256(read_bytes(project.root / image.src)).digest())
    return digest.hexdigest()


def load_cached(cache_dir: Path | None, key: str) -> ChunkResult | None:
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


def store_cached(cache_dir: Path | None, key: str, result: ChunkResult) -> None:
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
