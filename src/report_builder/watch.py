"""`report-builder watch`: rebuild what changed, debounced, and keep going after errors."""

from __future__ import annotations

import sys
from pathlib import Path

from .build import build, output_dir
from .errors import ReportError
from .project import load_project
from .stamps import STATE_DIR

DEBOUNCE_MS = 300


def watch(directory, formats=None, out=None, report=print) -> int:
    from watchfiles import watch as watch_changes

    project = load_project(directory)
    out_dir = output_dir(project, out)
    _build_once(directory, formats, out, report)
    print(f"watching {project.root} for changes (Ctrl-C to stop)", flush=True)

    def relevant(_change, path: str) -> bool:
        candidate = Path(path)
        if out_dir in candidate.parents or STATE_DIR in candidate.parts:
            return False
        return not candidate.name.startswith((".", "#")) and not candidate.name.endswith("~")

    try:
        for changes in watch_changes(project.root, watch_filter=relevant, debounce=DEBOUNCE_MS,
                                     raise_interrupt=False):
            names = sorted({project.display(Path(p)) for _c, p in changes})
            print(f"changed: {', '.join(names)}", flush=True)
            _build_once(directory, formats, out, report)
    except KeyboardInterrupt:
        pass
    return 0


def _build_once(directory, formats, out, report):
    try:
        report(build(directory, formats=formats, out=out))
    except ReportError as exc:
        for diagnostic in exc.diagnostics:
            print(diagnostic, file=sys.stderr, flush=True)
        print("build failed; previous outputs kept. Waiting for the next change.", file=sys.stderr, flush=True)
