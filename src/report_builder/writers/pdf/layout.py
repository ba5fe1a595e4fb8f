"""PDF writer: lay the print HTML out with WeasyPrint and write the PDF bytes."""

from __future__ import annotations

import gc
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ...deadline import time_limit
from ...errors import Diagnostic, ReportError
from ...project import Project
from . import conformance, weasy
from .tables import CONTINUED_ROW

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
    """A document laid out in one go, shared by the PDF writer and the EPUB page-list."""

    document: Any  # a weasyprint.Document
    warnings: list[Diagnostic] = field(default_factory=list)
    fetcher: SandboxFetcher | None = None
    notes: list[str] = field(default_factory=list)  # how it was made, for --verbose

    @property
    def page_count(self) -> int:
        return len(self.document.pages)

    @cached_property
    def page_starts(self) -> list[list[list]]:
        """Where each page begins (see pagelist.py)."""
        return weasy.page_starts(self.document)

    @property
    def fetched(self) -> dict[str, str]:
        """Project file → sha256 of the bytes laid out."""
        return dict(self.fetcher.fetched) if self.fetcher else {}

    def cover_pdf(self) -> bytes:
        """A PDF of the first page alone: far cheaper to write than the whole document again."""
        return self.document.copy(self.document.pages[:1]).write_pdf()


def check_stylesheets(project: Project, paths, families: frozenset[str] = frozenset()) -> list[Diagnostic]:
    """Parse each project stylesheet on its own, so a CSS problem is reported at its file and line.
    `families`: those report.yaml's `fonts:` declare, lower-cased.

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
        try:
            with weasy.captured_log() as messages:
                weasyprint.CSS(string=text, base_url=str(project.root) + "/", url_fetcher=_sandbox(project))
        except (AssertionError, ValueError, TypeError, IndexError, KeyError, AttributeError) as exc:
            # WeasyPrint trusts its input in places; hostile CSS must not become an internal error
            errors.append(Diagnostic(shown, None, None, f"CSS cannot be parsed ({type(exc).__name__})"))
            continue
        for message in messages:
            warnings.append(Diagnostic(shown, message.line, message.col, f"CSS: {message.without_position}", "warning"))
    if errors:
        raise ReportError(errors)
    declared = set(families).union(*(font_face_families(text) for _shown, text in texts))
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

    `variant` is report.yaml's `pdf.variant` (see conformance.claim). `fonts_dir` holds the static font instances the HTML declares (see fonts.py).
    CSS warnings are not reported here: `check_stylesheets` reports them with their file.
    """
    import weasyprint

    weasy.prepare()
    fetcher = _sandbox(project, fonts_dir)
    with weasy.captured_log() as messages, time_limit(), gc_paused():  # the build's deadline, in a worker
        document = weasyprint.HTML(string=html, base_url=str(project.root) + "/", url_fetcher=fetcher).render(
            pdf_variant=conformance.claim(variant).written, pdf_tags=True
        )
    errors = list(fetcher.refusals)
    warnings = []
    for message in messages:
        if message.error:
            diagnostic = _layout_error(message, project, fetcher)
            if diagnostic is not None and diagnostic not in errors:
                errors.append(diagnostic)
        elif not message.reported_with_file:
            warnings.append(
                Diagnostic("build", None, None, f"PDF layout: {_without_paths(message.text, project)}", "warning")
            )
    errors.extend(d for d in _local_links(document, project) if d not in errors)
    if errors:
        raise ReportError(errors)
    if CONTINUED_ROW in html and weasy.internals_supported():
        weasy.show_continued_rows(document)  # "(continued)" on the pages after a table's first
    note = weasy.unsupported_note()
    return Layout(document, warnings, fetcher, [note] if note else [])


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


def _layout_error(message: weasy.LogMessage, project: Project, fetcher: SandboxFetcher) -> Diagnostic | None:
    """A WeasyPrint error as a diagnostic at the line that named the resource, with the reason;
    None when the fetcher refused the resource (it reported that already)."""
    from ...fetcher import find_reference

    if message.resource is None or message.url is None:
        if any(reason in message.text for reason in fetcher.refused):
            return None
        return Diagnostic("build", None, None, f"PDF layout: {_without_paths(message.text, project)}")
    url = message.url
    if url in fetcher.refused_urls:
        return None
    where, line, col, written = find_reference(project, url)
    shown = written or _without_paths(url, project)
    if message.cause is None:
        return Diagnostic(where, line, col, f"{message.resource} '{shown}' cannot be drawn")
    reason = _reason(message.cause, url, project)
    return Diagnostic(where, line, col, f"{message.resource} '{shown}' cannot be loaded: {reason}")


def _reason(exception, url: str, project: Project) -> str:
    """Why a resource failed, from the deepest exception that says (WeasyPrint wraps the parser's)."""
    from xml.etree.ElementTree import ParseError

    causes: list[BaseException] = []
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


def write_pdf(layout: Layout, identifier: str, tagged: bool = True, variant: str | None = None) -> bytes:
    """PDF bytes of a layout; tagged (structure tree for assistive technology) unless merged later.
    `variant` is report.yaml's `pdf.variant`: the file claims what conformance.claim says.

    Writing fetches too (attachments): a refusal then fails the build like one during layout.
    """
    already = len(layout.fetcher.refusals) if layout.fetcher else 0
    claim = conformance.claim(variant)
    # an untagged PDF is furniture to stamp onto tagged pages (furniture.py): no variant of its own
    finisher = weasy.metadata_finisher(lambda xmp: conformance.finished_xmp(xmp, claim, identifier)) if tagged else None
    with gc_paused():
        data = layout.document.write_pdf(
            pdf_identifier=identifier.encode("utf-8"),
            pdf_tags=tagged,
            pdf_variant=claim.written if tagged else None,
            finisher=finisher,
        )
    if layout.fetcher and len(layout.fetcher.refusals) > already:
        raise ReportError(layout.fetcher.refusals[already:])
    return data
