"""PDF writer: lay the print HTML out with WeasyPrint and write the PDF bytes."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from ..errors import Diagnostic, ReportError
from ..fetcher import SandboxFetcher, fonts_roots
from ..project import Project, builtin_dir

#: the fonts every print document uses: (family, file in its package, style)
FONT_FILES = (
    ("Noto Serif", "fontpkg_noto_serif", "NotoSerif[wdth,wght].ttf", "normal"),
    ("Noto Serif", "fontpkg_noto_serif", "NotoSerif-Italic[wdth,wght].ttf", "italic"),
    ("Noto Sans", "fontpkg_noto_sans", "NotoSans[wdth,wght].ttf", "normal"),
    ("Noto Sans", "fontpkg_noto_sans", "NotoSans-Italic[wdth,wght].ttf", "italic"),
)


def font_paths():
    from importlib import import_module

    return [import_module(package).ROOT / "files" / name for _f, package, name, _s in FONT_FILES]


def font_face_css() -> str:
    rules = []
    for (family, _package, _name, style), path in zip(FONT_FILES, font_paths()):
        rules.append(
            f"@font-face {{ font-family: '{family}'; src: url('{path.as_uri()}'); "
            f"font-style: {style}; }}")
    return "\n".join(rules)


@dataclass
class Layout:
    """A laid-out print document, shared by the PDF writer and the EPUB page-list."""

    document: object
    warnings: list[Diagnostic] = field(default_factory=list)

    @property
    def page_count(self) -> int:
        return len(self.document.pages)


class _Capture(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record):
        self.records.append(record)


def layout_pdf(html: str, project: Project, identifier: str) -> Layout:
    """Lay out the print HTML; refused resources and WeasyPrint errors become diagnostics."""
    import weasyprint

    from .layout_fixes import apply_footnote_fix

    apply_footnote_fix()
    fetcher = SandboxFetcher([project.root, builtin_dir("styles"), builtin_dir("templates"), *fonts_roots()])
    capture = _Capture()
    logger = logging.getLogger("weasyprint")
    logger.addHandler(capture)
    try:
        document = weasyprint.HTML(string=html, base_url=str(project.root) + "/", url_fetcher=fetcher).render()
    finally:
        logger.removeHandler(capture)
    errors = [Diagnostic("build", None, None, message) for message in fetcher.refused]
    warnings = []
    for record in capture.records:
        message = record.getMessage()
        if record.levelno >= logging.ERROR and not fetcher.refused:
            errors.append(Diagnostic("build", None, None, f"PDF layout: {message}"))
        elif record.levelno < logging.ERROR:
            warnings.append(Diagnostic("styles", None, None, f"PDF layout: {message}", "warning"))
    if errors:
        raise ReportError(errors)
    return Layout(document, warnings)


def write_pdf(layout: Layout, identifier: str) -> bytes:
    return layout.document.write_pdf(pdf_identifier=identifier.encode("utf-8"), pdf_tags=True)
