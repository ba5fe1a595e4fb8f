"""Image limits, checked from headers and markup before any renderer draws the image.

A raster image is measured from its header (Pillow decodes nothing to report its size). An SVG
is parsed and its drawing cost counted: every element once, each `<use>` as the elements it
copies, each `<image>` as the SVG it draws or the raster it places (whose pixels must be under
the limit too), data: URIs included (of a raster one, only the header is decoded). WeasyPrint draws a `<use>`
by copying its target, so a chain of groups of `<use>` costs exponential time (10⁵ copies took
30 s to draw); the element limit stops it before it is drawn.
"""

from __future__ import annotations

import base64
import binascii
import io
import struct
import threading
from collections.abc import Callable
from pathlib import Path
from urllib.parse import unquote_to_bytes, urljoin, urlsplit
from xml.etree import ElementTree

MAX_RESOURCE_BYTES = 20 * 1024 * 1024  # one file WeasyPrint may load
MAX_IMAGE_PIXELS = 50_000_000  # a decompression bomb stops here, before any renderer opens it
MAX_SVG_ELEMENTS = 100_000  # elements one SVG draws, <use> copies and nested SVG images included
MAX_SVG_NESTING = 8  # SVG images inside SVG images
MAX_SVG_DEPTH = 200  # levels of elements and <use> references, below Python's recursion limit
_HEADER_BYTES = 256 * 1024  # of a data: URI, enough for any image header Pillow reads
_XLINK = "{http://www.w3.org/1999/xlink}href"

#: reads the bytes at an address (a file: or data: URL); raises ImageRefused when it may not
Reader = Callable[[str], bytes]


class ImageRefused(Exception):
    """An image over a limit, or one that refers to something that may not be read."""


_PILLOW_LIMIT = threading.Lock()


def raster_pixels(handle) -> int | None:
    """Width × height from a raster image's header, without decoding it; None when unreadable."""
    from PIL import Image as PILImage

    with _PILLOW_LIMIT:
        # Pillow refuses to even open an image twice its own limit; we want the real size to
        # report it against ours, and reading the header decodes nothing.
        previous, PILImage.MAX_IMAGE_PIXELS = PILImage.MAX_IMAGE_PIXELS, None
        try:
            with PILImage.open(handle) as picture:
                width, height = picture.size
        except (OSError, ValueError, SyntaxError, EOFError, IndexError, TypeError, KeyError, struct.error):
            return None  # Pillow's header parsers trust their input in places
        finally:
            PILImage.MAX_IMAGE_PIXELS = previous
    return width * height


def is_svg(data: bytes, name: str = "") -> bool:
    if name.lower().endswith(".svg"):
        return True
    head = data[:1024].lstrip().lower()
    return head.startswith(b"<svg") or (head.startswith(b"<?xml") and b"<svg" in data[:4096].lower())


def check_image(data: bytes, url: str, shown: str, read: Reader, depth: int = 0) -> int:
    """The drawing cost of an image (1 for a raster); raises ImageRefused over a limit.

    `shown` names the image in messages; `read` fetches what an SVG refers to. Like WeasyPrint,
    bytes Pillow cannot open are tried as SVG, whatever their name.
    """
    if not is_svg(data, urlsplit(url).path):
        pixels = raster_pixels(io.BytesIO(data))
        if pixels is not None:
            _check_pixels(pixels, shown)
            return 1
    return _svg_cost(data, url, shown, read, depth)


def _check_pixels(pixels: int, shown: str) -> None:
    if pixels > MAX_IMAGE_PIXELS:
        raise ImageRefused(f"image '{shown}' has {pixels:,} pixels; the limit is {MAX_IMAGE_PIXELS:,}")


