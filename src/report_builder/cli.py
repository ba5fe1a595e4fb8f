"""Command line: the only place that prints diagnostics and chooses exit codes."""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from pathlib import Path

from . import __version__
from .errors import ReportError

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2
FORMAT_CHOICES = ("pdf", "epub", "html")


def _format(value: str) -> str:
    if value not in FORMAT_CHOICES:
        raise argparse.ArgumentTypeError(f"unknown format {value!r} (choose from {', '.join(FORMAT_CHOICES)})")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="report-builder",
        description="Build a PDF briefing, an EPUB and an HTML edition from Markdown and fact tables.",
    )
    parser.add_argument("--version", action="version", version=f"report-builder {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def common(sub):
        sub.add_argument("--project", default=".", metavar="DIR", help="project folder (default: current)")
        sub.add_argument("-q", "--quiet", action="store_true", help="print errors only")
        sub.add_argument(
            "-v", "--verbose", action="store_true", help="say why each output is rebuilt; tracebacks on internal errors"
        )

    build = commands.add_parser("build", help="build outputs that are out of date")
    build.add_argument(
        "formats",
        nargs="*",
        type=_format,
        metavar="FORMAT",
        help="pdf, epub, html (default: the formats in report.yaml)",
    )
    build.add_argument("--out", metavar="DIR", help="output folder (default: PROJECT/build)")
    build.add_argument("--force", action="store_true", help="rebuild even when up to date")
    build.add_argument("-j", "--jobs", type=int, default=None, metavar="N", help="parallel jobs (default: CPUs)")
    build.add_argument(
        "--keep-intermediate", action="store_true", help="also write the print HTML under the output folder"
    )
    common(build)
    check = commands.add_parser("check", help="validate content without building")
    common(check)
    for sub in (build, check):
        sub.add_argument("--strict", action="store_true", help="treat warnings as errors (exit 1, nothing written)")
        sub.add_argument("--drafts", action="store_true", help="include the articles marked 'draft: true'")
    clean = commands.add_parser("clean", help="remove outputs and build state")
    clean.add_argument("--out", metavar="DIR", help="output folder (default: PROJECT/build)")
    common(clean)
    init = commands.add_parser("init", help="scaffold a new project")
    init.add_argument("directory", metavar="DIR")
    common(init)
    watch = commands.add_parser("watch", help="rebuild on change")
    watch.add_argument("formats", nargs="*", type=_format, metavar="FORMAT")
    watch.add_argument("--out", metavar="DIR")
    common(watch)
    return parser


def run() -> None:
    """The command's entry point: main(), then exit without tearing the interpreter down.

    A large build leaves millions of objects behind; freeing them one by one at exit took a
    third of a second after the outputs were already written.
    """
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: usage errors exit 2, --help/--version exit 0
        return int(exc.code or 0)
    try:
        return _run(args)
    except ReportError as exc:
        for diagnostic in exc.diagnostics:
            print(diagnostic, file=sys.stderr)
        return EXIT_ERROR
    except OSError as exc:  # the output folder is read-only, a file, or the disk is full
        print(f"report-builder: error: {_file_problem(exc, args)}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("report-builder: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # the one place unexpected errors are caught
        if args.verbose:
            traceback.print_exc()
        print(
            f"report-builder: internal error: {type(exc).__name__}: {exc}"
            + ("" if args.verbose else " (run with --verbose for the traceback)"),
            file=sys.stderr,
        )
        return EXIT_ERROR


def _file_problem(exc: OSError, args) -> str:
    """One line for a file the system would not read or write: its path and the system's reason."""
    reason = exc.strerror or str(exc)
    out = _output_folder(args)
    where = Path(exc.filename) if exc.filename else out
    if out is None or where is None:
        return f"{_shown(where)}: {reason}" if where else reason
    if where != out and out not in where.parents and where not in out.parents:
        return f"{_shown(where)}: {reason}"
    if out.exists() and not out.is_dir():
        return f"cannot write to {_shown(out)}: it is a file, not a folder"
    return f"cannot write {_shown(where)}: {reason}"


def _output_folder(args) -> Path | None:
    if args.command not in ("build", "clean", "watch"):
        return None
    from .build import output_dir
    from .project import load_project

    return output_dir(load_project(args.project), args.out)


def _report_build(args, result):
    for warning in result.warnings:
        print(warning, file=sys.stderr)
    if args.verbose and not args.quiet:
        for fmt, reason in result.reasons.items():
            print(f"{fmt}: rebuild ({reason})")
        for note in result.notes:
            print(note)
    for fmt, path in result.outputs.items():
        _say(args, f"{fmt}: wrote {_shown(path)}")
    for fmt, path in result.skipped.items():
        _say(args, f"{fmt}: up to date ({_shown(path)})")
    if result.skipped and not result.outputs:
        _say(args, "nothing to do")


def _shown(path):
    relative = os.path.relpath(path)
    return relative if not relative.startswith("..") else str(path)


def _say(args, message):
    if not args.quiet:
        print(message)


def _progress(args):
    """A step reporter: a live status line on a terminal, plain lines in CI and pipes."""
    if args.quiet:
        return None, lambda: None
    if sys.stdout.isatty() and not os.environ.get("CI"):
        from rich.console import Console

        status = Console().status("building…")
        status.start()
        return (lambda message: status.update(f"{message}…")), status.stop
    return (lambda message: print(f"  {message}", flush=True)), lambda: None


def _run(args) -> int:
    if args.command == "build":
        from .build import build

        step, stop = _progress(args)
        try:
            result = build(
                args.project,
                formats=args.formats or None,
                out=args.out,
                force=args.force,
                jobs=args.jobs,
                keep_intermediate=args.keep_intermediate,
                progress=step,
                strict=args.strict,
                drafts=args.drafts,
            )
        finally:
            stop()
        _report_build(args, result)
        return EXIT_OK
    if args.command == "check":
        from .build import as_errors, check, check_presentation

        publication = check(args.project, drafts=args.drafts)
        warnings = publication.warnings + check_presentation(args.project, publication)
        if args.strict and any(w.severity == "warning" for w in warnings):
            raise ReportError(as_errors([w for w in warnings if w.severity == "warning"]))
        for warning in warnings:
            print(warning, file=sys.stderr)
        if args.verbose and not args.quiet:
            from .facts import describe_table

            for table in publication.tables.values():
                print(describe_table(table))
        _say(args, f"ok: {len(publication.articles)} article(s), {len(publication.tables)} fact table(s)")
        return EXIT_OK
    if args.command == "clean":
        from .build import clean

        removed = clean(args.project, out=args.out)
        _say(args, f"removed {', '.join(removed)}" if removed else "nothing to clean")
        return EXIT_OK
    if args.command == "init":
        from .scaffold import init_project

        path = init_project(args.directory)
        _say(args, f"created a project in {path}; run: report-builder build --project {args.directory}")
        return EXIT_OK
    if args.command == "watch":
        from .watch import watch

        return watch(
            args.project, formats=args.formats or None, out=args.out, report=lambda result: _report_build(args, result)
        )
    return EXIT_USAGE
