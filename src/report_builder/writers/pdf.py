"""PDF writer: lay the print HTML out with WeasyPrint and write the PDF bytes."""

from __future__ import annotations

import gc
import logging
import os
import re
import signal
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import Diagnostic, ReportError
from ..project import Project

if TYPE_CHECKING:  # importing the fetcher imports WeasyPrint, which a parallel build leaves to its workers
    from ..fetcher import SandboxFetcher

#: seconds one layout may take before the build stops (a guard against hostile content)
RENDER_TIME_LIMIT = int(os.environ.get("REPORT_BUILDER_TIME_LIMIT", "900"))


@contextmanager
def time_limit(seconds: int, what: str):
    """Stop a render that runs longer than `seconds` (main thread only; elsewhere no limit)."""
    if seconds <= 0 or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(_signum, _frame):
        raise ReportError([Diagnostic("build", None, None, f"{what} took longer than {seconds} s and was stopped")])

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


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

    from ..sources import read_text

    warnings, errors = [], []
    for path in paths:
        shown = project.display(path)
        try:
            text = read_text(path, shown, inside=project.root)
        except ReportError as exc:
            errors.extend(exc.diagnostics)
            continue
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
    return warnings


def _sandbox(project: Project, fonts_dir: Path | None = None) -> SandboxFetcher:
    from ..fetcher import project_sandbox

    return project_sandbox(project, [fonts_dir] if fonts_dir else [])


def layout_pdf(html: str, project: Project, identifier: str, variant: str | None = None,
               fonts_dir: Path | None = None) -> Layout:
    """Lay out the print HTML; refused resources and WeasyPrint errors become diagnostics.

    `fonts_dir` holds the static font instances the HTML declares (see fonts.py).
    CSS warnings are not reported here: `check_stylesheets` reports them with their file.
    """
    import weasyprint

    from .layout_fixes import apply_footnote_fix

    apply_footnote_fix()
    name_images_by_content()
    fetcher = _sandbox(project, fonts_dir)
    capture = _Capture()
    logger = logging.getLogger("weasyprint")
    logger.addHandler(capture)
    try:
        with time_limit(RENDER_TIME_LIMIT, "PDF layout"), gc_paused():
            document = weasyprint.HTML(string=html, base_url=str(project.root) + "/", url_fetcher=fetcher).render(
                pdf_variant=variant, pdf_tags=True)
    finally:
        logger.removeHandler(capture)
    errors = list(fetcher.refusals)
    warnings = []
    for record in capture.records:
        message = record.getMessage()
        if record.levelno >= logging.ERROR and not fetcher.refusals:
            errors.append(Diagnostic("build", None, None, f"PDF layout: {message}"))
        elif record.levelno < logging.ERROR and not message.startswith(_REPORTED_WITH_THEIR_FILE):
            warnings.append(Diagnostic("build", None, None, f"PDF layout: {message}", "warning"))
    if errors:
        raise ReportError(errors)
    return Layout(document, warnings, fetcher)


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
        data = layout.document.write_pdf(pdf_identifier=identifier.encode("utf-8"), pdf_tags=tagged,
                                         pdf_variant=variant)
    if layout.fetcher and len(layout.fetcher.refusals) > already:
        raise ReportError(layout.fetcher.refusals[already:])
    return data

