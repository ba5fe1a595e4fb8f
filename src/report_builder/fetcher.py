"""The one resource fetcher: files inside the project or the package's own assets, and data: URIs.

WeasyPrint calls it for every stylesheet, image, font and attachment; EPUB assembly uses
`is_allowed`. Everything else (http, ftp, file:// outside the allowed folders, ../ escapes)
is refused and recorded, so the build reports it as a located error instead of fetching it.
`check_stylesheet_references` applies the same rule to a project stylesheet before anything
is laid out, so a refused url() or @import is reported at its file, line and column.
"""

from __future__ import annotations

import hashlib
import mimetypes
import re
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit
from urllib.request import url2pathname

import tinycss2
from weasyprint.urls import URLFetcher, URLFetcherResponse

from . import readlog
from .errors import Diagnostic
from .project import Project, builtin_dir

MAX_RESOURCE_BYTES = 20 * 1024 * 1024

#: where a refused address may have been written: url(…) and @import in CSS, resource attributes in HTML
_REFERENCE = re.compile(
    r"""url\(\s*(['"]?)(?P<css>[^'")\s]+)\1\s*\)"""
    r"""|@import\s+(['"])(?P<import>[^'"]+)\3"""
    r"""|\b(?:src|href|data|poster|xlink:href)\s*=\s*(['"])(?P<attribute>[^'"]*)\5""",
    re.IGNORECASE)


def project_sandbox(project: Project, extra_roots: list[Path] = ()) -> "SandboxFetcher":
    """The fetcher for one project: its files, the built-in templates and styles, the fonts
    (and `extra_roots`: the folder of the static font instances)."""
    from .fonts import fonts_roots

    return SandboxFetcher([project.root, builtin_dir("styles"), builtin_dir("templates"), *fonts_roots(),
                           *extra_roots], project=project)


def base_url(project: Project) -> str:
    """The address relative references in the print document are resolved against."""
    return project.root.as_uri() + "/"


class SandboxFetcher(URLFetcher):
    """A WeasyPrint URL fetcher that reads only allowed local files and data: URIs."""

    def __init__(self, allowed_roots: list[Path], project: Project | None = None):
        super().__init__(allowed_protocols=("file", "data"), allow_redirects=False)
        self.allowed_roots = [root.resolve() for root in allowed_roots]
        self.project = project
        self.refused: list[str] = []  # one message per refusal, in order
        self.refusals: list[Diagnostic] = []  # the same, located where the project wrote the address
        self.fetched: dict[str, str] = {}  # resolved path → sha256 of each project file fetched

    def is_allowed(self, path: Path) -> bool:
        resolved = path.resolve()
        return any(resolved == root or root in resolved.parents for root in self.allowed_roots)

    def refusal(self, url: str) -> str | None:
        """Why `url` may not be fetched, or None when it may."""
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme == "data":
            return None
        if scheme != "file" or parts.netloc not in ("", "localhost"):
            return f"refused to fetch '{url}': network access is off while building"
        path = _local_path(url)
        if not self.is_allowed(path):
            return f"refused to read '{path}': it is outside the project"
        return None

    def fetch(self, url, headers=None):
        reason = self.refusal(url)
        if reason is not None:
            self._refuse(url, reason)
            raise ValueError(reason)
        if urlsplit(url).scheme.lower() == "data":
            return super().fetch(url, headers)
        path = _local_path(url)
        if path.stat().st_size > MAX_RESOURCE_BYTES:
            reason = f"refused to read '{path}': larger than {MAX_RESOURCE_BYTES} bytes"
            self._refuse(url, reason)
            raise ValueError(reason)
        mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(path.as_uri(), self._read(path), {"Content-Type": mime})

    def _read(self, path: Path) -> bytes:
        """A project file's bytes, as the rest of the build reads them (see readlog.py), their digest noted."""
        if self.project is None or self.project.root not in path.resolve().parents:
            return path.read_bytes()  # the built-in styles and the fonts: not project inputs
        data = readlog.read_bytes(path)
        self.fetched[str(path.resolve())] = hashlib.sha256(data).hexdigest()
        return data

    def _refuse(self, url: str, reason: str):
        self.refused.append(reason)
        where, line, col = locate_reference(self.project, url) if self.project else ("build", None, None)
        diagnostic = Diagnostic(where, line, col, reason)
        if diagnostic not in self.refusals:  # a chunked layout may ask for the same address again
            self.refusals.append(diagnostic)


def _local_path(url: str) -> Path:
    return Path(url2pathname(unquote(urlsplit(url).path)))


def _same_address(a: str, b: str) -> bool:
    if urlsplit(a).scheme.lower() == urlsplit(b).scheme.lower() == "file":
        return _local_path(a) == _local_path(b)
    return a == b


def locate_reference(project: Project, url: str) -> tuple[str, int | None, int | None]:
    """Where the project's templates or stylesheets write an address that resolves to `url`.

    ("build", None, None) when it is not written literally in any of them.
    """
    base = base_url(project)
    for folder, pattern in ((project.templates_dir, "**/*"), (project.styles_dir, "**/*.css")):
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob(pattern)):
            if not path.is_file() or path.stat().st_size > MAX_RESOURCE_BYTES:
                continue
            try:
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                continue
            for match in _REFERENCE.finditer(text):
                group = next(name for name in ("css", "import", "attribute") if match.group(name) is not None)
                if _same_address(urljoin(base, match.group(group).strip()), url):
                    start = match.start(group)
                    line = text.count("\n", 0, start) + 1
                    return project.display(path), line, start - (text.rfind("\n", 0, start) + 1) + 1
    return "build", None, None


def check_stylesheet_references(text: str, shown: str, fetcher: SandboxFetcher, base: str) -> list[Diagnostic]:
    """Every url() and @import of a stylesheet the fetcher would refuse, at its line and column."""
    problems = []
    for token, reference in _css_references(tinycss2.parse_stylesheet(text, skip_comments=True)):
        if not reference or reference.startswith("#"):
            continue
        reason = fetcher.refusal(urljoin(base, reference))
        if reason is not None:
            problems.append(Diagnostic(shown, token.source_line, token.source_column, reason))
    return problems


def _css_references(nodes):
    """(token, address) for each url(…) and @import in parsed CSS, nested blocks included."""
    for node in nodes:
        kind = getattr(node, "type", None)
        if kind == "url":
            yield node, node.value
        elif kind == "function" and node.lower_name == "url":
            strings = [t for t in node.arguments if t.type == "string"]
            if strings:
                yield node, strings[0].value
        elif kind == "at-rule":
            if node.lower_at_keyword == "import":
                strings = [t for t in node.prelude if t.type == "string"]
                if strings:
                    yield strings[0], strings[0].value
            yield from _css_references(node.prelude)
            yield from _css_references(node.content or [])
        elif kind == "qualified-rule":
            yield from _css_references(node.prelude)
            yield from _css_references(node.content)
        elif kind in ("{} block", "[] block", "() block"):
            yield from _css_references(node.content)
        elif kind == "function":
            yield from _css_references(node.arguments)
