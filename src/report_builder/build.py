"""Orchestration only: load → model → for each stale format: render, write, stamp."""

from __future__ import annotations

import datetime
import fcntl
import os
import re
import shutil
import sys
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

from . import readlog
from .config import Config, load_config
from .deadline import Deadline, build_deadline
from .errors import Collector, Diagnostic, ReportError
from .fonts import PrintFonts, declared_fonts_only, fonts_cache
from .output import Commit, remove_stale_temporaries
from .project import Project, load_project
from .stamps import STATE_DIR, Inputs, State, current_versions, list_files

FORMATS = ("pdf", "epub", "html")
Progress = Callable[[str], None]


@dataclass
class BuildResult:
    outputs: dict[str, Path] = field(default_factory=dict)  # format → file written
    skipped: dict[str, Path] = field(default_factory=dict)  # format → output already up to date
    reasons: dict[str, str] = field(default_factory=dict)  # format → why it was rebuilt
    warnings: list[Diagnostic] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # how outputs were made, for --verbose


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
        except ReportError as exc:
            config = getattr(exc, "partial_config", None)
            if config is None:
                raise
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
        # a draft left out is still an input: publishing it (draft: false) must rebuild
        inputs=[d.path for d in warnings if d.severity == "note"],
    )


def _article_files(project, config):
    if config.articles is None:
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
    from .render import render_document, style_files
    from .writers.pdf.layout import check_stylesheets

    project = load_project(directory)
    errors = Collector()
    warnings: list[Diagnostic] = []
    own_styles = [path for path in style_files(project, "pdf") if project.root in path.resolve().parents]
    try:
        with declared_fonts_only(fonts_cache(fallback=output_dir(project, None) / STATE_DIR / "fonts")):
            warnings = check_stylesheets(project, own_styles)  # imports WeasyPrint: its fontconfig too
    except ReportError as exc:
        errors.extend(exc.diagnostics)
    for target in ("pdf", "html"):
        try:
            render_document(publication, project, target)
        except ReportError as exc:
            errors.extend(d for d in exc.diagnostics if d not in errors.diagnostics)
    if "pdf" in publication.config.formats:
        warnings.extend(font_warnings(publication, project, output_dir(project, None)))
    if errors.diagnostics:
        raise ReportError(errors.diagnostics + warnings)  # the warnings are news too
    return warnings


def output_dir(project: Project, out: str | Path | None) -> Path:
    return Path(out).resolve() if out else project.root / "build"


def output_path(out_dir: Path, config: Config, fmt: str) -> Path:
    return out_dir / f"{config.slug}.{fmt}"


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
    with build_deadline() as deadline:
        return _build(directory, formats, out, force, jobs, keep_intermediate, progress, strict, deadline, drafts)


def _build(
    directory, formats, out, force, jobs, keep_intermediate, progress, strict, deadline: Deadline, drafts=False
) -> BuildResult:
    say = progress or (lambda message: None)
    project = load_project(directory)
    config = load_config(project)
    wanted = [f for f in FORMATS if f in (formats or config.formats)]
    out_dir = output_dir(project, out)
    result = BuildResult()
    with build_lock(out_dir, say):
        remove_stale_temporaries(out_dir)
        remove_stale_temporaries(out_dir / STATE_DIR)
        state = State(out_dir)
        stale = {}
        for fmt in wanted:
            target = output_path(out_dir, config, fmt)
            reason = "--force" if force else "--drafts" if drafts else state.why_stale(fmt, target, project.root)
            if reason is None and not keep_intermediate:
                result.skipped[fmt] = target
            else:
                stale[fmt] = reason or "--keep-intermediate"
        if not stale:
            return result
        result.reasons = stale
        jobs = jobs or os.cpu_count() or 1
        fonts_dir = fonts_cache(fallback=out_dir / STATE_DIR / "fonts")
        with (
            declared_fonts_only(fonts_dir),
            readlog.recording() as reads,
            _layout_workers(project, config, stale, jobs) as workers,
        ):
            say("loading content")
            publication = load_publication(project, config, drafts)
            result.warnings.extend(publication.warnings)
            deadline.check()
            if workers is not None:
                workers.content_loaded()
            # Files read while loading are stamped with the bytes read; the others with their hash
            # now, before rendering reads them (see _stamp_reads).
            snapshots = {
                fmt: state.snapshot(project.root, inputs_of(publication, project, fmt, drafts)) for fmt in stale
            }
            with source_date_epoch(config):
                data = _render_outputs(
                    publication,
                    project,
                    list(stale),
                    jobs,
                    keep_intermediate,
                    out_dir,
                    result,
                    say,
                    use_cache=not force,
                    workers=workers,
                )
        if strict and any(w.severity == "warning" for w in result.warnings):
            raise ReportError(as_errors([w for w in result.warnings if w.severity == "warning"]))
        _refuse_changed_inputs(project, reads)
        for snapshot in snapshots.values():
            _stamp_reads(snapshot, project.root, reads)
        deadline.check()
        deadline.stop()  # from here on, nothing stops the build between one replaced output and the next
        _commit(out_dir, config, state, data, snapshots, result)
    return result


