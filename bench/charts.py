"""What charts cost a build: the same five-article book with and without twenty charts.

    python bench/charts.py [--runs 3] [--formats pdf,epub,html]

Each article has a prose section, a fact table and, in the charted book, four `{chart}`
directives of it (bar, column, line, area; twelve to fifty-two rows). Every run is a full build
into a fresh output folder, in a subprocess, so nothing is reused between runs but the chart
cache: "cold" runs start with an empty chart cache (every chart drawn), "warm" runs with the
one the previous run filled (every chart read back). The rest of the user cache folder (the
static font instances, the web edition's font subsets) is filled once before the first run, for
both books: it is not what charts cost. The median of the runs is printed,
with the difference from the book without charts measured in the same minutes, and the CPU
seconds the build's processes used (its engines and layout workers included): on a shared
machine the wall-clock time follows the other users' load, the CPU time much less.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CHARTS = ("bar", "column", "line", "area")


def write_book(root: Path, charted: bool) -> None:
    """Five articles; with `charted`, four charts each (twenty in all)."""
    facts = root / "content" / "facts"
    facts.mkdir(parents=True)
    names = []
    for number in range(5):
        name = f"a{number}"
        names.append(f"{name}.md")
        rows = 12 + number * 10
        (facts / f"t{number}.yaml").write_text(
            f"title: Table {number}\nsource: Bench office\ncolumns:\n  - {{key: label, title: Week}}\n"
            "  - {key: value, title: Count, type: number}\n  - {key: other, title: Other, type: number}\nrows:\n"
            + "".join(
                f"  - {{id: r{i}, label: W{i:02d}, value: {(i * 37) % 100 - 30}, other: {(i * 53) % 90}}}\n"
                for i in range(rows)
            ),
            encoding="utf-8",
        )
        body = "\n\n".join(
            "A paragraph of prose about the figures, long enough to be laid out as a paragraph is. " * 6
            for _ in range(4)
        )
        directives = "".join(
            f"\n```{{chart}} t{number}\n:type: {kind}\n{':y: value, other' + chr(10) if kind == 'area' else ''}"
            f":title: {kind.title()} of table {number}\n```\n"
            for kind in CHARTS
            if kind in ("line", "area") or rows <= 40
        )
        if charted and rows > 40:  # more weeks than bars fit a page: lines twice
            directives += "".join(
                f"\n```{{chart}} t{number}\n:type: line\n:y: {column}\n:title: {column} of table {number}\n```\n"
                for column in ("value", "other")
            )
        (root / "content" / f"{name}.md").write_text(
            f"---\ntitle: Article {number}\n---\n\n## Figures\n\n{body}\n\n```{{facts}} t{number}\n```\n"
            + (directives if charted else ""),
            encoding="utf-8",
        )
    (root / "report.yaml").write_text(
        "title: Chart bench\nslug: bench\ndate: 2024-01-01\narticles:\n" + "".join(f"  - {n}\n" for n in names),
        encoding="utf-8",
    )


def timed_build(root: Path, cache: Path, formats: list[str]) -> tuple[float, float]:
    """The build's wall-clock seconds, and the CPU seconds of its processes."""
    shutil.rmtree(root / "build", ignore_errors=True)
    env = {**os.environ, "REPORT_BUILDER_CACHE": str(cache), "PYTHONPATH": str(REPO / "src")}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "report_builder", "build", "--project", str(root), *formats],
        check=True,
        env=env,
        capture_output=True,
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def count_charts(root: Path) -> int:
    return sum(path.read_text(encoding="utf-8").count("{chart}") for path in (root / "content").glob("*.md"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--formats", default="pdf,epub,html")
    args = parser.parse_args()
    formats = args.formats.split(",")
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        plain, charted = base / "plain", base / "charted"
        write_book(plain, charted=False)
        write_book(charted, charted=True)
        load = os.getloadavg()
        # what the user cache folder holds besides the charts, made once for every run: the static
        # font instances and the web edition's font subsets of both books' text (the charted book
        # has text of its own, whose subsets a first build makes whether or not it draws a chart)
        fonts = base / "fonts-cache"
        timed_build(plain, fonts, formats)
        timed_build(charted, fonts, formats)
        shutil.rmtree(fonts / "charts")
        results: dict[str, list[tuple[float, float]]] = {
            "without charts": [],
            "charts, cold cache": [],
            "charts, warm cache": [],
        }
        for run in range(args.runs):
            results["without charts"].append(timed_build(plain, fonts, formats))
            cold = base / f"cold-{run}"
            shutil.copytree(fonts, cold)
            results["charts, cold cache"].append(timed_build(charted, cold, formats))
            results["charts, warm cache"].append(timed_build(charted, cold, formats))
        baseline = statistics.median(wall for wall, _cpu in results["without charts"])
        cpu_baseline = statistics.median(cpu for _wall, cpu in results["without charts"])
        print(f"{count_charts(charted)} charts, formats {','.join(formats)}, median of {args.runs} runs")
        print(
            f"  load average before: {' '.join(f'{v:.2f}' for v in load)}, after: {' '.join(f'{v:.2f}' for v in os.getloadavg())}"
        )
        for label, times in results.items():
            median = statistics.median(wall for wall, _cpu in times)
            cpu = statistics.median(cpu for _wall, cpu in times)
            print(
                f"  {label:20} {median:6.2f} s   {median - baseline:+6.2f} s   {median / baseline:4.2f}x"
                f"   cpu {cpu:6.2f} s {cpu - cpu_baseline:+6.2f} s"
            )


if __name__ == "__main__":
    main()