def data_url_header(url: str) -> bytes:
    """The first bytes of a data: URI's content, decoding no more than an image header needs."""
    meta, _, payload = urlsplit(url)._replace(scheme="").geturl().partition(",")
    payload = payload[: _HEADER_BYTES * 2]
    if meta.lower().endswith(";base64"):
        text = unquote_to_bytes(payload).translate(None, b" \t\r\n")
        text = text[: len(text) // 4 * 4]
        try:
            return base64.b64decode(text[: _HEADER_BYTES // 3 * 4])
        except binascii.Error:
            return b""
    return unquote_to_bytes(payload)[:_HEADER_BYTES]


def _svg_cost(data, url, shown, read, depth):
    try:
        root = ElementTree.fromstring(data)
    except ElementTree.ParseError:
        return 1  # WeasyPrint reports what it cannot parse
    ids = {element.get("id"): element for element in root.iter() if element.get("id")}
    costs: dict[int, int] = {}
    nested = _NestedImages(url, shown, read, depth)

    def cost(element, active, level):
        key = id(element)
        if key in costs:
            return costs[key]
        if key in active:  # WeasyPrint draws a cyclic <use> once
            return 0
        if level > MAX_SVG_DEPTH:
            raise ImageRefused(
                f"image '{shown}' nests SVG elements and <use> references more than {MAX_SVG_DEPTH} levels deep"
            )
        active.add(key)
        total = 1 + sum(cost(child, active, level + 1) for child in element)
        tag = element.tag.rsplit("}", 1)[-1] if isinstance(element.tag, str) else ""
        href = element.get("href") or element.get(_XLINK)
        if tag == "use" and href and href.startswith("#") and href[1:] in ids:
            total += cost(ids[href[1:]], active, level + 1)
        elif tag == "image" and href:
            total += nested.cost(href)
        active.discard(key)
        if total > MAX_SVG_ELEMENTS:
            raise ImageRefused(
                f"image '{shown}' draws more than {MAX_SVG_ELEMENTS:,} SVG elements once its "
                f"<use> and <image> references are expanded; the limit is {MAX_SVG_ELEMENTS:,}"
            )
        costs[key] = total
        return total

    return cost(root, set(), 1)


class _NestedImages:
    """The images an SVG draws with <image>, each measured once."""

    def __init__(self, url, shown, read, depth):
        self.url, self.shown, self.read, self.depth = url, shown, read, depth
        self.known: dict[str, int] = {}

    def cost(self, href: str) -> int:
        target = urljoin(self.url, href.strip())
        if target not in self.known:
            self.known[target] = self._measure(target, href.strip())
        return self.known[target]

    def _measure(self, target, href):
        written = href if not href.startswith("data:") else "a data: URI"
        inner = f"{self.shown}' → '{written}"
        if self.depth >= MAX_SVG_NESTING:
            raise ImageRefused(f"image '{inner}' nests SVG images more than {MAX_SVG_NESTING} deep")
        if urlsplit(target).scheme.lower() == "data":
            pixels = raster_pixels(io.BytesIO(data_url_header(target)))
            if pixels is not None:  # a raster: its header was enough
                _check_pixels(pixels, inner)
                return 1
        try:
            data = self.read(target)
        except OutsideProject:  # named as the SVG writes it, never by the machine's path
            raise ImageRefused(f"image '{inner}' is outside the project; copy the file into the project") from None
        return check_image(data, target, inner, self.read, self.depth + 1)


def read_local(url: str, limit: int) -> bytes:
    """The bytes behind a file: or data: URL (see inputs.read_regular)."""
    from urllib.request import url2pathname

    from .inputs import read_regular

    parts = urlsplit(url)
    if parts.scheme.lower() == "data":
        meta, _, payload = parts._replace(scheme="").geturl().partition(",")
        raw = unquote_to_bytes(payload)
        return base64.b64decode(raw.translate(None, b" \t\r\n")) if meta.lower().endswith(";base64") else raw
    return read_regular(Path(url2pathname(unquote_to_bytes(parts.path).decode("utf-8", "replace"))), limit)


class OutsideProject(ImageRefused):
    """An address an SVG refers to that resolves outside the project."""


class ImageUnreadable(Exception):
    """A raster image whose header Pillow cannot read."""


def check_image_file(path: Path, shown: str, root: Path) -> None:
    """Refuse an image file of the project over a limit (ImageRefused) or unreadable (ImageUnreadable).

    A raster image's header alone is read; an SVG is parsed with what it refers to, which must be
    inside `root`. Non-regular files are refused before anything is opened.
    """
    from .inputs import FileTooLarge, NotRegularFile, open_regular, read_regular

    try:
        if path.suffix.lower() == ".svg":
            check_image(read_regular(path, MAX_RESOURCE_BYTES), path.as_uri(), shown, project_reader(root))
            return
        with open_regular(path) as handle:
            pixels = raster_pixels(handle)
    except NotRegularFile as exc:
        raise ImageRefused(f"image '{shown}' cannot be used: {exc}") from None
    except FileTooLarge as exc:
        raise ImageRefused(f"image '{shown}' is {exc.size:,} bytes; the limit is {exc.limit:,}") from None
    if pixels is None:
        raise ImageUnreadable(shown)
    _check_pixels(pixels, shown)


def project_reader(root: Path) -> Reader:
    """Read what an SVG refers to: data: URIs and regular files inside `root`, nothing else."""
    from urllib.request import url2pathname

    from .inputs import FileTooLarge, NotRegularFile

    def read(url: str) -> bytes:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme == "data":
            return read_local(url, MAX_RESOURCE_BYTES)
        if scheme != "file" or parts.netloc not in ("", "localhost"):
            raise ImageRefused(f"refused to fetch '{url[:80]}': network access is off while building")
        path = Path(url2pathname(unquote_to_bytes(parts.path).decode("utf-8", "replace"))).resolve()
        if path != root and root not in path.parents:
            raise OutsideProject(f"refused to read '{path}': it is outside the project")
        shown = path.relative_to(root).as_posix()
        try:
            return read_local(url, MAX_RESOURCE_BYTES)
        except FileTooLarge:
            raise ImageRefused(f"refused to read '{shown}': larger than {MAX_RESOURCE_BYTES} bytes") from None
        except NotRegularFile as exc:
            raise ImageRefused(f"refused to read '{shown}': {exc}") from None
        except OSError:
            return b""  # missing: the renderer reports it

    return read
