"""Benchmark report-builder against bare WeasyPrint and pandoc on synthetic corpora (`make bench`).

    python bench/run.py [--quick] [--sizes 1,10,100,300] [--runs 3] [--budget SECONDS]

Builds the corpora it needs under bench/corpus/, measures every build in its own child
process and prints tables of medians, ratios and, last, the issue's targets marked met or
not met. The same figures go to bench/out/results.json. Nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import json
import os
import platform
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import corpus
from measure import Job, Measurement, interleave, run_once

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
CORPORA = BENCH / "corpus"
RESULTS = BENCH / "out" / "results.json"

SIZES = (1, 10, 100, 300)
QUICK_MAX_SIZE = 100
#: the book the targets are about
REFERENCE_SIZE = 100

#: the floor: WeasyPrint alone, one process, default options, on the print HTML our build wrote
#: (its fonts pointed at the files the build used: see floor_html)
FLOOR_CODE = (
    "import sys, weasyprint; weasyprint.HTML(filename=sys.argv[1], base_url=sys.argv[2]).write_pdf(sys.argv[3])"
)
#: stdout lines of a build between which the print layout happens (its progress steps)
LAYOUT_START, LAYOUT_END = "laying out", "EPUB"


@dataclass
class Size:
    """Every measurement on the N-article book."""

    articles: int
    project: Path
    results: dict[str, Measurement] = field(default_factory=dict)

    def get(self, key: str) -> Measurement | None:
        return self.results.get(key)

    def seconds(self, key: str) -> float | None:
        found = self.results.get(key)
        return found.seconds if found else None


@dataclass
class Bench:
    args: argparse.Namespace
    formats: tuple[str, ...]
    pandoc: str | None
    sizes: dict[int, Size] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def job(self, size: Size, key: str, label: str, argv: list[str], before_each=None) -> Job:
        """A measurement of `argv` on this size, filled in when its job runs."""
        measurement = Measurement(label, _shown_command(argv))
        size.results[key] = measurement
        return Job(measurement, argv, before_each)

    def run(self, *jobs: Job | None, runs: int | None = None) -> None:
        """Run the jobs taking turns (see measure.interleave); None stands for a job not wanted here."""
        wanted = [job for job in jobs if job is not None]
        if wanted:
            interleave(wanted, runs or self.args.runs, self.args.budget, cwd=str(REPO), timeout=self.args.timeout)


# -- what is measured ----------------------------------------------------------------------


def builder_command() -> list[str]:
    """`report-builder` of this interpreter's environment, as a user runs it."""
    script = Path(sys.executable).with_name("report-builder")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "report_builder"]


def available_formats() -> tuple[str, ...]:
    epub = importlib.util.find_spec("report_builder.writers.epub") is not None
    return ("pdf", "epub", "html") if epub else ("pdf", "html")


