"""PDF writer: lay the print HTML out with WeasyPrint and write the PDF bytes."""

from __future__ import annotations

import gc
import logging
import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ...deadline import time_limit
from ...errors import Diagnostic, ReportError
from ...project import Project
from .tables import CONTINUED_ROW, show_continued_rows

if TYPE_CHECKING:  # importing the fetcher imports WeasyPrint, which a parallel build leaves to its workers
    from ...fetcher import SandboxFetcher


@contextmanager
def gc_paused():
    """Pause the cyclic garbage collector: layout allocates millions of objects and frees few,
    so collections during it are wasted work (10–20 % of the time on large books)."""
    enabled = gc.isenabled()
    gc.freeze()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
        gc.unfreeze()


@dataclass
class Layout:
    """A laid-out print document, shared by the PDF writer and the EPUB page-list."""

    document: object
    warnings: list[Diagnostic] = field(default_factory=list)
    fetcher: SandboxFetcher | None = None

    @property
    def page_count(self) -> int:
        return len(self.document.pages)


class _Capture(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record):
        self.records.append(record)


_CSS_POSITION = re.compile(r" at (\d+):(\d+)")
#: WeasyPrint CSS messages that `check_stylesheets` already reported at their file and line
_REPORTED_WITH_THEIR_FILE = ("Ignored `", "Invalid or unsupported selector", "Parse error")


def check_stylesheets(project: Project, paths) -> list[Diagnostic]:
    """Parse each project stylesheet on its own, so a CSS problem is reported at its file and line.

    Returns warnings (CSS WeasyPrint ignores); raises ReportError for a stylesheet that cannot be
    read or that WeasyPrint cannot parse at all.
    """
    if not paths:
        return []
    import weasyprint

    from ...fonts import font_face_families, undeclared_families
    from ...inputs import read_text

    warnings, errors, texts = [], [], []
    for path in paths:
        shown = project.display(path)
        try:
            text = read_text(path, shown, inside=project.root)
        except ReportError as exc:
            errors.extend(exc.diagnostics)
            continue
        texts.append((shown, text))
        capture = _Capture()
        logger = logging.getLogger("weasyprint")
        logger.addHandler(capture)
        try:
            weasyprint.CSS(string=text, base_url=str(project.root) + "/", url_fetcher=_sandbox(project))
        except (AssertionError, ValueError, TypeError, IndexError, KeyError, AttributeError) as exc:
            # WeasyPrint trusts its input in places; hostile CSS must not become an internal error
            errors.append(Diagnostic(shown, None, None, f"CSS cannot be parsed ({type(exc).__name__})"))
            continue
        finally:
            logger.removeHandler(capture)
        for record in capture.records:
            message = record.getMessage()
            position = _CSS_POSITION.search(message)
            line, col = (int(position.group(1)), int(position.group(2))) if position else (None, None)
            text_ = _CSS_POSITION.sub("", message).rstrip(".")
            warnings.append(Diagnostic(shown, line, col, f"CSS: {text_}", "warning"))
    if errors:
        raise ReportError(errors)
    declared = set().union(*(font_face_families(text) for _shown, text in texts))
    for shown, text in texts:
        warnings.extend(undeclared_families(text, shown, declared))
    return warnings


def _sandbox(project: Project, fonts_dir: Path | None = None) -> SandboxFetcher:
    from ...fetcher import project_sandbox

    return project_sandbox(project, [fonts_dir] if fonts_dir else [])


def layout_pdf(
    html: str, project: Project, identifier: str, variant: str | None = None, fonts_dir: Path | None = None
) -> Layout:
    """Lay out the print HTML; refused resources and WeasyPrint errors become diagnostics.

    `fonts_dir` holds the static font instances the HTML declares (see fonts.py).
    CSS warnings are not reported here: `check_stylesheets` reports them with their file.
    """
    import weasyprint

    from .weasy import apply_footnote_fix

    apply_footnote_fix()
    name_images_by_content()
    fetcher = _sandbox(project, fonts_dir)
    capture = _Capture()
    logger = logging.getLogger("weasyprint")
    logger.addHandler(capture)
    try:
        with time_limit(), gc_paused():  # the build's deadline, in a worker process
            document = weasyprint.HTML(string=html, base_url=str(project.root) + "/", url_fetcher=fetcher).render(
                pdf_variant=variant, pdf_tags=True
            )
    finally:
        logger.removeHandler(capture)
    errors = list(fetcher.refusals)
    warnings = []
    for record in capture.records:
        if record.levelno >= logging.ERROR:
            diagnostic = _layout_error(record, project, fetcher)
            if diagnostic is not None and diagnostic not in errors:
                errors.append(diagnostic)
            continue
        message = record.getMessage()
        if not message.startswith(_REPORTED_WITH_THEIR_FILE):
            warnings.append(
                Diagnostic("build", None, None, f"PDF layout: {_without_paths(message, project)}", "warning")
            )
    errors.extend(d for d in _local_links(document, project) if d not in errors)
    if errors:
        raise ReportError(errors)
    if CONTINUED_ROW in html:
        show_continued_rows(document)
    return Layout(document, warnings, fetcher)


