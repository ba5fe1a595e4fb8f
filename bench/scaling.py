"""How the cost of footnotes and table rows grows: per-item seconds against the small case.

    python bench/scaling.py [--kinds footnotes,facts,markdown] [--sizes 100,1000,10000]
                            [--stages check,html,epub,pdf] [--profile KIND:SIZE:STAGE]

For each kind of item (footnotes in one article, rows of an embedded fact table, rows of a
Markdown table) and each size, a project is written with that many items and each stage is timed
as its own CLI run (`report-builder check`, `build html`, …), so imports count in every
figure alike. The table prints seconds, seconds per item and the ratio of the per-item cost to
the smallest size measured in the same run. The per-item cost is marginal: the seconds added
since the next smaller size (or an empty case) over the items added, so imports and fixed costs
cancel out. A ratio near 1 is linear, one that grows with the size is not. A size over a limit reports the refusal instead (the limits are the point of the
refusal; the per-item costs below them are what must stay flat).

With --profile, one case is run under cProfile in this process and its top functions printed.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
HEAD = "---\ntitle: Scaling\n---\n\n"


def footnotes(count: int) -> dict[str, str]:
    body = "".join(f"Sentence {i} has a note.[^n{i}]\n\n" for i in range(count))
    notes = "".join(f"[^n{i}]: The note of sentence {i}.\n" for i in range(count))
    return {"content/a.md": HEAD + body + "\n" + notes}


def facts(count: int) -> dict[str, str]:
    rows = "".join(f"  - {{id: r{i}, label: Row {i}, value: {i}}}\n" for i in range(count))
    table = (
        "title: Rows\nsource: Bench\ncolumns:\n  - {key: label, title: Label}\n"
        "  - {key: value, title: Value, type: number}\nrows:\n" + rows
    )
    return {"content/a.md": HEAD + "Text.\n\n```{facts} rows\n```\n", "content/facts/rows.yaml": table}


def markdown(count: int) -> dict[str, str]:
    rows = "".join(f"| Row {i} | {i} |\n" for i in range(count))
    return {"content/a.md": HEAD + "Text.\n\n| Label | Value |\n|---|---:|\n" + rows}


KINDS = {"footnotes": footnotes, "facts": facts, "markdown": markdown}
COMMANDS = {
    "check": ["check"],
    "html": ["build", "html", "--force"],
    "epub": ["build", "epub", "--force"],
    "pdf": ["build", "pdf", "--force"],
}


def write(root: Path, files: dict[str, str]) -> Path:
    files = {"report.yaml": "title: Scaling\narticles:\n  - a.md\n", **files}
    for relative, text in files.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(text, encoding="utf-8")
    return root


def run(root: Path, stage: str) -> tuple[float, str]:
    env = {**os.environ, "PYTHONPATH": str(REPO / "src"), "REPORT_BUILDER_TIME_LIMIT": "0"}
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "report_builder", *COMMANDS[stage], "--project", str(root)],
        capture_output=True,
        text=True,
        env=env,
    )
    seconds = time.perf_counter() - start
    problem = done.stderr.strip().splitlines()[0] if done.returncode else ""
    return seconds, problem


def profile(kind: str, size: int, stage: str) -> None:
    import cProfile
    import pstats

    sys.path.insert(0, str(REPO / "src"))
    from report_builder.build import build, check

    with tempfile.TemporaryDirectory() as folder:
        root = write(Path(folder), KINDS[kind](size))
        call = (lambda: check(root)) if stage == "check" else (lambda: build(root, formats=[stage], force=True))
        profiler = cProfile.Profile()
        profiler.runcall(call)
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kinds", default="footnotes,facts,markdown")
    parser.add_argument("--sizes", default="100,1000,10000")
    parser.add_argument("--stages", default="check,html,epub,pdf")
    parser.add_argument("--profile", help="KIND:SIZE:STAGE, e.g. footnotes:2000:html")
    args = parser.parse_args(argv)
    if args.profile:
        kind, size, stage = args.profile.split(":")
        profile(kind, int(size), stage)
        return 0
    sizes = sorted(int(size) for size in args.sizes.split(","))
    print(f"{'kind':<10} {'stage':<6} {'items':>7} {'seconds':>8} {'ms/item':>8} {'ratio':>6}")
    for kind in args.kinds.split(","):
        for stage in args.stages.split(","):
            with tempfile.TemporaryDirectory() as folder:
                previous, base = (0, run(write(Path(folder) / "empty", KINDS[kind](0)), stage)[0]), None
                for size in sizes:
                    seconds, problem = run(write(Path(folder) / str(size), KINDS[kind](size)), stage)
                    if problem:
                        print(f"{kind:<10} {stage:<6} {size:>7} {seconds:>8.2f}   refused: {problem}", flush=True)
                        continue
                    # the marginal cost of the items added since the last size: fixed costs cancel out
                    per_item = max(seconds - previous[1], 1e-6) / (size - previous[0])
                    base = base or per_item
                    print(
                        f"{kind:<10} {stage:<6} {size:>7} {seconds:>8.2f} {per_item * 1000:>8.3f} "
                        f"{per_item / base:>6.2f}",
                        flush=True,
                    )
                    previous = (size, seconds)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
