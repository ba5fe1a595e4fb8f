"""`report-builder watch`: rebuild what changed, debounced, and keep going after errors."""

from __future__ import annotations

import sys
from pathlib import Path

from .build import build
from .errors import ReportError
from .output import STATE_DIR, output_dir
from .project import load_project

DEBOUNCE_MS = 300
READY_MS = 200  # how often the watcher wakes when nothing changed


def watch(directory, formats=None, out=None, report=print) -> int:
    from watchfiles import watch as watch_changes

    project = load_project(directory)
    out_dir = output_dir(project.root, out)

    def relevant(_change, path: str) -> bool:
        candidate = Path(path)
        if candidate == out_dir or out_dir in candidate.parents or STATE_DIR in candidate.parts:
            return False
        return not candidate.name.startswith((".", "#")) and not candidate.name.endswith("~")

    started = False
    try:
        # The watcher yields an empty set once it is listening: build and announce only then, so an
        # edit saved during the first build, or right after "watching" appears, is never missed.
        for changes in watch_changes(
            project.root,
            watch_filter=relevant,
            debounce=DEBOUNCE_MS,
            rust_timeout=READY_MS,
            yield_on_timeout=True,
            raise_interrupt=False,
        ):
            if not started:
                started = True
                _build_once(directory, formats, out, report)
                print(f"watching {project.root} for changes (Ctrl-C to stop)", flush=True)
                continue
            if not changes:
                continue
            names = sorted({project.display(Path(p)) for _c, p in changes})
            print(f"changed: {', '.join(names)}", flush=True)
            _build_once(directory, formats, out, report)
    except KeyboardInterrupt:
        pass
    return 0


def _build_once(directory, formats, out, report):
    try:
        report(build(directory, formats=formats, out=out))
        sys.stdout.flush()  # each rebuild shows at once, even through a pipe
    except ReportError as exc:
        for diagnostic in exc.diagnostics:
            print(diagnostic, file=sys.stderr, flush=True)
        print("build failed; previous outputs kept. Waiting for the next change.", file=sys.stderr, flush=True)
