"""Orchestration only: load → for each stale output, write → commit → stamp.

`build()` reads top to bottom: which outputs are stale (stamps.py), the publication loaded
once, the print layout made once for the writers that need it (writers/print_layout.py), every
stale output written to bytes by its writer (writers/), then all of them replaced at once
(output.Commit) and stamped with what they were built from.

What only writing needs (the layout, the fonts, the helper processes) is imported once an
output is found stale, so that a build with nothing to do imports none of it.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from . import readlog
from .config import Config, ConfigError, load_config, source_date_epoch
from .deadline import build_deadline
from .errors import Collector, Diagnostic, ReportError
from .labels import label_warnings
from .output import STATE_DIR, Commit, build_lock, output_dir, remove_stale_temporaries, scratch_folder, shown_path
from .project import Project, load_project
from .stamps import State, refuse_changed_inputs
from .writers import FORMATS, WRITERS, Job, PrintEdition, Writer, draw_charts

if TYPE_CHECKING:
    from concurrent.futures import Future, ProcessPoolExecutor

    from .writers.print_layout import PrintSettings

Progress = Callable[[str], None]
#: the state's record of the intermediate print HTML (--keep-intermediate), so `clean` finds it
INTERMEDIATE = "print.html"


@dataclass
class BuildResult:
    outputs: dict[str, Path] = field(default_factory=dict)  # format → file written
    skipped: dict[str, Path] = field(default_factory=dict)  # format → output already up to date
    reasons: dict[str, str] = field(default_factory=dict)  # format → why it was rebuilt
    warnings: list[Diagnostic] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # how outputs were made, for --verbose
    chunks: int = 0  # chunks the print layout was split into (0: laid out in one go, or not at all)
    chunks_laid_out: int = 0  # … of which this build laid out; the rest came from the chunk cache
    forked: tuple[str, ...] = ()  # outputs written in a process of their own meanwhile

    @property
    def chunks_reused(self) -> int:
        return self.chunks - self.chunks_laid_out


@dataclass(frozen=True)
class BuildOptions:
    formats: tuple[str, ...] | None = None  # None: the formats in report.yaml
    out: str | Path | None = None
    force: bool = False
    jobs: int = 1
    keep_intermediate: bool = False
    strict: bool = False
    drafts: bool = False  # articles with `draft: true` included (--drafts)


def build(
    directory: str | Path = ".",
    formats=None,
    out: str | Path | None = None,
    force: bool = False,
    jobs: int | None = None,
    keep_intermediate: bool = False,
    progress: Progress | None = None,
    strict: bool = False,
    drafts: bool = False,
) -> BuildResult:
    """Build the stale outputs of a project; nothing is written unless every output succeeds
    (and, when `strict`, unless there was no warning either).

    The whole build runs against one deadline (see deadline.py).
    """
    options = BuildOptions(
        tuple(formats) if formats else None, out, force, jobs or os.cpu_count() or 1, keep_intermediate, strict, drafts
    )
    say = progress or (lambda message: None)
    with build_deadline() as deadline, readlog.recording(FORMATS) as reads:
        project = load_project(directory)
        config = load_config(project)  # read for every output
        language_warnings = label_warnings(config)
        out_dir = output_dir(project.root, out)
        with build_lock(out_dir), scratch_folder(out_dir):
            remove_stale_temporaries(out_dir)
            remove_stale_temporaries(out_dir / STATE_DIR)
            state = State(out_dir)
            reasons, skipped = _stale_outputs(state, project, config, out_dir, options)
            if not reasons:
                return BuildResult(skipped=skipped, warnings=language_warnings)
            from .fonts import declared_fonts_only, fonts_cache
            from .writers.print_layout import PrintSettings, print_workers

            stale = list(reasons)
            fonts_dir = fonts_cache(fallback=out_dir / STATE_DIR / "fonts")
            needs_layout = any(WRITERS[fmt].needs_print_layout for fmt in stale)
            articles = len(_article_files(project, config)) if needs_layout else 0
            with (
                declared_fonts_only(fonts_dir),
                print_workers(articles, options.jobs) as workers,
            ):
                say("loading content")
                publication = load_publication(project, config, drafts)  # read for every output
                deadline.check()
                if workers is not None:
                    workers.content_loaded()
                settings = PrintSettings(
                    options.jobs, out_dir / STATE_DIR / "chunks", fonts_dir, not force, keep_intermediate
                )
                with source_date_epoch(config):
                    written = _write_outputs(publication, project, stale, settings, workers, say)
            warnings = [*language_warnings, *publication.warnings, *written.warnings]
            if strict and any(w.severity == "warning" for w in warnings):
                raise ReportError(as_errors([w for w in warnings if w.severity == "warning"]))
            refuse_changed_inputs(project, reads)
            stamps = {fmt: state.stamp(fmt, project.root, reads.record_for(fmt)) for fmt in stale}
            if drafts:  # an output with the drafts in is stale for the next build without --drafts
                for stamp in stamps.values():
                    stamp["versions"] = {**stamp["versions"], "drafts": "included"}
            deadline.check()
            deadline.stop()  # from here on, nothing stops the build between one replaced output and the next
            outputs = _commit(out_dir, config, state, written.data, stamps)
    edition = written.edition
    return BuildResult(
        outputs=outputs,
        skipped=skipped,
        reasons=reasons,
        warnings=warnings,
        notes=list(edition.notes) if edition is not None else [],
        chunks=edition.chunks if edition is not None else 0,
        chunks_laid_out=edition.chunks_laid_out if edition is not None else 0,
        forked=written.forked,
    )


def _stale_outputs(
    state: State, project: Project, config: Config, out_dir: Path, options: BuildOptions
) -> tuple[dict[str, str], dict[str, Path]]:
    """(format → why its output must be built, format → the output that is current)."""
    stale, current = {}, {}
    for fmt in (f for f in FORMATS if f in (options.formats or config.formats)):
        target = output_path(out_dir, config, fmt)
        reason = (
            "--force" if options.force else "--drafts" if options.drafts else state.why_stale(fmt, target, project.root)
        )
        if reason is None and not options.keep_intermediate:
            current[fmt] = target
        else:
            stale[fmt] = reason or "--keep-intermediate"
    return stale, current


def output_path(out_dir: Path, config: Config, fmt: str) -> Path:
    if fmt == "html" and config.html.layout == "pages":  # a folder of pages (see writers/html.py)
        return out_dir / config.slug / "index.html"
    return out_dir / f"{config.slug}.{fmt}"


@dataclass(frozen=True)
class _Written:
    data: dict[str, bytes | dict[str, bytes]]  # output (and the kept print HTML) → its bytes (or pages)
    warnings: list[Diagnostic]
    edition: PrintEdition | None  # the print layout, when an output needed it
    forked: tuple[str, ...]  # the outputs written in a process of their own


def _write_outputs(publication, project, formats, settings: PrintSettings, workers, say) -> _Written:
    """Every stale output as bytes, from its writer; the print layout is made once, for all that need it.

    An output that needs no layout is written in a forked process meanwhile, when there is a
    layout to wait for and more than one core.
    """
    from .processes import start_forked, stop_forked

    writers = [WRITERS[fmt] for fmt in formats]
    printed = [writer for writer in writers if writer.needs_print_layout]
    elsewhere = printed and settings.jobs > 1
    forked: dict[str, tuple[ProcessPoolExecutor, Future]] = {}

    from .chart_engine import Engines

    engines = Engines()

    def charts_drawn(articles: tuple[int, ...] | None = None) -> None:
        """The print drawings of the charts of `articles` (a chunk about to be rendered); with
        None, every drawing, the engine stopped, then the outputs that need no layout forked
        (they read the charts)."""
        if articles is not None:
            draw_charts(publication, ["pdf"], engines, articles)
            return
        draw_charts(publication, formats, engines)
        engines.stop()
        for writer in writers:
            started = (
                start_forked(_write_alone, writer, publication, project)
                if elsewhere and writer not in printed
                else None
            )
            if started is not None:
                forked[writer.name] = started

    data: dict[str, bytes | dict[str, bytes]] = {}
    warnings: list[Diagnostic] = []
    failed = True
    try:
        if not printed:
            charts_drawn()
        with readlog.reading_for(writer.name for writer in printed):
            edition, prepared, checked = _print_edition(
                publication, project, printed, settings, workers, say, charts_drawn
            )
        warnings += checked
        for writer in writers:
            if writer.name in _STEPS:
                say(_STEPS[writer.name])
            with readlog.reading_for([writer.name]):
                if writer.name in forked:
                    data[writer.name], record = forked[writer.name][1].result()
                    readlog.absorb(record)
                else:
                    data[writer.name] = writer.write(Job(publication, project, edition, prepared.get(writer.name)))
        if edition is not None and edition.print_html is not None:
            data[INTERMEDIATE] = edition.print_html.encode("utf-8")  # written with the outputs (see _commit)
        failed = False
    finally:
        engines.stop(finished=not failed)  # stopped already, unless the build failed before
        for pool, _future in forked.values():
            stop_forked(pool, failed)  # a failed or timed-out build does not wait for them
    warnings += edition.warnings if edition is not None else ()
    return _Written(data, warnings, edition, tuple(forked))


#: what the progress line says while a writer runs (the PDF's bytes are written with its layout)
_STEPS = {"epub": "assembling EPUB", "html": "rendering HTML edition"}


def _write_alone(
    writer: Writer, publication, project: Project
) -> tuple[bytes | dict[str, bytes], readlog.Record | None]:
    """A writer that needs no print layout, in a forked process (see processes.start_forked):
    its bytes, and what it used (see readlog.Record)."""
    with readlog.reading_for([writer.name]):
        data = writer.write(Job(publication, project))
    log = readlog.active()
    return data, log.record_for(writer.name) if log is not None else None


def _print_edition(
    publication, project: Project, printed: list[Writer], settings: PrintSettings, workers, say, charts_drawn
) -> tuple[PrintEdition | None, dict, list[Diagnostic]]:
    """The print layout for the writers in `printed` (None when there are none), what their
    `prepare` made, and the PDF's warnings about fonts and tables: both made while the layout
    workers are busy, when there are any. `charts_drawn` draws charts before they are rendered
    (see writers.print_layout.lay_out_print)."""
    if not printed:
        return None, {}, []
    from .writers.print_layout import lay_out_print

    prepared = {}
    checked: list[list[Diagnostic]] = []

    def meanwhile() -> None:
        checked.append(_print_warnings(publication, project, printed, settings))
        for writer in printed:
            if writer.prepare is not None:
                with readlog.reading_for([writer.name]):
                    prepared[writer.name] = writer.prepare(publication, project)

    edition = lay_out_print(publication, project, settings, workers, meanwhile, say, charts_drawn)
    if not checked:  # laid out in one go: nothing was made meanwhile
        checked.append(_print_warnings(publication, project, printed, settings))
    return edition, prepared, checked[0]


def _print_warnings(publication, project: Project, printed: list[Writer], settings: PrintSettings) -> list[Diagnostic]:
    """What the PDF's fonts lack and which tables do not fit its pages."""
    if not any(writer.name == "pdf" for writer in printed):
        return []
    from .fonts import font_warnings, printed_sources
    from .tablefit import table_warnings

    return [
        *font_warnings(publication, project, printed_sources(publication, project), settings.fonts),
        *table_warnings(publication),
    ]