def measure_size(bench: Bench, articles: int) -> Size:
    project = corpus.write_project(articles, CORPORA / f"N{articles}")
    size = Size(articles, project)
    bench.sizes[articles] = size
    _say(f"N={articles}: {_rel(project)}")
    out = project / "build"
    slug = f"bench-{articles}"

    # warm-up (disk cache, bytecode) that also leaves the print HTML for the floor
    warm_up = bench.job(
        size,
        "warm-up",
        "warm-up with --keep-intermediate",
        _build(project, out / "print", ["pdf"], "--force", "--keep-intermediate"),
    )
    bench.run(warm_up, runs=1)
    print_html = out / "print" / f"{slug}.print.html"

    full = {
        fmt: bench.job(
            size,
            fmt,
            f"full {fmt}",
            _build(project, out / fmt, [fmt], "--force"),
            before_each=lambda _i, folder=out / fmt: shutil.rmtree(folder, ignore_errors=True),
        )
        for fmt in bench.formats
    }
    floor_pdf = out / "floor" / "floor.pdf"
    floor = None
    if warm_up.measurement.ok_runs and print_html.is_file():
        floor_pdf.parent.mkdir(parents=True, exist_ok=True)
        laid_out = floor_html(print_html, out / "print", floor_pdf.with_suffix(".html"))
        floor = bench.job(
            size,
            "floor",
            "floor: bare WeasyPrint",
            [sys.executable, "-c", FLOOR_CODE, _rel(laid_out), _rel(project) + "/", _rel(floor_pdf)],
        )
    pandoc = _pandoc_jobs(bench, size, out) if bench.pandoc else {}
    # what is compared takes turns, so both see the same machine
    bench.run(full["pdf"], floor)
    bench.run(full.get("epub"), pandoc.get("epub"))
    bench.run(full["html"])
    bench.run(pandoc.get("pdf"))
    size.results["pdf"].pages = _pages(out / "pdf" / f"{slug}.pdf")
    if floor is not None:
        floor.measurement.pages = _pages(floor_pdf)
        if floor.measurement.pages != size.results["pdf"].pages:
            floor.measurement.note = (
                f"{floor.measurement.pages} pages against the build's {size.results['pdf'].pages}: "
                "not the same document (fonts not found?)"
            )
    if "pdf" in pandoc:
        pandoc["pdf"].measurement.pages = _pages(out / "pandoc" / "book.pdf")
    if articles == bench.args.reference:
        _measure_incremental(bench, size, out)
    return size


def floor_html(print_html: Path, out: Path, floor: Path) -> Path:
    """The kept print HTML with its fonts where the build found them, written to `floor`.

    The build keeps it naming each font `fonts/NAME.ttf`, not by this machine's folders; laid
    out as it is, WeasyPrint finds none of them and sets the book in the system's fallback
    fonts: another document (a fifth fewer pages, cheaper to lay out), whose cost also changes
    whenever the machine's fonts do.
    """
    from report_builder.fonts import fonts_cache
    from report_builder.output import STATE_DIR

    folders = [fonts_cache(fallback=out / STATE_DIR / "fonts"), out / STATE_DIR / "fonts"]

    def found(match: re.Match) -> str:
        for folder in folders:
            if (folder / match.group(1)).is_file():
                return f"url('{(folder / match.group(1)).as_uri()}')"
        return match.group(0)

    text = re.sub(r"url\('fonts/([^/']+)'\)", found, print_html.read_text(encoding="utf-8"))
    floor.write_text(text, encoding="utf-8")
    return floor


def _pandoc_jobs(bench: Bench, size: Size, out: Path) -> dict[str, Job]:
    """pandoc on the same Markdown files, in report order: md→EPUB and md→PDF through WeasyPrint."""
    sources = [_rel(size.project / "content" / f"{corpus.article_name(i)}.md") for i in range(1, size.articles + 1)]
    common = [
        bench.pandoc,
        "--file-scope",
        "--toc",
        "--metadata",
        "title=Synthetic Briefing",
        "--metadata",
        "lang=en-GB",
    ]
    (out / "pandoc").mkdir(parents=True, exist_ok=True)
    weasyprint = Path(sys.executable).with_name("weasyprint")
    engine = str(weasyprint) if weasyprint.is_file() else "weasyprint"
    return {
        "epub": bench.job(
            size, "pandoc-epub", "pandoc md→EPUB", [*common, "-o", _rel(out / "pandoc" / "book.epub"), *sources]
        ),
        "pdf": bench.job(
            size,
            "pandoc-pdf",
            "pandoc md→PDF",
            [*common, f"--pdf-engine={engine}", "-o", _rel(out / "pandoc" / "book.pdf"), *sources],
        ),
    }