#: the state's record of the intermediate print HTML (--keep-intermediate), so `clean` finds it
INTERMEDIATE = "print.html"


def _commit(out_dir: Path, config: Config, state: State, data: dict[str, bytes], snapshots: dict, result) -> None:
    """Replace the outputs as one (see output.Commit): every temporary written and fsynced first,
    the state marks them pending, all are renamed, and the state records them."""
    commit = Commit()
    targets = {fmt: out_dir / f"{config.slug}.{fmt}" for fmt in data}
    try:
        for fmt, payload in data.items():
            commit.stage(targets[fmt], payload, _shown_output(targets[fmt]))
        records = {fmt: state.new_record(targets[fmt], data[fmt], snapshots.get(fmt)) for fmt in data}

        def mark_pending():
            for fmt, record in records.items():
                state.mark_pending(fmt, record)
            state.save()

        def record_all():
            for fmt, record in records.items():
                state.settle(fmt, record)
            state.save()

        commit.apply(before=mark_pending, after=record_all)
    except BaseException:
        commit.discard()
        raise
    for fmt in FORMATS:
        if fmt in targets:
            result.outputs[fmt] = targets[fmt]


def _shown_output(path: Path) -> str:
    relative = os.path.relpath(path)
    return relative if not relative.startswith("..") else str(path)


def _refuse_changed_inputs(project: Project, reads) -> None:
    """A file that gave two readers of this build different bytes (saved while it was built):
    the editions would disagree, so none replaces the previous ones."""
    if reads.changed:
        raise ReportError(
            [
                Diagnostic(
                    project.display(Path(path)),
                    None,
                    None,
                    "changed while the build was reading it; the previous outputs were kept: build again",
                )
                for path in sorted(reads.changed)
            ]
        )


def _stamp_reads(snapshot: dict, root: Path, reads) -> None:
    """Stamp each input with the digest of the bytes the build used, where it read the file."""
    for name in snapshot["files"]:
        digest = reads.digest(root / name)
        if digest is not None:
            snapshot["files"][name] = digest


@contextmanager
def _layout_workers(project, config, stale, jobs):
    """The worker processes of a chunked print layout, when the build will have one; they start
    before the content is loaded (see chunks.LayoutWorkers)."""
    from .writers.pdf.chunks import LayoutWorkers, can_chunk

    articles = len(_article_files(project, config))
    if not ({"pdf", "epub"} & set(stale)) or not can_chunk(config, articles):
        yield None
        return
    workers = LayoutWorkers(min(jobs, articles + 2))
    try:
        yield workers
    except BaseException:  # a failed build waits neither for their imports nor for their layouts
        workers.kill()
        workers.shutdown(wait=False, cancel_futures=True)
        raise
    workers.shutdown()  # idle by now, they exit at once and are reaped: none outlives the build


def _render_outputs(
    publication, project, formats, jobs, keep_intermediate, out_dir, result, say, use_cache=True, workers=None
):
    """Render every stale output to bytes; the print layout is shared by PDF and EPUB."""
    pending: dict[str, bytes] = {}
    html_job = None
    pool = None
    if "html" in formats and jobs > 1 and ({"pdf", "epub"} & set(formats)):
        # The web edition does not need the print layout: render it in another process meanwhile.
        pool, html_job = _start_html_worker(publication, project)
    try:
        if "pdf" in formats:
            result.warnings.extend(font_warnings(publication, project, out_dir))
        if {"pdf", "epub"} & set(formats):
            drafts = {}

            def render_epub_pages():  # while the layout workers are busy (see layout_chunked)
                from .writers.epub import draft_epub

                drafts["epub"] = draft_epub(publication, project)

            meanwhile = render_epub_pages if "epub" in formats else None
            pdf_bytes, layout = _print_layout(
                publication,
                project,
                jobs,
                keep_intermediate,
                out_dir,
                result,
                say,
                use_cache,
                workers,
                meanwhile,
                pending,
            )
            if "pdf" in formats:
                pending["pdf"] = pdf_bytes
            if "epub" in formats:
                from .writers.epub import write_epub

                say("assembling EPUB")
                pending["epub"] = write_epub(
                    publication, project, layout, pdf_bytes=pdf_bytes, draft=drafts.get("epub")
                )
        if "html" in formats:
            say("rendering HTML edition")
            if html_job is not None:
                pending["html"], digests = html_job.result()
                readlog.merge(digests)
            else:
                pending["html"] = _render_html(publication, project)
    except BaseException:
        if pool is not None:
            kill_workers(pool)  # a failed or timed-out build does not wait for the web edition
        raise
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
            _HTML_JOB.clear()
    return {fmt: pending[fmt] for fmt in (*FORMATS, INTERMEDIATE) if fmt in pending}


