"""The headless Chromium that the benchmarks and the tests drive through Playwright.

Debian's chromium, never a downloaded browser. The tests load this file by its path
(tests/conftest.py), as they load the benchmark corpus, so both launch the same browser.
"""

from __future__ import annotations

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