def _measure_incremental(bench: Bench, size: Size, out: Path) -> None:
    """No-op build after a full build; rebuild after editing the middle article, in turns with full builds."""
    every = list(bench.formats)
    full_dir = out / "all"
    bench.run(
        bench.job(
            size,
            "full-all",
            f"full {' '.join(every)}",
            _build(size.project, full_dir, every, "--force"),
            before_each=lambda _i: shutil.rmtree(full_dir, ignore_errors=True),
        )
    )
    _settle(bench, _build(size.project, full_dir, every))
    # a no-op build is cheap: always take at least three
    noop = bench.job(size, "noop", "no-op build", _build(size.project, full_dir, every))
    bench.run(noop, runs=max(3, bench.args.runs))
    busy = [run for run in noop.measurement.ok_runs if not any("nothing to do" in line for _t, line in run.lines)]
    if busy:
        noop.measurement.note = f"{len(busy)} run(s) did not say 'nothing to do' (inputs changed meanwhile?)"

    printed = [fmt for fmt in ("pdf", "epub") if fmt in bench.formats]
    edit_dir, fresh_dir = out / "edit", out / "edit-full"
    _settle(bench, _build(size.project, edit_dir, printed))
    article = size.project / "content" / f"{corpus.article_name(max(1, size.articles // 2))}.md"
    original = article.read_text(encoding="utf-8")
    full = bench.job(
        size,
        "full-print",
        f"full {' '.join(printed)}",
        _build(size.project, fresh_dir, printed, "--force"),
        before_each=lambda _i: shutil.rmtree(fresh_dir, ignore_errors=True),
    )
    edit = bench.job(
        size,
        "edit",
        f"after editing {article.name}",
        _build(size.project, edit_dir, printed),
        before_each=lambda i: article.write_text(edit_article(original, i), encoding="utf-8"),
    )
    try:
        bench.run(edit, full)
    finally:
        article.write_text(original, encoding="utf-8")
    edit.measurement.note = f"one sentence of content/{article.name} changed before each run"
    incomplete = [
        run for run in edit.measurement.ok_runs if sum("wrote" in line for _t, line in run.lines) < len(printed)
    ]
    if incomplete:
        edit.measurement.note += "; some runs did not rewrite every output"


def _settle(bench: Bench, argv: list[str]) -> None:
    """Build until up to date, untimed, so a failed or disturbed last run cannot pass for a rebuild."""
    run = run_once(argv, cwd=str(REPO), timeout=bench.args.timeout)
    if not run.ok:
        last = (run.stderr.strip().splitlines() or ["(no output)"])[-1]
        bench.notes.append(f"preparing `{_shown_command(argv)}` failed: {last}")


def edit_article(text: str, number: int) -> str:
    """The article with a few words added to the first sentence of its second section."""
    second = text.index("\n## ", text.index("\n## ") + 1)
    end = text.index(". ", second)
    return text[:end] + f", as revision {number + 1} of the notes shows" + text[end:]


def _build(project: Path, out: Path, formats: list[str], *options: str) -> list[str]:
    return [*builder_command(), "build", *formats, "--project", _rel(project), "--out", _rel(out), *options]


def _pages(pdf: Path) -> int | None:
    if not pdf.is_file():
        return None
    try:
        from pypdf import PdfReader
    except ImportError:
        import pypdfium2

        return len(pypdfium2.PdfDocument(str(pdf)))
    return len(PdfReader(str(pdf)).pages)


# -- derived figures ------------------------------------------------------------------------


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or not denominator:
        return None
    return numerator / denominator


def ms_per_page(measurement: Measurement | None, pages: int | None) -> float | None:
    if measurement is None or measurement.seconds is None or not pages:
        return None
    return measurement.seconds * 1000 / pages


def epub_without_layout(size: Size) -> float | None:
    """EPUB build time minus its print layout, from the times of the build's progress lines."""
    epub = size.get("epub")
    if epub is None:
        return None

    def without_layout(run):
        layout = run.seconds_between(LAYOUT_START, LAYOUT_END)
        return None if layout is None else run.seconds - layout

    return epub.median_of(without_layout)