def _commit(out_dir: Path, config: Config, state: State, data: dict, stamps: dict) -> dict[str, Path]:
    """Replace the outputs as one (see output.Commit): every temporary written and fsynced first,
    the state marks them pending, all are renamed, and the state records them. Returns the outputs.

    An output may be a folder of pages (the web edition's `html.layout: pages`): its first page,
    `index.html`, is the one the state records."""
    commit = Commit()
    targets = {name: output_path(out_dir, config, name) for name in data}
    try:
        for name, payload in data.items():
            if isinstance(payload, dict):
                for page, content in payload.items():
                    commit.stage(targets[name].parent / page, content, shown_path(targets[name].parent / page))
            else:
                commit.stage(targets[name], payload, shown_path(targets[name]))
        records = {name: state.new_record(targets[name], _main_file(data[name]), stamps.get(name)) for name in data}

        def mark_pending():
            for name, record in records.items():
                state.mark_pending(name, record)
            state.save()

        def record_all():
            for name, record in records.items():
                state.settle(name, record)
            state.save()

        commit.apply(before=mark_pending, after=record_all)
    except BaseException:
        commit.discard()
        raise
    return {fmt: targets[fmt] for fmt in FORMATS if fmt in targets}


def _main_file(payload: bytes | dict[str, bytes]) -> bytes:
    return payload["index.html"] if isinstance(payload, dict) else payload


