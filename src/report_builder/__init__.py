"""report-builder: Markdown articles and fact tables → PDF briefing, EPUB 3 and HTML edition."""

__version__ = "0.1.0"

from .build import BuildResult, build, check  # noqa: E402
from .errors import Diagnostic, ReportError  # noqa: E402

__all__ = ["build", "check", "BuildResult", "ReportError", "Diagnostic", "__version__"]
