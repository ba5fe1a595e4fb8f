"""Edit-to-reload time of `report-builder serve` on the 100-article benchmark book.

    python bench/serve_edit.py [--articles 100] [--runs 5] [--port 0]

Writes the book under bench/corpus/serve-N/, starts `serve` on it, opens the page in Debian's
headless Chromium (Playwright), then, run after run, adds one sentence to one article and
times, from the moment the file was saved:

  detect   until the server saw the change (the watcher's step and debounce)
  rebuild  the HTML edition's rebuild, as the server timed it
  reload   from the rebuilt edition's announcement until the page shows it (changed parts
           replaced in place, or the page reloaded), itself split into
    fetch    … until the page has the new edition's text (the event, the request, the transfer)
    swap     … and until the changed parts are in place
  total    save → reloaded page with the new sentence (the figure the README quotes)
  pdf      save → the PDF and EPUB rebuilt behind the page

and prints the medians. The figures also go to bench/out/serve_edit.json. Nothing asserts a time.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

import corpus
from chromium import CHROMIUM, CHROMIUM_ARGS

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
RESULTS = BENCH / "out" / "serve_edit.json"
#: the article edited: one in the middle of the book
EDITED = "a050.md"
COLUMNS = ("detect", "rebuild", "reload", "fetch", "swap", "total", "pdf")


def start_server(root: Path, port: int) -> tuple[subprocess.Popen, str]:
    log = (root.parent / f"{root.name}.serve.log").open("w")  # outside the project
    environment = {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": str(REPO / "src")}
    process = subprocess.Popen(
        [sys.executable, "-m", "report_builder", "serve", "--port", str(port), "--project", str(root), "-q"],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        env=environment,
    )
    log_path = Path(log.name)
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        found = re.search(r"serving (http://\S+/)", log_path.read_text())
        if found:
            return process, found.group(1)
        if process.poll() is not None:
            raise SystemExit(f"serve exited:\n{log_path.read_text()}")
        time.sleep(0.1)
    raise SystemExit("serve did not start within 10 minutes")


def edit(article: Path, original: str, run: int) -> str:
    """Add one sentence to the article's first paragraph; return the sentence."""
    sentence = f"The edit number {run} reached the page."
    body = original.split("\n---\n", 1)
    article.write_text(f"{body[0]}\n---\n\n{sentence}\n{body[1]}" if len(body) == 2 else original + sentence)
    return sentence


def measure(page, article: Path, original: str, run: int) -> dict[str, float]:
    page.evaluate("() => { window.__reportBuilderShown = undefined; }")
    saved = time.time()
    sentence = edit(article, original, run)
    page.wait_for_function(
        "s => document.body && document.body.textContent.includes(s) && window.__reportBuilderShown",
        arg=sentence,
        polling=20,
        timeout=60_000,
    )
    loaded = page.evaluate("() => window.__reportBuilderShown.at / 1000")
    fetched = page.evaluate("() => (window.__reportBuilderShown.steps.fetched || 0) / 1000") or loaded
    timings = page.evaluate("() => window.__reportBuilderStatus.timings")
    page.wait_for_function(
        "() => Object.values(window.__reportBuilderStatus.background).every(s => s !== 'building')",
        polling=100,
        timeout=600_000,
    )
    behind = time.time()
    return {
        "detect": timings["detected"] - saved,
        "rebuild": timings["rebuild_s"],
        "reload": loaded - timings["built"],
        "fetch": fetched - timings["built"],
        "swap": loaded - fetched,
        "total": loaded - saved,
        "pdf": behind - saved,
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=100)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    root = corpus.write_project(args.articles, BENCH / "corpus" / f"serve-{args.articles}")
    article = root / "content" / EDITED
    original = article.read_text()
    process, url = start_server(root, args.port)
    runs = []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.goto(url)
            page.wait_for_function(
                "() => window.__reportBuilderStatus &&"
                " Object.values(window.__reportBuilderStatus.background).every(s => s !== 'building')",
                timeout=600_000,
            )
            for run in range(1, args.runs + 1):
                runs.append(measure(page, article, original, run))
                print(" ".join(f"{name} {runs[-1][name]:6.3f} s" for name in COLUMNS), flush=True)
            browser.close()
    finally:
        article.write_text(original)
        os.killpg(process.pid, signal.SIGINT)
        process.wait(timeout=30)
    medians = {name: round(statistics.median(run[name] for run in runs), 3) for name in COLUMNS}
    print(
        f"median of {len(runs)} runs, {args.articles} articles: "
        + ", ".join(f"{k} {v:.3f} s" for k, v in medians.items())
    )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({"articles": args.articles, "runs": runs, "median": medians}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