def as_errors(warnings: list[Diagnostic]) -> list[Diagnostic]:
    """Warnings made errors (`--strict`)."""
    return [replace(warning, severity="error") for warning in warnings]


# -- check: everything a build reads, nothing laid out or written -----------------------------------


def load_publication(project: Project, config: Config | None = None, drafts: bool = False):
    """Read and validate everything; all problems of every file are reported together."""
    from babel.dates import format_date

    from .content import ContentOptions, load_articles
    from .facts import load_fact_tables
    from .model import Publication

    errors = Collector()
    if config is None:
        try:
            config = load_config(project)
        except ConfigError as exc:
            config = exc.partial_config
            errors.extend(exc.diagnostics)
    tables = load_fact_tables(project, config.babel_locale, errors)
    names = _article_files(project, config)
    options = ContentOptions(config.heading_offset, config.toc_depth, drafts)
    warnings: list[Diagnostic] = []
    try:
        articles, facts_used, warnings = load_articles(
            project, names, tables, config.babel_locale, allow_html=config.raw_html, options=options
        )
    except ReportError as exc:
        errors.extend(exc.diagnostics)
        articles, facts_used = [], []
    if not errors.diagnostics and not articles:
        errors.error("report.yaml", None, None, "no articles: add Markdown files to content/")
    errors.raise_if_any()
    return Publication(
        config=config,
        articles=articles,
        tables=tables,
        facts_used=facts_used,
        date_text=format_date(config.date, "long", locale=config.babel_locale),
        warnings=warnings,
    )


