"""How fast a CSV export loads: rows per second for a generated table of 100,000 rows.

    python bench/facts_load.py [--rows 100000] [--runs 3]

The CSV is written as an export would be: a comma file with thousands separators in quoted
cells, percentages, ISO dates and a key column; the sidecar declares only the key. Each run loads
every fact table of the project (`load_fact_tables`), the stage `check` and every build starts
with; the median run is printed with rows per second. Cells are formatted on first use, so the
figure is the cost of reading, typing and checking every cell.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from report_builder.facts import load_fact_tables  # noqa: E402
from report_builder.project import load_project  # noqa: E402


def write_export(root: Path, rows: int) -> int:
    """A project whose one fact table is a `rows`-row CSV; its size in bytes."""
    facts = root / "content" / "facts"
    facts.mkdir(parents=True)
    (root / "report.yaml").write_text("title: Bench\narticles: []\n", encoding="utf-8")
    lines = ["code,name,population,share,updated\n"]
    lines.extend(
        f'R{i:06d},Region {i},"{(i * 7919) % 9_000_000 + 1000:,}",{i % 1000 / 10:.1f}%,2022-05-{i % 28 + 1:02d}\n'
        for i in range(rows)
    )
    text = "".join(lines)
    (facts / "regions.csv").write_text(text, encoding="utf-8")
    (facts / "regions.yaml").write_text("key: code\n", encoding="utf-8")
    return len(text.encode("utf-8"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        size = write_export(root, args.rows)
        project = load_project(root)
        times = []
        for _ in range(args.runs):
            start = time.perf_counter()
            tables = load_fact_tables(project, "en_GB")
            times.append(time.perf_counter() - start)
        assert len(tables["regions"].rows) == args.rows
        median = statistics.median(times)
        print(
            f"{args.rows:,} rows ({size / 1e6:.1f} MB): {median:.2f} s median of {args.runs}, "
            f"{args.rows / median:,.0f} rows/s"
        )


if __name__ == "__main__":
    main()