def figures(bench: Bench) -> dict:
    """Every ratio the tables and the targets show, by name and N."""
    per_size = {}
    for n, size in bench.sizes.items():
        pdf, floor = size.get("pdf"), size.get("floor")
        pages = pdf.pages if pdf else None
        floor_pages = floor.pages if floor else None
        per_size[n] = {
            "pages": pages,
            "pdf_vs_floor": ratio(size.seconds("pdf"), size.seconds("floor")),
            "rss_vs_floor": ratio(pdf.rss_mib if pdf else None, floor.rss_mib if floor else None),
            "ms_per_page": ms_per_page(pdf, pages),
            "floor_ms_per_page": ms_per_page(floor, floor_pages),
            "epub_without_layout": epub_without_layout(size),
            "epub_vs_pandoc": ratio(epub_without_layout(size), size.seconds("pandoc-epub")),
            "noop_seconds": size.seconds("noop"),
            "noop_share": ratio(size.seconds("noop"), size.seconds("full-all")),
            "edit_vs_full": ratio(size.seconds("edit"), size.seconds("full-print")),
        }
    return per_size


TARGETS = (
    # (key, what, limit, how the measured figure is shown)
    ("pdf_vs_floor", "full PDF build vs bare single-process WeasyPrint", 0.5, "×"),
    ("rss_vs_floor", "peak memory of the largest process vs bare render", 0.6, "×"),
    ("noop", "no-op build", (0.3, 0.05), "s"),
    ("edit_vs_full", "one article edited → PDF + EPUB rebuilt vs full build", 0.25, "×"),
    ("epub_vs_pandoc", "EPUB (excluding layout) vs pandoc md→EPUB", 0.4, "×"),
    ("scaling", "ms per page at 300 articles vs at 100", 1.1, "×"),
)


def targets(bench: Bench, derived: dict) -> list[dict]:
    reference = derived.get(bench.args.reference, {})
    rows = []
    for key, what, limit, unit in TARGETS:
        if key == "noop":
            seconds, share = reference.get("noop_seconds"), reference.get("noop_share")
            measured = None if seconds is None or share is None else (seconds, share)
            shown = "n/a" if measured is None else f"{seconds:.2f} s, {share * 100:.1f} %"
            met = None if measured is None else seconds <= limit[0] and share <= limit[1]
            wanted = f"≤ {limit[0]} s and ≤ {limit[1] * 100:.0f} %"
        else:
            if key == "scaling":
                measured = ratio(derived.get(300, {}).get("ms_per_page"), derived.get(100, {}).get("ms_per_page"))
            else:
                measured = reference.get(key)
            shown = "n/a" if measured is None else f"{measured:.2f}{unit}"
            met = None if measured is None else measured <= limit
            wanted = f"≤ {limit}{unit}"
        rows.append(
            {
                "target": key,
                "what": what,
                "limit": wanted,
                "measured": measured,
                "shown": shown,
                "met": met,
                "why_missing": _why_missing(bench, key) if measured is None else "",
            }
        )
    return rows


#: the measurements each target is computed from
NEEDS = {
    "pdf_vs_floor": ("pdf", "floor"),
    "rss_vs_floor": ("pdf", "floor"),
    "noop": ("noop", "full-all"),
    "edit_vs_full": ("edit", "full-print"),
    "epub_vs_pandoc": ("epub", "pandoc-epub"),
}


def _why_missing(bench: Bench, key: str) -> str:
    if key == "epub_vs_pandoc" and "epub" not in bench.formats:
        return "no EPUB writer in this tree"
    if key == "epub_vs_pandoc" and not bench.pandoc:
        return "pandoc not on PATH"
    if key == "scaling":
        return "needs N=100 and N=300" if not {100, 300} <= set(bench.sizes) else "a PDF build failed"
    size = bench.sizes.get(bench.args.reference)
    if size is None:
        return f"N={bench.args.reference} not measured"
    for needed in NEEDS[key]:
        measurement = size.get(needed)
        if measurement is None or not measurement.runs:
            return f"{needed} not measured"
        if measurement.seconds is None:
            return f"{measurement.label} failed"
    return "the EPUB build printed no layout progress lines"


