"""The one resource fetcher: files inside the project or the package's own assets, and data: URIs.

WeasyPrint calls it for every stylesheet, image and font; EPUB assembly uses `check_path`.
Everything else (http, ftp, file:// outside the allowed folders, ../ escapes) is refused and
recorded, so the build reports it as a located error instead of fetching it.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

from weasyprint.urls import URLFetcher, URLFetcherResponse

MAX_RESOURCE_BYTES = 20 * 1024 * 1024


def fonts_roots() -> list[Path]:
    import fontpkg_noto_sans
    import fontpkg_noto_serif

    return [Path(fontpkg_noto_serif.ROOT), Path(fontpkg_noto_sans.ROOT)]


class SandboxFetcher(URLFetcher):
    def __init__(self, allowed_roots: list[Path]):
        super().__init__(allowed_protocols=("file", "data"), allow_redirects=False)
        self.allowed_roots = [root.resolve() for root in allowed_roots]
        self.refused: list[str] = []

    def is_allowed(self, path: Path) -> bool:
        resolved = path.resolve()
        return any(resolved == root or root in resolved.parents for root in self.allowed_roots)

    def fetch(self, url, headers=None):
        scheme = urlsplit(url).scheme.lower()
        if scheme == "data":
            return super().fetch(url, headers)
        if scheme != "file":
            self.refused.append(f"refused to fetch '{url}': network access is off while building")
            raise ValueError("network access is off while building")
        path = Path(url2pathname(unquote(urlsplit(url).path)))
        if not self.is_allowed(path):
            self.refused.append(f"refused to read '{path}': it is outside the project")
            raise ValueError("outside the project")
        if path.stat().st_size > MAX_RESOURCE_BYTES:
            self.refused.append(f"refused to read '{path}': larger than {MAX_RESOURCE_BYTES} bytes")
            raise ValueError("resource too large")
        mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(path.as_uri(), path.read_bytes(), {"Content-Type": mime})