def _local_links(document, project: Project) -> list[Diagnostic]:
    """A link that WeasyPrint resolved to a local file (a template's relative `href`): an error where
    it is written, never a `file:` address in the PDF. Links between articles are `#id` by then."""
    from ...fetcher import find_reference

    targets = sorted(
        {
            target
            for page in document.pages
            for kind, target, _rect, _box in page.links
            if kind == "external" and target.lower().startswith("file:")
        }
    )
    problems = []
    for target in targets:
        where, line, col, written = find_reference(project, target)
        shown = written or _without_paths(target, project)
        problems.append(
            Diagnostic(
                where,
                line,
                col,
                f"link '{shown}' points at a file, not at a web address or an "
                "article; link to an article by its file name (other.md)",
            )
        )
    return problems


#: WeasyPrint's messages about a resource it could not use, and what the resource is to a reader
_FAILED_RESOURCE = {
    "Failed to load image at %r: %s": "image",
    "Failed to render SVG image %s": "image",
    "Failed to load stylesheet at %s: %s": "stylesheet",
    "Failed to load stylesheet at %s : %s": "stylesheet",
}


def _layout_error(record, project: Project, fetcher: SandboxFetcher) -> Diagnostic | None:
    """A WeasyPrint error as a diagnostic at the line that named the resource, with the reason;
    None when the fetcher refused the resource (it reported that already)."""
    from ...fetcher import find_reference

    kind = _FAILED_RESOURCE.get(record.msg)
    args = record.args if isinstance(record.args, tuple) else ()
    if kind is None or not args or not isinstance(args[0], str):
        message = record.getMessage()
        if any(reason in message for reason in fetcher.refused):
            return None
        return Diagnostic("build", None, None, f"PDF layout: {_without_paths(message, project)}")
    url = args[0]
    if url in fetcher.refused_urls:
        return None
    where, line, col, written = find_reference(project, url)
    shown = written or _without_paths(url, project)
    if len(args) < 2:
        return Diagnostic(where, line, col, f"{kind} '{shown}' cannot be drawn")
    return Diagnostic(where, line, col, f"{kind} '{shown}' cannot be loaded: {_reason(args[1], url, project)}")


def _reason(exception, url: str, project: Project) -> str:
    """Why a resource failed, from the deepest exception that says (WeasyPrint wraps the parser's)."""
    from xml.etree.ElementTree import ParseError

    causes = []
    while exception is not None and len(causes) < 8:
        causes.append(exception)
        exception = exception.__cause__ or exception.__context__
    file = _without_paths(url, project)
    for cause in reversed(causes):
        if isinstance(cause, ParseError):
            return f"{file} is not valid XML: {cause}"
        if isinstance(cause, FileNotFoundError):
            return f"{file} does not exist"
        if isinstance(cause, OSError) and cause.strerror:
            return f"{file}: {cause.strerror}"
    text = _without_paths(next((str(cause) for cause in reversed(causes) if str(cause)), ""), project)
    return (text[:200] + "…" if len(text) > 200 else text) or f"WeasyPrint cannot read {file}"


def _without_paths(text: str, project: Project) -> str:
    """A message with the project's own addresses and paths made relative to it (no machine paths)."""
    root = str(project.root)
    return text.replace(project.root.as_uri() + "/", "").replace(root + "/", "")


def name_images_by_content() -> None:
    """Name each raster image in the PDF by a hash of its bytes, not of its address.

    WeasyPrint names an image's XObject by the MD5 of its absolute URL, so the PDF's bytes
    changed with the project's folder. The bytes (and the orientation applied to them) are what
    the image is; the same image at two addresses becomes one XObject, as it should.
    """
    import hashlib

    from weasyprint import images

    original = images.RasterImage.__init__
    if getattr(original, "named_by_content", False):
        return

    def __init__(self, pillow_image, image_id, image_data, *args, **kwargs):
        if image_data is not None:
            orientation = kwargs.get("orientation", args[2] if len(args) > 2 else "none")
            image_id = hashlib.sha256(repr(orientation).encode("utf-8") + b"\0" + bytes(image_data)).hexdigest()[:32]
        original(self, pillow_image, image_id, image_data, *args, **kwargs)

    __init__.named_by_content = True
    images.RasterImage.__init__ = __init__


def write_pdf(layout: Layout, identifier: str, tagged: bool = True, variant: str | None = None) -> bytes:
    """PDF bytes of a layout; tagged (structure tree for assistive technology) unless merged later.

    Writing fetches too (attachments): a refusal then fails the build like one during layout.
    """
    already = len(layout.fetcher.refusals) if layout.fetcher else 0
    with gc_paused():
        data = layout.document.write_pdf(
            pdf_identifier=identifier.encode("utf-8"), pdf_tags=tagged, pdf_variant=variant
        )
    if layout.fetcher and len(layout.fetcher.refusals) > already:
        raise ReportError(layout.fetcher.refusals[already:])
    return data