# -- the printed report ---------------------------------------------------------------------


def _cell(measurement: Measurement | None) -> str:
    if measurement is None:
        return "n/a"
    if not measurement.runs:
        return "not run"
    if measurement.seconds is None:
        return "failed"
    return f"{measurement.seconds:.2f} s [{len(measurement.ok_runs)}]"


def _num(value: float | None, spec: str, suffix: str = "") -> str:
    return "n/a" if value is None else f"{value:{spec}}{suffix}"


def _table(title: str, header: list[str], rows: list[list[str]], left: tuple[int, ...] = (0,)) -> str:
    """A plain-text table: columns in `left` aligned left, the others (figures) right."""
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    lines = [title]
    for row in [header, *rows]:
        cells = [str(cell).ljust(widths[i]) if i in left else str(cell).rjust(widths[i]) for i, cell in enumerate(row)]
        lines.append(("  " + "  ".join(cells)).rstrip())
    return "\n".join(lines)


def report(bench: Bench, derived: dict, target_rows: list[dict], header: dict) -> str:
    sizes = sorted(bench.sizes)
    columns = ["", *[f"N={n}" for n in sizes]]

    def row(label, make):
        return [label, *[make(bench.sizes[n], derived[n]) for n in sizes]]

    def rss(key):
        return lambda s, d: _num(s.get(key).rss_mib if s.get(key) else None, ".0f", " MiB")

    out = [
        f"command:  {header['command']}",
        f"machine:  {header['machine']}",
        f"versions: {header['versions']}",
        f"tree:     {header['tree']}",
        f"runs:     {_runs_policy(bench.args)}; cells show the median [number of runs]",
        f'floor:    python -c "{FLOOR_CODE}" floor.html PROJECT/ floor.pdf',
        "          (floor.html: OUT/SLUG.print.html from `report-builder build pdf --keep-intermediate`,",
        "          its fonts named by the files the build used)",
        "",
    ]
    out.append(
        _table(
            "PDF: full build (--force, default -j) vs the floor",
            columns,
            [
                row("pages", lambda s, d: _num(d["pages"], "d")),
                row("pages, floor", lambda s, d: _num(s.get("floor").pages if s.get("floor") else None, "d")),
                row("report-builder build pdf", lambda s, d: _cell(s.get("pdf"))),
                row("floor", lambda s, d: _cell(s.get("floor"))),
                row("build / floor", lambda s, d: _num(d["pdf_vs_floor"], ".2f", "×")),
                row("ms per page, build", lambda s, d: _num(d["ms_per_page"], ".0f")),
                row("ms per page, floor", lambda s, d: _num(d["floor_ms_per_page"], ".0f")),
                row("peak RSS, build", rss("pdf")),
                row("peak RSS, floor", rss("floor")),
                row("peak RSS build / floor", lambda s, d: _num(d["rss_vs_floor"], ".2f", "×")),
            ],
        )
    )
    out.append("")
    out.append(
        _table(
            "EPUB, HTML and pandoc (full builds)",
            columns,
            [
                row(
                    "report-builder build epub", lambda s, d: _cell(s.get("epub")) if "epub" in bench.formats else "n/a"
                ),
                row("  excluding the print layout", lambda s, d: _num(d["epub_without_layout"], ".2f", " s")),
                row("pandoc md→EPUB", lambda s, d: _cell(s.get("pandoc-epub"))),
                row("EPUB excl. layout / pandoc", lambda s, d: _num(d["epub_vs_pandoc"], ".2f", "×")),
                row("report-builder build html", lambda s, d: _cell(s.get("html"))),
                row("pandoc md→PDF (weasyprint)", lambda s, d: _cell(s.get("pandoc-pdf"))),
                row("  pages", lambda s, d: _num(s.get("pandoc-pdf").pages if s.get("pandoc-pdf") else None, "d")),
                row("peak RSS, build epub", rss("epub")),
                row("peak RSS, pandoc md→PDF", rss("pandoc-pdf")),
            ],
        )
    )
    reference = bench.sizes.get(bench.args.reference)
    if reference is not None:
        d = derived[bench.args.reference]
        out.append("")
        out.append(
            _table(
                f"Rebuilds, N={reference.articles}",
                ["", "wall", "", "command"],
                [
                    [m.label, _cell(m), extra, m.command]
                    for m, extra in (
                        (reference.get("full-all"), ""),
                        (reference.get("noop"), _num(d["noop_share"] and d["noop_share"] * 100, ".1f", " % of full")),
                        (reference.get("full-print"), ""),
                        (reference.get("edit"), _num(d["edit_vs_full"], ".2f", "× full")),
                    )
                    if m is not None
                ],
                left=(0, 3),
            )
        )
    notes = _notes(bench)
    if notes:
        out.append("")
        out.extend(notes)
    out.append("")
    out.append(
        _table(
            f"targets (N={bench.args.reference}, ratios from this run)",
            ["", "target", "measured", ""],
            [
                [
                    t["what"],
                    t["limit"],
                    t["shown"],
                    {True: "met", False: "not met", None: f"n/a ({t['why_missing']})"}[t["met"]],
                ]
                for t in target_rows
            ],
            left=(0, 3),
        )
    )
    return "\n".join(out) + "\n"