def _without_machine_paths(print_html: str) -> str:
    """The kept print HTML names its fonts by file name (`fonts/NAME.ttf`), not by this machine's folders."""
    return re.sub(r"url\('file://[^']*/([^/']+)'\)", r"url('fonts/\1')", print_html)


def kill_workers(pool) -> None:
    """Kill a process pool's workers now (SIGKILL): the build stops, their work is not wanted."""
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        if process.is_alive():
            process.kill()


def _print_layout(
    publication,
    project,
    jobs,
    keep_intermediate,
    out_dir,
    result,
    say,
    use_cache=True,
    workers=None,
    meanwhile=None,
    pending=None,
):
    """Lay out the print edition once: in chunks on several cores when it can, else in one go.

    `meanwhile` is work for the main process while the workers lay out; a single layout leaves it.
    """
    from .render import render_document, style_files
    from .writers.pdf.chunks import layout_chunked
    from .writers.pdf.layout import check_stylesheets, layout_pdf, write_pdf

    config = publication.config
    own_styles = [path for path in style_files(project, "pdf") if project.root in path.resolve().parents]
    result.warnings.extend(check_stylesheets(project, own_styles))
    fonts = print_fonts(project, own_styles, fonts_cache(fallback=out_dir / STATE_DIR / "fonts"))
    chunked = workers is not None  # see _layout_workers: the build decided before loading the content
    if keep_intermediate or not chunked:
        say("rendering print HTML")
        print_html = render_document(publication, project, "pdf", extra_styles=[("fonts.css", fonts.css)])
        if keep_intermediate and pending is not None:  # written with the outputs (see _commit)
            pending[INTERMEDIATE] = _without_machine_paths(print_html).encode("utf-8")
    if chunked:
        say(f"laying out pages on {jobs} core{'s' if jobs > 1 else ''}")
        cache = out_dir / STATE_DIR / "chunks"
        if not use_cache:
            shutil.rmtree(cache, ignore_errors=True)  # --force: lay every chunk out again
        layout = layout_chunked(publication, project, jobs, cache, fonts, workers, meanwhile)
        readlog.merge(layout.fetched)
        result.warnings.extend(layout.warnings)
        how = f"in parallel on {jobs} cores" if jobs > 1 else "in chunks, one after another"
        result.notes.append(
            f"pdf: laid out {how} ({layout.chunks_laid_out} chunk(s) laid out, the rest from the cache)"
        )
        result.notes.extend(layout.notes)
        return layout.pdf, layout
    if jobs > 1 and len(publication.articles) > 1:
        reason = (
            "duplex pages depend on where a chunk starts"
            if config.pdf.duplex
            else f"{config.pdf.variant} is not merged"
        )
        result.notes.append(f"pdf: laid out in one process ({reason})")
    say("laying out pages")
    layout = layout_pdf(print_html, project, config.identifier, variant=config.pdf.variant, fonts_dir=fonts.directory)
    readlog.merge(layout.fetcher.fetched)
    result.warnings.extend(layout.warnings)
    say("writing PDF")
    return write_pdf(layout, config.identifier, variant=config.pdf.variant), layout


def as_errors(warnings: list[Diagnostic]) -> list[Diagnostic]:
    """Warnings made errors (`--strict`)."""
    return [replace(warning, severity="error") for warning in warnings]


