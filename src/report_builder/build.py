"""Orchestration only: load → model → for each requested format: render, write."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from babel.dates import format_date

from .config import load_config
from .content import load_articles
from .errors import Collector, Diagnostic, ReportError
from .facts import load_fact_tables
from .model import Publication
from .output import atomic_write, remove_stale_temporaries
from .project import Project, load_project


@dataclass
class BuildResult:
    outputs: dict[str, Path] = field(default_factory=dict)  # format → file written
    skipped: list[str] = field(default_factory=list)  # formats already up to date
    warnings: list[Diagnostic] = field(default_factory=list)


def load_publication(project: Project) -> Publication:
    """Read and validate everything; all problems of every file are reported together."""
    config = load_config(project)
    errors = Collector()
    tables = {}
    try:
        tables = load_fact_tables(project, config.babel_locale)
    except ReportError as exc:
        errors.extend(exc.diagnostics)
    names = _article_files(project, config)
    try:
        articles, facts_used = load_articles(project, names, tables, config.babel_locale)
    except ReportError as exc:
        errors.extend(exc.diagnostics)
        articles, facts_used = [], []
    if not errors.diagnostics and not articles:
        errors.error("report.yaml", None, None, "no articles: add Markdown files to content/")
    errors.raise_if_any()
    return Publication(config=config, articles=articles, tables=tables, facts_used=facts_used,
                       date_text=format_date(config.date, "long", locale=config.babel_locale))


def _article_files(project, config):
    if config.articles is None:
        return [(p, (None, None)) for p in sorted(project.content_dir.glob("*.md"))]
    positions = config.article_positions or [(None, None)] * len(config.articles)
    return [(project.content_dir / name, pos) for name, pos in zip(config.articles, positions)]


def check(directory: str | Path = ".") -> Publication:
    """Validate the project without building; raises ReportError with every problem."""
    return load_publication(load_project(directory))


def build(directory: str | Path = ".", formats=None, out: str | Path | None = None,
          force: bool = False) -> BuildResult:
    project = load_project(directory)
    publication = load_publication(project)
    config = publication.config
    wanted = [f for f in (formats or config.formats)]
    out_dir = Path(out).resolve() if out else project.root / "build"
    remove_stale_temporaries(out_dir)
    result = BuildResult()
    # Render everything before writing anything, so a failure loses no output.
    pending: dict[str, bytes] = {}
    layout = None
    if "pdf" in wanted or "epub" in wanted:
        from .render import render_document
        from .writers.pdf import font_face_css, layout_pdf

        print_html = render_document(publication, project, "pdf", extra_styles=[("fonts.css", font_face_css())])
        layout = layout_pdf(print_html, project, config.identifier)
        result.warnings.extend(layout.warnings)
    if "pdf" in wanted:
        from .writers.pdf import write_pdf

        pending["pdf"] = write_pdf(layout, config.identifier)
    if "epub" in wanted:
        from .writers.epub import write_epub

        pending["epub"] = write_epub(publication, project, layout)
    if "html" in wanted:
        from .render import render_document
        from .writers.html import write_html

        pending["html"] = write_html(render_document(publication, project, "html"))
    for fmt, data in pending.items():
        target = out_dir / f"{config.slug}.{fmt}"
        atomic_write(target, data)
        result.outputs[fmt] = target
    return result