def _runs_policy(args) -> str:
    if args.runs == 1:
        return "1 run per measurement" + (" (--quick)" if args.quick else "") + ", 3 for the no-op build"
    return (
        f"up to {args.runs} runs per measurement, fewer when they would take over {args.budget:.0f} s "
        f"(at least 3 for the no-op build)"
    )


def _notes(bench: Bench) -> list[str]:
    notes = [f"note: {text}" for text in bench.notes]
    for n, size in sorted(bench.sizes.items()):
        for measurement in size.results.values():
            if measurement.note:
                notes.append(f"note: N={n} {measurement.label}: {measurement.note}")
            failed = measurement.failed
            if failed is not None:
                last = (failed.stderr.strip().splitlines() or ["(no output)"])[-1]
                notes.append(f"problem: N={n} {measurement.label} exited {failed.exit_code}: {last}")
                notes.append(f"         {measurement.command}")
    return notes


# -- the run --------------------------------------------------------------------------------


def _header(args) -> dict:
    command = " ".join(
        shlex.quote(part) for part in [_rel(Path(sys.executable)), _rel(Path(sys.argv[0]).resolve()), *sys.argv[1:]]
    )
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    load = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    machine = (
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs ({usable} usable), "
        f"{_memory()}, load average {load} at start"
    )
    versions = [f"Python {platform.python_version()}"]
    for name in ("report-builder", "weasyprint", "pypdf"):
        try:
            versions.append(f"{name} {importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            versions.append(f"{name} not installed")
    pandoc = shutil.which("pandoc")
    if pandoc:
        first = subprocess.run([pandoc, "--version"], capture_output=True, text=True).stdout.splitlines()[:1]
        versions.append(first[0] if first else "pandoc")
    else:
        versions.append("pandoc not on PATH")
    return {"command": command, "machine": machine, "versions": ", ".join(versions), "tree": _tree()}


def _memory() -> str:
    try:
        with open("/proc/meminfo") as handle:
            kib = int(handle.readline().split()[1])
        return f"{kib / 1024 / 1024:.1f} GiB RAM"
    except (OSError, ValueError, IndexError):
        return "RAM unknown"


def _tree() -> str:
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "not a git checkout"
    return f"commit {commit}" + (" with uncommitted changes" if dirty else "")


def _rel(path: Path) -> str:
    try:
        return os.path.relpath(path, REPO) if not os.path.relpath(path, REPO).startswith("..") else str(path)
    except ValueError:
        return str(path)


def _shown_command(argv: list[str]) -> str:
    shown = list(argv)
    if shown[:1] == builder_command()[:1]:
        shown = ["report-builder", *shown[len(builder_command()) :]]
    elif shown[0] == sys.executable:
        shown[0] = "python"
    elif Path(shown[0]).name == "pandoc":
        shown[0] = "pandoc"
    shown = ["--pdf-engine=weasyprint" if part.startswith("--pdf-engine=") else part for part in shown]
    if len(shown) > 14:  # pandoc's list of articles
        shown = [*shown[:12], f"… ({len(shown) - 12} more)"]
    return " ".join(shlex.quote(part) for part in shown)


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Benchmark report-builder builds (see the README's Performance section)."
    )
    parser.add_argument("--quick", action="store_true", help=f"one run per measurement, N ≤ {QUICK_MAX_SIZE}")
    parser.add_argument("--sizes", help="comma-separated article counts (default: 1,10,100,300)")
    parser.add_argument("--runs", type=int, default=3, help="runs per measurement at most (default: 3)")
    parser.add_argument(
        "--budget",
        type=float,
        default=300,
        help="seconds one measurement may take; fewer runs beyond it (default: 300)",
    )
    parser.add_argument("--timeout", type=float, default=3600, help="seconds one run may take before it is killed")
    parser.add_argument(
        "--reference",
        type=int,
        default=REFERENCE_SIZE,
        help="the N of the no-op, edit and target figures (default: 100)",
    )
    args = parser.parse_args(argv)
    args.sizes = sorted({int(part) for part in args.sizes.split(",")}) if args.sizes else list(SIZES)
    if args.quick:
        args.runs = 1
        args.sizes = [n for n in args.sizes if n <= QUICK_MAX_SIZE] or [min(args.sizes)]
    if args.reference not in args.sizes:
        args.reference = max(args.sizes)
    return args


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    header = _header(args)
    bench = Bench(args, available_formats(), shutil.which("pandoc"))
    if "epub" not in bench.formats:
        bench.notes.append("EPUB not measured: this tree has no EPUB writer")
    if not bench.pandoc:
        bench.notes.append("pandoc not measured: not on PATH")
    busy = os.getloadavg()[0]
    if busy > (os.cpu_count() or 1) * 0.5:
        bench.notes.append(
            f"the machine was busy when the run started (load average {busy:.1f} on "
            f"{os.cpu_count()} CPUs): times and ratios are less reliable"
        )
    if args.reference != REFERENCE_SIZE:
        bench.notes.append(f"the targets are for N={REFERENCE_SIZE}; this run computes them on N={args.reference}")
    _say(header["command"])
    started = time.perf_counter()
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        for articles in args.sizes:
            measure_size(bench, articles)
            _write_results(bench, header, started, partial=articles != args.sizes[-1])
    except KeyboardInterrupt:
        bench.notes.append(
            f"interrupted after {time.perf_counter() - started:.0f} s: the figures below are those measured until then"
        )
        _write_results(bench, header, started, partial=True)
    derived = figures(bench)
    print(report(bench, derived, targets(bench, derived), header), end="")
    load = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"({time.perf_counter() - started:.0f} s in all, load average {load} at the end; results in {_rel(RESULTS)})")
    return 0


def _interrupt(_signum, _frame):
    raise KeyboardInterrupt


def _write_results(bench: Bench, header: dict, started: float, partial: bool) -> None:
    derived = figures(bench)
    data = {
        **header,
        "partial": partial,
        "elapsed_seconds": time.perf_counter() - started,
        "settings": {
            "sizes": bench.args.sizes,
            "runs": bench.args.runs,
            "budget": bench.args.budget,
            "reference": bench.args.reference,
            "formats": list(bench.formats),
            "floor": FLOOR_CODE,
        },
        "sizes": {str(n): {key: m.to_json() for key, m in size.results.items()} for n, size in bench.sizes.items()},
        "derived": {str(n): values for n, values in derived.items()},
        "targets": targets(bench, derived),
        "notes": _notes(bench),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