def font_warnings(publication, project: Project, out_dir: Path) -> list[Diagnostic]:
    """A warning for each character of the printed sources no declared font covers (see fonts.py)."""
    from .facts import export_text
    from .fonts import covered_characters, font_face_files, uncovered_in
    from .inputs import read_text
    from .render import style_files

    extra = []
    for path in style_files(project, "pdf"):
        if project.root in path.resolve().parents:
            text = read_text(path, project.display(path), inside=project.root)
            extra.extend(font_face_files(text, project.root))
    covered = covered_characters(fonts_cache(fallback=out_dir / STATE_DIR / "fonts"), tuple(extra))
    warnings = []
    for shown in sorted(inputs_of(publication, project, "pdf").files):
        kind = _TEXT_KINDS.get(Path(shown).suffix.lower())
        if kind is not None:
            text = (
                export_text(project, project.root / shown)
                if shown.endswith((".csv", ".tsv"))
                else read_text(project.root / shown, shown, inside=project.root)
            )
            warnings.extend(uncovered_in(text, shown, covered, kind))
            if shown == "report.yaml":
                warnings.extend(_generated_text_warnings(publication, text, covered))
    return warnings


def _generated_text_warnings(publication, report_yaml: str, covered) -> list[Diagnostic]:
    """Dates are written in the publication's language (month names): reported at `language:`."""
    from .fonts import uncovered_in

    dates = "\n".join(sorted({publication.date_text, *(article.date_text for article in publication.articles)}))
    where = re.search(r"^language[ \t]*:[ \t]*", report_yaml, re.MULTILINE)
    line, col = (
        (report_yaml.count("\n", 0, where.end()) + 1, where.end() - where.start() + 1) if where else (None, None)
    )
    language = publication.config.language
    return [
        replace(d, line=line, col=col, message=f"{d.message}, in dates written in {language!r}")
        for d in uncovered_in(dates, "report.yaml", covered)
    ]


#: how the printed sources spell characters (see fonts.uncovered_in); other inputs are not text
_TEXT_KINDS = {
    ".md": "markdown",
    ".yaml": "yaml",
    ".yml": "yaml",
    ".csv": "text",
    ".tsv": "text",
    ".html": "text",
    ".xhtml": "text",
    ".xml": "text",
    ".j2": "text",
    ".jinja": "text",
    ".txt": "text",
    ".svg": "text",
}


def print_fonts(project: Project, own_styles: list[Path], directory: Path) -> PrintFonts:
    """Static instances of the print fonts at the weights the stylesheets use (see fonts.py)."""
    from .fonts import font_face_css, static_faces, weights_in
    from .render import style_files

    builtin = [
        path
        for path in style_files(project, "pdf")
        if path not in own_styles and project.root not in path.absolute().parents
    ]
    texts = [readlog.read_bytes(path).decode("utf-8", errors="replace") for path in (*builtin, *own_styles)]
    faces = static_faces(directory, weights_in(texts))
    return PrintFonts(font_face_css(faces), directory, tuple(faces))


def _render_html(publication, project) -> bytes:
    from .render import render_document
    from .writers.html import write_html

    return write_html(render_document(publication, project, "html"))


#: the publication the HTML worker renders: a forked worker inherits it, nothing is read again
_HTML_JOB: list = []


