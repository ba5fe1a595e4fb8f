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
from .images import MAX_RESOURCE_BYTES, ImageRefused, check_image, read_local
from .inputs import FileTooLarge, NotRegularFile, read_regular
from .project import Project, builtin_dir

_FONT_TYPES = ("application/font-woff", "application/x-font-ttf", "application/vnd.ms-opentype")

#: where a refused address may have been written: url(…) and @import in CSS, resource attributes in HTML
#: and SVG, Markdown images, links and reference definitions
_REFERENCE = re.compile(
    r"""url\(\s*(['"]?)(?P<css>[^'")\s]+)\1\s*\)"""
    r"""|@import\s+(['"])(?P<import>[^'"]+)\3"""
    r"""|\b(?:src|href|data|poster|xlink:href)\s*=\s*(['"])(?P<attribute>[^'"]*)\5"""
    r"""|\]\(\s*<?(?P<markdown>[^)\s>]+)"""
    r"""|^[ ]{0,3}\[[^\]]+\]:[ \t]*<?(?P<definition>[^\s>]+)""",
    re.IGNORECASE | re.MULTILINE,
)
_GROUPS = ("css", "import", "attribute", "markdown", "definition")


def project_sandbox(project: Project, extra_roots: tuple[Path, ...] | list[Path] = ()) -> SandboxFetcher:
    """The fetcher for one project: its files, the built-in templates and styles, the fonts
    (and `extra_roots`: the folder of the static font instances)."""
    from .fonts import fonts_roots

    return SandboxFetcher(
        [project.root, builtin_dir("styles"), builtin_dir("templates"), *fonts_roots(), *extra_roots], project=project
    )


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
        self.parents: dict[str, str] = {}  # an address an SVG refers to → that SVG's address
        self._checked: dict[str, str | None] = {}  # image address → why it was refused, or None
        self._reported: set[str] = set()  # images refused for an address already reported in them
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
            response = super().fetch(url, headers)
            data, mime, address = response.read(), response.headers.get_content_type(), url
            headers_out = response.headers
        else:
            path = _local_path(url)
            try:
                data = self._read(path)
            except FileTooLarge:
                reason = f"refused to read '{self._shown(url)}': larger than {MAX_RESOURCE_BYTES} bytes"
            except NotRegularFile as exc:
                reason = f"refused to read '{self._shown(url)}': {exc}"
            if reason is not None:
                self._refuse(url, reason)
                raise ValueError(reason)
            mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            address, headers_out = path.as_uri(), {"Content-Type": mime}
        reason = self._image_refusal(url, data, mime)
        if reason is not None:
            self._refuse(url, reason)
            raise ValueError(reason)
        if self._checked.get(url) is not None:  # refused inside the SVG, and reported there
            raise ValueError(self._checked[url])
        return URLFetcherResponse(address, data, headers_out)

    def _read(self, path: Path) -> bytes:
        """A file's bytes (regular files only, within the size limit); a project file's as the rest of the
        build reads them (see readlog.py), its digest noted."""
        if self.project is None or self.project.root not in path.resolve().parents:
            return read_regular(path, MAX_RESOURCE_BYTES)  # the built-in styles and the fonts: not project inputs
        data = readlog.read_bytes(path, MAX_RESOURCE_BYTES)
        self.fetched[str(path.resolve())] = hashlib.sha256(data).hexdigest()
        return data

    def _image_refusal(self, url: str, data: bytes, mime: str) -> str | None:
        """Why an image may not be drawn (pixels, SVG size, what an SVG refers to), or None."""
        if mime == "text/css" or mime.startswith("font/") or mime in _FONT_TYPES:
            return None
        key = url if not url.startswith("data:") else hashlib.sha256(url.encode()).hexdigest()
        if key not in self._checked:
            try:
                check_image(data, url, self._shown(url), self._read_referenced(url))
                self._checked[key] = None
            except _ReportedRefusal as exc:
                self._checked[key] = str(exc)
                self._reported.add(key)
            except ImageRefused as exc:
                self._checked[key] = str(exc)
        return None if key in self._reported else self._checked[key]

    def _read_referenced(self, parent: str):
        """The reader an SVG's references go through: the same rules as any fetch."""

        def read(url: str) -> bytes:
            self.parents.setdefault(url, parent)
            reason = self.refusal(url)
            if reason is not None:  # located where the SVG writes the address, as it writes it
                self._refuse(url, reason, to_top=False)
                raise _ReportedRefusal(reason)
            try:
                return read_local(url, MAX_RESOURCE_BYTES)
            except FileTooLarge:
                raise ImageRefused(
                    f"refused to read '{self._shown(url)}': larger than {MAX_RESOURCE_BYTES} bytes"
                ) from None
            except NotRegularFile as exc:
                raise ImageRefused(f"refused to read '{self._shown(url)}': {exc}") from None
            except (OSError, ValueError):
                return b""  # missing or undecodable: WeasyPrint reports it when it draws

        return read

    def _shown(self, url: str) -> str:
        """An address as a message shows it: project files by their project path."""
        if url.startswith("data:"):
            return "a data: URI"
        path = _local_path(url)
        if self.project is not None:
            try:
                return path.resolve().relative_to(self.project.root).as_posix()
            except ValueError:
                pass
        return str(path)

    def _refuse(self, url: str, reason: str, to_top: bool = True):
        self.refused.append(reason)
        self.refused_urls.add(url)
        top, seen = url, {url}
        while to_top and top in self.parents and self.parents[top] not in seen:  # report the image the project wrote
            top = self.parents[top]
            seen.add(top)
        where, line, col, written = find_reference(self.project, top) if self.project else ("build", None, None, None)
        if urlsplit(url).scheme.lower() == "file":  # name the file as the project wrote it, not by the machine's path
            path = str(_local_path(url))
            shown = written if written and top == url else self.project.display(Path(path)) if self.project else path
            reason = reason.replace(path, shown)
        diagnostic = Diagnostic(where, line, col, reason)
        if diagnostic not in self.refusals:  # a chunked layout may ask for the same address again
            self.refusals.append(diagnostic)