def _article_files(project, config):
    if config.articles is None:
        readlog.probe(project.root, "content/*.md")  # a new article is a new input
        return [(p, (None, None)) for p in sorted(project.content_dir.glob("*.md"))]
    positions = config.article_positions or [(None, None)] * len(config.articles)
    return [(project.content_dir / name, pos) for name, pos in zip(config.articles, positions)]


def check(directory: str | Path = ".", drafts: bool = False):
    """Validate the project without building; raises ReportError with every problem."""
    return load_publication(load_project(directory), drafts=drafts)


def check_presentation(directory: str | Path, publication) -> list[Diagnostic]:
    """What `check` adds to the content: the templates render and the project's stylesheets parse.

    Returns the CSS warnings; raises ReportError for template errors or unusable stylesheets.
    Nothing is laid out and nothing is written.
    """
    from .fonts import declared_fonts_only, font_warnings, fonts_cache, printed_sources
    from .render import render_document, style_files
    from .tablefit import table_warnings
    from .writers.pdf import check_stylesheets

    project = load_project(directory)
    fonts_dir = fonts_cache(fallback=output_dir(project.root, None) / STATE_DIR / "fonts")
    errors = Collector()
    warnings: list[Diagnostic] = []
    own_styles = [path for path in style_files(project, "pdf") if project.root in path.resolve().parents]
    try:
        with declared_fonts_only(fonts_dir):
            families = frozenset(font.family.lower() for font in publication.config.fonts)
            warnings = check_stylesheets(project, own_styles, families)  # imports WeasyPrint: its fontconfig too
    except ReportError as exc:
        errors.extend(exc.diagnostics)
    for target in ("pdf", "html"):
        try:
            render_document(publication, project, target)
        except ReportError as exc:
            errors.extend(d for d in exc.diagnostics if d not in errors.diagnostics)
    warnings.extend(label_warnings(publication.config))
    if "pdf" in publication.config.formats:
        warnings.extend(font_warnings(publication, project, printed_sources(publication, project), fonts_dir))
        warnings.extend(table_warnings(publication))
    if errors.diagnostics:
        raise ReportError(errors.diagnostics + warnings)  # the warnings are news too
    return warnings


# -- clean ------------------------------------------------------------------------------------------


def _remove_pages(project: Project, out_dir: Path) -> list[str]:
    """The web edition's folder of pages (`html.layout: pages`), when report.yaml asks for one."""
    try:
        config = load_config(project)
    except ReportError:
        return []
    folder = out_dir / config.slug
    if config.html.layout != "pages" or not (folder / "index.html").is_file():
        return []
    shutil.rmtree(folder)
    return [f"{config.slug}/"]


def clean(directory: str | Path = ".", out: str | Path | None = None) -> list[str]:
    """Remove the outputs and the build state; return what was removed."""
    project = load_project(directory)
    out_dir = output_dir(project.root, out)
    removed: list[str] = []
    if not out_dir.is_dir():
        return removed
    with build_lock(out_dir):
        state = State(out_dir)
        for name in state.outputs():
            path = out_dir / Path(name).name
            if path.is_file():
                path.unlink()
                removed.append(path.name)
        removed.extend(_remove_pages(project, out_dir))
        remove_stale_temporaries(out_dir)
        remove_stale_temporaries(out_dir / STATE_DIR)
        shutil.rmtree(out_dir / STATE_DIR, ignore_errors=True)
    try:
        out_dir.rmdir()  # only when nothing else is left in it
    except OSError:
        pass
    return removed