def _start_html_worker(publication, project):
    """A process rendering the HTML edition of the publication already loaded, or (None, None)
    where processes are not forked (the edition is then rendered in this process)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    if multiprocessing.get_start_method() != "fork":
        return None, None
    _HTML_JOB[:] = [publication, project]
    pool = ProcessPoolExecutor(max_workers=1, initializer=exit_with_parent, initargs=(os.getpid(),))
    return pool, pool.submit(_render_html_in_worker)


def _render_html_in_worker() -> tuple[bytes, dict[str, str]]:
    """Worker: the HTML edition of the inherited publication, and the digests of what it read."""
    publication, project = _HTML_JOB
    log = readlog.active()
    return _render_html(publication, project), dict(log.digests) if log is not None else {}


def inputs_of(publication, project: Project, fmt: str, drafts: bool = False) -> Inputs:
    """Every file one output was built from (see stamps.py)."""
    from .fonts import font_paths
    from .render import STYLESHEETS, style_files, template_files

    config = publication.config
    inputs = Inputs(versions=current_versions())
    if drafts:  # an output with the drafts in is stale for the next build without --drafts
        inputs.versions["drafts"] = "included"
    root = project.root
    inputs.files.add("report.yaml")
    inputs.files.update(publication.inputs)
    for article in publication.articles:
        inputs.files.add(article.path)
        inputs.files.update(image.src for image in article.images)
    used_tables = {u.table for u in publication.facts_used}
    used_tables.update(name for article in publication.articles for name in (*article.tables, *article.charts))
    for table in (publication.tables[name] for name in sorted(used_tables)):
        inputs.files.add(table.path)
        sidecar = (root / table.path).with_suffix(".yaml")
        if table.path.endswith((".csv", ".tsv", ".xlsx")) and sidecar.is_file():
            inputs.files.add(project.display(sidecar))
    if config.articles is None:
        inputs.listings["content/*.md"] = list_files(root, "content/*.md")
    excluded = {"pdf": ("web.html", "epub_"), "html": ("print.html", "epub_"), "epub": ("web.html",)}[fmt]
    for path in template_files(project):
        if not path.name.startswith(excluded):
            _add_file(inputs, project, path, "built-in template")
            # a project file of a built-in template's name would replace it
            inputs.listings[f"templates/{path.name}"] = list_files(root, f"templates/{path.name}")
    # an override may include or extend any other file under templates/, in any subfolder
    inputs.files.update(
        name
        for name in list_files(root, "templates/**/*")
        if ("/" in name.removeprefix("templates/") or not Path(name).name.startswith(excluded))
        and _inside(project, name)
    )
    style_targets = ("pdf", "epub") if fmt == "epub" else (fmt,)  # the EPUB page-list comes from the print layout
    for target in style_targets:
        # a project stylesheet of one of these names would replace or extend the built-in ones
        for name in (*STYLESHEETS[target], "custom.css", f"custom-{target}.css"):
            inputs.listings[f"styles/{name}"] = list_files(root, f"styles/{name}")
    styles = {path for target in style_targets for path in style_files(project, target)}
    if fmt in ("pdf", "epub"):
        for font in font_paths():
            inputs.outside[f"font {font.name}"] = str(font)
    for path in styles:
        _add_file(inputs, project, path, "built-in style")
    if fmt == "epub" and config.epub.cover:
        inputs.files.add(project.display(project.root / config.epub.cover))
    return inputs


def _add_file(inputs, project, path, label):
    resolved = path.resolve()
    if resolved == project.root or project.root in resolved.parents:
        inputs.files.add(project.display(resolved))
    elif project.root in path.absolute().parents:
        pass  # a project file linking outside: refused when rendered, never read for a stamp
    else:
        inputs.outside[f"{label} {resolved.name}"] = str(resolved)


def _inside(project, name: str) -> bool:
    resolved = (project.root / name).resolve()
    return project.root in resolved.parents


@contextmanager
def source_date_epoch(config: Config):
    """Pin SOURCE_DATE_EPOCH to the publication date while rendering.

    Libraries below us stamp the clock unless it is set (fontTools writes it into every font
    subset of the PDF); the publication date is what the outputs must carry. Worker processes
    inherit it.
    """
    previous = os.environ.get("SOURCE_DATE_EPOCH")
    moment = datetime.datetime.combine(config.date, datetime.time(), datetime.UTC)
    os.environ["SOURCE_DATE_EPOCH"] = str(int(moment.timestamp()))
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = previous


def exit_with_parent(parent: int) -> None:
    """Pool initializer: a worker whose build was killed exits instead of waiting for work forever
    (holding the build's stdout and stderr open)."""

    def watch():
        while os.getppid() == parent:
            time.sleep(0.2)
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


@contextmanager
def build_lock(out_dir: Path, say: Progress):
    """One build per output folder at a time; the OS frees the lock if a build is killed.

    A POSIX record lock (lockf) belongs to the process alone: worker processes forked during the
    build do not inherit it, so a worker outliving a killed build cannot keep the next one waiting.
    """
    lock_dir = out_dir / STATE_DIR
    lock_dir.mkdir(parents=True, exist_ok=True)
    with open(lock_dir / "lock", "w") as handle:
        try:
            fcntl.lockf(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except (BlockingIOError, PermissionError):
            print(
                "report-builder: another build of this project is running; waiting for it to finish",
                file=sys.stderr,
                flush=True,
            )
            fcntl.lockf(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.lockf(handle, fcntl.LOCK_UN)


def clean(directory: str | Path = ".", out: str | Path | None = None) -> list[str]:
    """Remove the outputs and the build state; return what was removed."""
    project = load_project(directory)
    out_dir = output_dir(project, out)
    removed = []
    if not out_dir.is_dir():
        return removed
    with build_lock(out_dir, lambda message: None):
        state = State(out_dir)
        for name in state.outputs():
            path = out_dir / Path(name).name
            if path.is_file():
                path.unlink()
                removed.append(path.name)
        remove_stale_temporaries(out_dir)
        remove_stale_temporaries(out_dir / STATE_DIR)
        shutil.rmtree(out_dir / STATE_DIR, ignore_errors=True)
    try:
        out_dir.rmdir()  # only when nothing else is left in it
    except OSError:
        pass
    return removed