class _ReportedRefusal(ImageRefused):
    """An address inside an image that was refused and reported where the image writes it."""


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
    that resolves to `url`: a Markdown image (at its `![`), `cover:` in report.yaml, its templates
    and stylesheets (relative to the document), its Markdown and SVG files (relative to their folder).

    ("build", None, None, None) when it is not written literally in any of them.
    """
    found = _locate_in_articles(project, url) or _locate_cover(project, url)
    if found:
        return found
    document = base_url(project)
    for folder, pattern, own_base in (
        (project.templates_dir, "**/*", False),
        (project.styles_dir, "**/*.css", False),
        (project.content_dir, "**/*.md", True),
        (project.content_dir, "**/*.svg", True),
    ):
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


#: the address of a Markdown image, `![alt](address "title")` or `![alt](<address>)`
_MARKDOWN_IMAGE = re.compile(r"!\[[^\]\n]*\]\(\s*(?:<(?P<angle>[^>\n]+)>|(?P<plain>[^)\s]+))")
_COVER = re.compile(r"^\s*cover\s*:\s*(['\"]?)(?P<cover>[^'\"#\n]+?)\1\s*(?:#.*)?$", re.MULTILINE)


def _project_text(path: Path) -> str | None:
    try:
        return read_regular(path, MAX_RESOURCE_BYTES).decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def _position(text: str, start: int) -> tuple[int, int]:
    return text.count("\n", 0, start) + 1, start - (text.rfind("\n", 0, start) + 1) + 1


def _locate_in_articles(project: Project, url: str):
    """(article, line, col, address) of the `![` of the first Markdown image whose address resolves to `url`."""
    if urlsplit(url).scheme.lower() != "file" or not project.content_dir.is_dir():
        return None
    for path in sorted(project.content_dir.rglob("*.md")):
        text = _project_text(path)
        if text is None:
            continue
        for match in _MARKDOWN_IMAGE.finditer(text):
            address = unquote(match.group("angle") or match.group("plain"))
            target = project.resolve_inside(path.parent, address)
            if target is not None and target == _local_path(url).resolve():
                return (
                    project.display(path),
                    *_position(text, match.start()),
                    match.group("angle") or match.group("plain"),
                )
    return None


def _locate_cover(project: Project, url: str):
    """("report.yaml", line, col, address) of `cover:` when the EPUB cover is `url`."""
    text = _project_text(project.config_file)
    if text is None or urlsplit(url).scheme.lower() != "file":
        return None
    for match in _COVER.finditer(text):
        if (project.root / match.group("cover").strip()).resolve() == _local_path(url).resolve():
            return ("report.yaml", *_position(text, match.start("cover")), match.group("cover").strip())
    return None


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
