"""The web edition in a real browser (Debian's headless Chromium through Playwright): no sideways
scrolling from 320 px up, a readable measure, in-page links that resolve and zero axe-core
violations, at phone, tablet and desktop widths in light and dark schemes."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import need

AXE = Path(__file__).resolve().parents[1] / ".ci" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
EDITIONS = ("sample", "minimal", "multilingual", "long-table")
WIDTHS = (320, 375, 768, 1440)
SCHEMES = ("light", "dark")
#: axe-core in the light scheme at the three widths, and in the dark one at a phone's: only the
#: colours change with the scheme (its contrast rules), and they are the same at every width
AXE_VIEWS = ((375, "light"), (768, "light"), (1440, "light"), (375, "dark"))
#: characters per line of body paragraphs: the whole screen's width but 0.75rem margins on phones
#: (16px text, never made smaller to reach more: about 35 at 320px, 42 at 375px), 60–75 from
#: tablets up (main's max-width in em of the body face)
MEASURE = {320: (34, 45), 375: (40, 50), 768: (60, 75), 1440: (60, 75)}
#: the smallest body text, in CSS pixels, at any width
BODY_TEXT_PX = 16

#: characters per full line of the article paragraphs (each paragraph's last line left out):
#: each character's line found from its own box
LINE_LENGTH = """() => {
  let chars = 0, lines = 0;
  for (const p of [...document.querySelectorAll('.article-body > p')].slice(0, 12)) {
    const rows = new Map();
    const walker = document.createTreeWalker(p, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      for (let i = 0; i < node.length; i++) {
        const range = document.createRange();
        range.setStart(node, i); range.setEnd(node, i + 1);
        const box = range.getBoundingClientRect();
        if (box.width === 0 && box.height === 0) continue;
        const row = Math.round(box.bottom);
        rows.set(row, (rows.get(row) || 0) + 1);
      }
    }
    const counts = [...rows.entries()].sort((a, b) => a[0] - b[0]).map(e => e[1]);
    counts.pop();
    for (const count of counts) { chars += count; lines += 1; }
  }
  return [chars, lines];
}"""
BROKEN_LINKS = """() => [...document.querySelectorAll('a[href^="#"]')]
  .map(a => decodeURIComponent(a.getAttribute('href').slice(1)))
  .filter(id => !document.getElementById(id))"""


@pytest.fixture(scope="session")
def looked_at(browser, session_builds):
    """looked_at(name, width, scheme) → what the page shows there, each page loaded once."""
    found: dict = {}

    def look(name: str, width: int, scheme: str) -> dict:
        key = (name, width, scheme)
        if key not in found:
            need(AXE.is_file(), f"{AXE} is missing")
            html = session_builds(name, ["html"]).html
            context = browser.new_context(viewport={"width": width, "height": 800}, color_scheme=scheme)
            page = context.new_page()
            page.goto(html.as_uri())
            violations = None
            if (width, scheme) in AXE_VIEWS:
                page.add_script_tag(path=str(AXE))
                violations = page.evaluate(
                    "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
                    ".map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(', '))"
                )
            found[key] = {
                "overflow": page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth"),
                "measure": page.evaluate(LINE_LENGTH) if scheme == "light" else None,
                "broken": page.evaluate(BROKEN_LINKS),
                "violations": violations,
                "first_article": page.evaluate("() => document.querySelector('.article').getBoundingClientRect().top"),
                "body_text": page.evaluate(
                    "() => parseFloat(getComputedStyle(document.querySelector('.article-body > p')).fontSize)"
                ),
            }
            context.close()
        return found[key]

    return look


VIEWS = [(name, width, scheme) for name in EDITIONS for width in WIDTHS for scheme in SCHEMES]


@pytest.mark.parametrize(("name", "width", "scheme"), VIEWS)
def test_web_edition_never_scrolls_sideways(looked_at, name, width, scheme):
    assert looked_at(name, width, scheme)["overflow"] <= 0


@pytest.mark.parametrize(
    ("name", "width", "scheme"), [v for v in VIEWS if v[0] in ("sample", "minimal") and v[2] == "light"]
)
def test_web_edition_body_text_keeps_a_readable_measure(looked_at, name, width, scheme):
    chars, lines = looked_at(name, width, scheme)["measure"]
    low, high = MEASURE[width]
    assert lines > 0 and low <= chars / lines <= high, chars / lines if lines else None


@pytest.mark.parametrize(("name", "width", "scheme"), [v for v in VIEWS if v[2] == "light"])
def test_web_edition_body_text_is_never_smaller_than_16px(looked_at, name, width, scheme):
    assert looked_at(name, width, scheme)["body_text"] >= BODY_TEXT_PX


@pytest.mark.parametrize(("name", "width", "scheme"), VIEWS)
def test_web_edition_in_page_links_all_resolve(looked_at, name, width, scheme):
    assert looked_at(name, width, scheme)["broken"] == []


@pytest.mark.parametrize(("name", "width", "scheme"), [v for v in VIEWS if v[1:] in AXE_VIEWS])
def test_web_edition_has_no_axe_violations(looked_at, name, width, scheme):
    assert looked_at(name, width, scheme)["violations"] == []


@pytest.mark.parametrize("name", EDITIONS)
def test_web_edition_first_article_starts_on_the_first_phone_screen(looked_at, name):
    assert looked_at(name, 375, "light")["first_article"] < 800


def test_printing_from_the_browser_shows_link_addresses_keeps_headings_with_text_and_drops_the_contents(
    browser, session_builds
):
    context = browser.new_context()
    page = context.new_page()
    page.goto(session_builds("minimal", ["html"]).html.as_uri())
    page.emulate_media(media="print")
    found = page.evaluate(
        """() => [getComputedStyle(document.querySelector('a.external'), '::after').content,
                 getComputedStyle(document.querySelector('.article-body h3')).breakAfter,
                 getComputedStyle(document.querySelector('.contents-drawer')).display]"""
    )
    context.close()
    assert found == ['" <https://example.org/report>"', "avoid", "none"]


def test_on_a_phone_the_contents_are_folded_and_the_link_back_unfolds_them(browser, session_builds):
    context = browser.new_context(viewport={"width": 375, "height": 800})
    page = context.new_page()
    page.goto(session_builds("sample", ["html"]).html.as_uri())
    folded = page.evaluate("() => document.getElementById('contents-drawer').open")
    page.click(".to-contents a")
    page.wait_for_function("() => document.getElementById('contents-drawer').open")
    shown = page.evaluate("() => document.querySelector('.toc-articles').getBoundingClientRect().top < innerHeight")
    context.close()
    assert (folded, shown) == (False, True)
