"""The one resource fetcher: files inside the project or the package's own assets, and data: URIs.

WeasyPrint calls it for every stylesheet, image, font and attachment; EPUB assembly uses
`is_allowed`. Everything else (http, ftp, file:// outside the allowed folders, ../ escapes)
is refused and recorded, so the build reports it as a located error instead of fetching it.
`check_stylesheet_references` applies the same rule to a project stylesheet before anything
is laid out, so a refused url() or @import is reported at its file, line and column.
"""

from __future__ import annotations

import mimetypes
import re
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit
from urllib.request import url2pathname

import tinycss2
from weasyprint.urls import URLFetcher, URLFetcherResponse

from .errors import Diagnostic
from .project import Project, builtin_dir

MAX_RESOURCE_BYTES = 20 * 1024 * 1024

#: where a refused address may have been written: url(…) and @import in CSS, resource attributes in HTML
#: and SVG, Markdown images, links and reference definitions
_REFERENCE = re.compile(
    r"""url\(\s*(['"]?)(?P<css>[^'")\s]+)\1\s*\)"""
    r"""|@import\s+(['"])(?P<import>[^'"]+)\3"""
    r"""|\b(?:src|href|data|poster|xlink:href)\s*=\s*(['"])(?P<attribute>[^'"]*)\5"""
    r"""|\]\(\s*<?(?P<markdown>[^)\s>]+)"""
    r"""|^[ ]{0,3}\[[^\]]+\]:[ \t]*<?(?P<definition>[^\s>]+)""",
    re.IGNORECASE | re.MULTILINE)
_GROUPS = ("css", "import", "attribute", "markdown", "definition")


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
        self.refused_urls: set[str] = set()
        self.refusals: list[Diagnostic] = []  # the same, located where the project wrote the address

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
        return URLFetcherResponse(path.as_uri(), path.read_bytes(), {"Content-Type": mime})

    def _refuse(self, url: str, reason: str):
        self.refused.append(reason)
        self.refused_urls.add(url)
        where, line, col, written = find_reference(self.project, url) if self.project else ("build", None, None, None)
        if urlsplit(url).scheme.lower() == "file":  # name the file as the project wrote it, not by the machine's path
            path = str(_local_path(url))
            reason = reason.replace(path, written if written else self.project.display(Path(path)) if self.project
                                    else path)
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
    """Where the project writes an address that resolves to `url` (see find_reference)."""
    return find_reference(project, url)[:3]


def find_reference(project: Project, url: str) -> tuple[str, int | None, int | None, str | None]:
    """(file, line, col, address as written) of the first place the project writes an address
    that resolves to `url`: its templates and stylesheets (relative to the document), its Markdown
    and SVG files (relative to their folder).

    ("build", None, None, None) when it is not written literally in any of them.
    """
    document = base_url(project)
    for folder, pattern, own_base in ((project.templates_dir, "**/*", False), (project.styles_dir, "**/*.css", False),
                                      (project.content_dir, "**/*.md", True), (project.content_dir, "**/*.svg", True)):
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
                group = next(name for name in _GROUPS if match.group(name) is not None)
                written = match.group(group).strip()
                address = unquote(written) if group in ("markdown", "definition") else written
                bases = _bases(path, group, document) if own_base else (document,)
                if any(_same_address(urljoin(base, address), url) for base in bases):
                    start = match.start(group)
                    line = text.count("\n", 0, start) + 1
                    return project.display(path), line, start - (text.rfind("\n", 0, start) + 1) + 1, written
    return "build", None, None, None


def _bases(path: Path, group: str, document: str) -> tuple[str, ...]:
    """What an address written in a content file may be relative to: its folder (Markdown, SVG),
    or the document too (raw HTML in an article, like templates and stylesheets, which are
    inlined into it)."""
    folder = path.parent.as_uri() + "/"
    return (folder, document) if path.suffix == ".md" and group == "attribute" else (folder,)


def check_stylesheet_references(text: str, shown: str, fetcher: SandboxFetcher, base: str) -> list[Diagnostic]:
    """Every url() and @import of a stylesheet the fetcher would refuse, at its line and column."""
    problems = []
    for token, reference in _css_references(tinycss2.parse_stylesheet(text, skip_comments=True)):
        if not reference or reference.startswith("#"):
            continue
        url = urljoin(base, reference)
        reason = fetcher.refusal(url)
        if reason is not None:
            if urlsplit(url).scheme.lower() == "file":  # as written, not by the machine's path
                reason = reason.replace(str(_local_path(url)), reference)
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
