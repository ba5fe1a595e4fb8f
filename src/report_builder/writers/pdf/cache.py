"""The chunk cache: each chunk's PDF and what was read off it, by the hash of what decides its layout.

After an edit only the chunk holding the edited article is laid out again. Page numbers are
added after the merge, so a chunk never depends on where it starts, and a change of page count
invalidates no layout at all.

A chunk also records the project files its layout fetched (images, and fonts a project
stylesheet names, whose bytes its key does not cover): it is used again only while each of
them has the bytes it was laid out from, and they are then inputs of the build like any read.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, is_dataclass
from pathlib import Path

from ...readlog import read_bytes
from .contents import ContentsNumbers, NumberPlace, NumberPlaces
from .furniture import DrawnLook, Fit, Furniture, LaidOut, Part, TextLine
from .workers import ChunkResult

#: the format of the cached files: a change of what is stored changes it, and every key with it
CHUNK_CACHE_VERSION = "12"


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


def cover_digest(config, project) -> str:
    """The cover's image and logo (report.yaml `cover:`) by their bytes: "" when it has neither."""
    named = [path for path in (config.cover.image, config.cover.logo) if path]
    if not named:
        return ""
    digest = hashlib.sha256()
    for path in named:
        digest.update(path.encode("utf-8"))
        digest.update(hashlib.sha256(read_bytes(project.root / path)).digest())
    return digest.hexdigest()


def load_cached(cache_dir: Path | None, key: str, root: Path) -> ChunkResult | None:
    """The chunk stored under `key`; None when it is missing, damaged or of another format, or
    when a project file it was laid out from (under `root`) changed since."""
    if cache_dir is None:
        return None
    try:
        meta = json.loads((cache_dir / f"{key}.json").read_text(encoding="utf-8"))
        pdf = (cache_dir / f"{key}.pdf").read_bytes()
        if meta["format"] != CHUNK_CACHE_VERSION:
            return None
        fetched = _still_fetched(root, meta["fetched"])
        if fetched is None:
            return None
        return ChunkResult(
            pdf=pdf,
            pages=int(meta["pages"]),
            anchors={str(name): int(page) for name, page in meta["anchors"].items()},
            page_starts=meta["page_starts"],
            strings=meta["strings"],
            wide=meta["wide"],
            blank=meta["blank"],
            furniture=_furniture(meta["furniture"]),
            numbers=_numbers(meta["numbers"]),
            fetched=fetched,
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError):  # missing or damaged
        return None


def _still_fetched(root: Path, recorded: dict[str, str]) -> dict[str, str] | None:
    """The files a cached chunk fetched (by path relative to `root`) → their digests, each read as
    the build reads it; None when one of them has other bytes now, or is gone."""
    from ...images import MAX_RESOURCE_BYTES

    fetched = {}
    for name, digest in recorded.items():
        path = (root / name).resolve()
        if root.resolve() not in path.parents:
            return None
        try:
            data = read_bytes(path, MAX_RESOURCE_BYTES)
        except OSError:
            return None
        if hashlib.sha256(data).hexdigest() != digest:
            return None
        fetched[str(path)] = digest
    return fetched


def store_cached(cache_dir: Path | None, key: str, result: ChunkResult, root: Path) -> None:
    """Store `result` under `key`, with the project files (under `root`) its layout fetched."""
    if cache_dir is None:
        return
    from ...output import atomic_write

    inside = root.resolve()
    fetched = {Path(path).relative_to(inside).as_posix(): digest for path, digest in result.fetched.items()}

    atomic_write(cache_dir / f"{key}.pdf", result.pdf)
    meta = {
        "format": CHUNK_CACHE_VERSION,
        "pages": result.pages,
        "anchors": result.anchors,
        "page_starts": result.page_starts,
        "strings": result.strings,
        "wide": result.wide,
        "blank": result.blank,
        "furniture": _tagged(result.furniture),
        "numbers": _tagged(result.numbers),
        "fetched": dict(sorted(fetched.items())),
    }
    atomic_write(cache_dir / f"{key}.json", json.dumps(meta).encode("utf-8"))


def _tagged(value: object) -> dict | None:
    """A dataclass as JSON, its class named (the decoders below read it back)."""
    if value is None:
        return None
    assert is_dataclass(value) and not isinstance(value, type)
    return {"type": type(value).__name__, **asdict(value)}


def _furniture(data: dict | None) -> Furniture | None:
    if data is None:
        return None
    if data["type"] == "LaidOut":
        return LaidOut(str(data["why"]))
    if data["type"] != "DrawnLook":
        raise ValueError(data["type"])
    width, height = data["page"]
    return DrawnLook(
        head=data["head"],
        foot=data["foot"],
        running=_line(data["running"]),
        footer=_line(data["footer"]),
        page=(float(width), float(height)),
    )


def _line(data: dict | None) -> TextLine | None:
    if data is None:
        return None
    fit = data["fit"]
    return TextLine(
        **{
            **data,
            "parts": tuple(Part(**part) for part in data["parts"]),
            "color": _color(data["color"]),
            "fit": None if fit is None else Fit(**fit),
        }
    )


def _numbers(data: dict | None) -> ContentsNumbers | None:
    if data is None:
        return None
    if data["type"] == "LaidOut":
        return LaidOut(str(data["why"]))
    if data["type"] != "NumberPlaces":
        raise ValueError(data["type"])
    return NumberPlaces(
        tuple(
            NumberPlace(
                **{
                    **entry,
                    "color": _color(entry["color"]),
                    "features": tuple((str(tag), int(value)) for tag, value in entry["features"]),
                }
            )
            for entry in data["entries"]
        )
    )


def _color(values: list) -> tuple[float, float, float]:
    red, green, blue = values
    return (red, green, blue)


def prune_cache(cache_dir: Path, keep: set[str]) -> None:
    """Remove cached chunks no longer part of the publication."""
    if not cache_dir.is_dir():
        return
    for path in cache_dir.glob("*.*"):
        if path.stem not in keep:
            path.unlink(missing_ok=True)
