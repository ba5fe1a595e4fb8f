"""Synthetic benchmark corpus: N news-like articles with fact tables, as a complete project.

    python bench/corpus.py N OUT_DIR

Each article is about 1,200 words of pseudo-English built from the small vocabulary
below: front matter (title, summary, key points), 3–5 `##` sections, 1–2 attributed
quotes, a bullet list, 1–2 footnotes, and one 8-row fact table that is embedded with
```{facts}``` and cited inline with {fact}`…`. Article i depends only on i, so the
N=10 book is the first ten articles of the N=100 book, and the same N always gives
byte-identical files.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

#: words per article, give or take one paragraph
ARTICLE_WORDS = 1200
#: fixed seed mixed into every article's own generator
SEED = 20251105

PLACES = (
    "Velmora",
    "Ostrany",
    "Kelbridge",
    "Dunmarsh",
    "Haldecourt",
    "Pryvan",
    "Lissenholm",
    "Tarnowe",
    "Bristane",
    "Corvel",
    "Ambrey",
    "Solvik",
    "Marrowdale",
    "Zelenka",
)
FIRST_NAMES = (
    "Anna",
    "Petro",
    "Maria",
    "Oleh",
    "Iryna",
    "Tomas",
    "Elena",
    "Viktor",
    "Sofia",
    "Daniel",
    "Hanna",
    "Marek",
)
LAST_NAMES = (
    "Kovalenko",
    "Brandt",
    "Moroz",
    "Lindqvist",
    "Savchenko",
    "Novak",
    "Harwood",
    "Petrenko",
    "Adler",
    "Marchetti",
    "Bondar",
    "Walsh",
)
ROLES = (
    "a district councillor",
    "a rail dispatcher",
    "the regional governor",
    "a volunteer coordinator",
    "an economist at the state university",
    "a school director",
    "a hospital administrator",
    "a grain trader",
    "a spokesperson for the ministry",
    "a retired engineer",
)
#: (singular, plural)
NOUNS = (
    ("council", "councils"),
    ("budget", "budgets"),
    ("shelter", "shelters"),
    ("railway line", "railway lines"),
    ("harbour", "harbours"),
    ("hospital", "hospitals"),
    ("school", "schools"),
    ("bridge", "bridges"),
    ("market", "markets"),
    ("volunteer", "volunteers"),
    ("generator", "generators"),
    ("convoy", "convoys"),
    ("factory", "factories"),
    ("report", "reports"),
    ("survey", "surveys"),
    ("reservoir", "reservoirs"),
    ("clinic", "clinics"),
    ("depot", "depots"),
    ("road", "roads"),
    ("shipment", "shipments"),
    ("contract", "contracts"),
    ("district", "districts"),
    ("household", "households"),
    ("pension", "pensions"),
)
ADJECTIVES = (
    "regional",
    "temporary",
    "new",
    "northern",
    "local",
    "municipal",
    "emergency",
    "annual",
    "rural",
    "coastal",
    "provisional",
    "public",
    "damaged",
    "crowded",
    "quiet",
    "larger",
    "older",
    "southern",
)
#: (base, third person, past)
VERBS = (
    ("approve", "approves", "approved"),
    ("delay", "delays", "delayed"),
    ("reopen", "reopens", "reopened"),
    ("expand", "expands", "expanded"),
    ("inspect", "inspects", "inspected"),
    ("fund", "funds", "funded"),
    ("repair", "repairs", "repaired"),
    ("count", "counts", "counted"),
    ("postpone", "postpones", "postponed"),
    ("review", "reviews", "reviewed"),
    ("question", "questions", "questioned"),
    ("close", "closes", "closed"),
    ("rebuild", "rebuilds", "rebuilt"),
    ("supply", "supplies", "supplied"),
    ("move", "moves", "moved"),
)
TIMES = (
    "on Monday",
    "on Tuesday",
    "on Thursday",
    "last week",
    "this spring",
    "before the winter",
    "in March",
    "over the summer",
    "by the end of the month",
    "earlier this year",
    "within days",
)
SOURCES = (
    "according to the ministry",
    "officials said",
    "a spokesperson confirmed",
    "the survey found",
    "local media reported",
    "records show",
    "the council said in a statement",
)
SEASONS = ("the first frost", "the harvest", "the school year", "the spring floods", "the next election")


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _number(rng: random.Random, low: int = 12, high: int = 40000) -> str:
    return f"{rng.randint(low, high):,}"


class _Writer:
    """Sentences, paragraphs and headings for one article, from one seeded generator."""

    def __init__(self, rng: random.Random, place: str):
        self.rng = rng
        self.place = place

    def pick(self, options):
        return self.rng.choice(options)

    def noun_phrase(self, plural: bool = False) -> str:
        noun = self.pick(NOUNS)[1 if plural else 0]
        return f"the {self.pick(ADJECTIVES)} {noun}"

    def subject(self) -> str:
        return self.rng.choice(
            (
                lambda: self.noun_phrase(),
                lambda: f"officials in {self.pick(PLACES)}",
                lambda: f"{self.pick(FIRST_NAMES)} {self.pick(LAST_NAMES)}, {self.pick(ROLES)},",
                lambda: f"residents of {self.place}",
                lambda: f"the {self.pick(NOUNS)[0]} in {self.place}",
            )
        )()

    def sentence(self) -> str:
        verb = self.pick(VERBS)
        other = self.pick(VERBS)
        return self.rng.choice(
            (
                lambda: (
                    f"{_cap(self.subject())} {verb[2]} {self.noun_phrase()} {self.pick(TIMES)}, {self.pick(SOURCES)}."
                ),
                lambda: (
                    f"{_cap(self.subject())} {verb[2]} {self.noun_phrase(True)} after {_number(self.rng)} "
                    f"{self.pick(NOUNS)[1]} were {other[2]} in {self.pick(PLACES)}."
                ),
                lambda: (
                    f"In {self.pick(PLACES)}, {self.subject()} {verb[2]} {self.noun_phrase()} "
                    f"and {other[2]} {self.noun_phrase(True)}."
                ),
                lambda: (
                    f"{_cap(self.noun_phrase())} will {verb[0]} {self.noun_phrase(True)} {self.pick(TIMES)}, "
                    f"{self.pick(SOURCES)}."
                ),
                lambda: (
                    f"{_number(self.rng)} {self.pick(NOUNS)[1]} were {verb[2]} {self.pick(TIMES)}, "
                    f"up from {_number(self.rng)} a year earlier."
                ),
                lambda: (
                    f"{_cap(self.noun_phrase())} will need {_number(self.rng, 3, 900)} more "
                    f"{self.pick(NOUNS)[1]} before {self.pick(SEASONS)}, {self.pick(SOURCES)}."
                ),
                lambda: (
                    f"Nobody in {self.place} expected {self.noun_phrase()} to {verb[0]} so quickly, "
                    f"and few were ready to {other[0]} {self.noun_phrase(True)} in its place."
                ),
            )
        )()

    def paragraph(self, sentences: int | None = None) -> list[str]:
        return [self.sentence() for _ in range(sentences or self.rng.randint(3, 6))]

    def heading(self) -> str:
        noun, plural = self.pick(NOUNS)
        return self.rng.choice(
            (
                f"{_cap(self.pick(ADJECTIVES))} {plural} in {self.pick(PLACES)}",
                f"The {noun} question",
                f"What the {noun} shows",
                f"{self.place} after the {noun}",
                f"Counting the {plural}",
            )
        )


def _words(lines) -> int:
    return sum(len(line.split()) for line in lines)


def article_name(index: int) -> str:
    """File stem of article `index` (1-based); also the name of its fact table."""
    return f"a{index:03d}"


def write_article(index: int) -> tuple[str, str]:
    """Return (Markdown, fact table YAML) of article `index`; the same index gives the same text."""
    rng = random.Random(SEED * 1000 + index)
    place = rng.choice(PLACES)
    w = _Writer(rng, place)
    name = article_name(index)
    verb = w.pick(VERBS)
    title = f"{place} {verb[1]} its {w.pick(ADJECTIVES)} {w.pick(NOUNS)[0]}"
    table_yaml, row_ids = _fact_table(rng, name, place)

    sections = rng.randint(3, 5)
    quotes = rng.randint(1, 2)
    footnotes = rng.randint(1, 2)
    budget = ARTICLE_WORDS // sections
    quote_sections = set(rng.sample(range(sections), quotes))
    footnote_sections = rng.sample(range(sections), footnotes)
    list_section = rng.randrange(sections)
    table_section = rng.randrange(sections)

    body: list[str] = []
    for number in range(sections):
        body.append(f"## {w.heading()}")
        section: list[str] = []
        paragraphs = 0
        while _words(section) < budget - 50:
            sentences = w.paragraph()
            if paragraphs == 0 and number == table_section:
                # cite two figures of this article's own table inline
                first, second = rng.sample(row_ids, 2)
                sentences.insert(
                    1,
                    f"The count reached {{fact}}`{name}.{first}`, while {{fact}}`{name}.{second}.share` "
                    f"of {w.noun_phrase(True)} reported the same.",
                )
            if paragraphs == 1 and number in footnote_sections:
                sentences[-1] = sentences[-1] + f"[^{footnote_sections.index(number) + 1}]"
            section.append(" ".join(sentences))
            paragraphs += 1
            if paragraphs == 1 and number in quote_sections:
                speaker = f"{w.pick(FIRST_NAMES)} {w.pick(LAST_NAMES)}, {w.pick(ROLES)}"
                section.append(f"> “{' '.join(w.paragraph(2))}”\n>\n> — {speaker}")
            if paragraphs == 2 and number == list_section:
                section.append("\n".join(f"- {w.sentence()}" for _ in range(rng.randint(4, 6))))
        if number == table_section:
            section.append(f"```{{facts}} {name}\n```")
        body.extend(section)
    for number in range(footnotes):
        body.append(f"[^{number + 1}]: {w.sentence()}")

    key_points = "\n".join(f"  - {w.sentence()}" for _ in range(3))
    front = (
        f"---\ntitle: {title}\nbyline: By {w.pick(FIRST_NAMES)} {w.pick(LAST_NAMES)}\n"
        f"dateline: {place}\ndate: 2025-{1 + index % 12:02d}-{1 + index % 28:02d}\n"
        f"summary: {' '.join(w.paragraph(2))}\nkey_points:\n{key_points}\n---\n"
    )
    return front + "\n" + "\n\n".join(body) + "\n", table_yaml


def _fact_table(rng: random.Random, name: str, place: str) -> tuple[str, list[str]]:
    rows = []
    row_ids = []
    for row in range(8):
        noun = rng.choice(NOUNS)[1]
        row_id = f"r{row + 1}"
        row_ids.append(row_id)
        qualifier = ", qualifier: about" if rng.random() < 0.25 else ""
        share = round(rng.uniform(0.5, 80), 1)
        rows.append(
            f"  - {{id: {row_id}, label: {_cap(rng.choice(ADJECTIVES))} {noun}, "
            f"value: {rng.randint(10, 90000)}, share: {share}{qualifier}}}"
        )
    text = (
        f"title: {place} in figures\nas_of: 2025-01-31\nsource: Synthetic benchmark data\n"
        "columns:\n"
        "  - {key: label, title: Measure}\n"
        "  - {key: value, title: Figure, type: number}\n"
        "  - {key: share, title: Share, type: percent}\n"
        "rows:\n" + "\n".join(rows) + "\n"
    )
    return text, row_ids


def report_yaml(count: int) -> str:
    names = "\n".join(f"  - {article_name(i)}.md" for i in range(1, count + 1))
    return (
        f"title: Synthetic Briefing\nsubtitle: {count} article{'s' if count != 1 else ''}\n"
        f"slug: bench-{count}\nauthors:\n  - Benchmark Desk\npublisher: report-builder bench\n"
        "language: en-GB\ndate: 2025-01-31\nmarking: Synthetic text for benchmarking\n"
        f"articles:\n{names}\npdf:\n  toc: true\n"
    )


def project_files(count: int) -> dict[str, str]:
    """Every file of the N-article project: relative path → text."""
    files = {"report.yaml": report_yaml(count)}
    for index in range(1, count + 1):
        markdown, table = write_article(index)
        files[f"content/{article_name(index)}.md"] = markdown
        files[f"content/facts/{article_name(index)}.yaml"] = table
    return files


def write_project(count: int, root: Path) -> Path:
    """Write the N-article project under `root`; files already identical are left untouched."""
    root = Path(root)
    wanted = project_files(count)
    for relative, text in wanted.items():
        path = root / relative
        data = text.encode("utf-8")
        if path.is_file() and path.read_bytes() == data:
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    # articles of an earlier, larger corpus in the same folder would be listed by nobody, but
    # would still sit in content/: remove them so the folder is exactly the project
    for pattern in ("content/*.md", "content/facts/*.yaml"):
        for path in root.glob(pattern):
            if path.relative_to(root).as_posix() not in wanted:
                path.unlink()
    return root


def main(argv: list[str]) -> int:
    if len(argv) != 2 or not argv[0].isdigit() or int(argv[0]) < 1:
        print("usage: python bench/corpus.py N OUT_DIR", file=sys.stderr)
        return 2
    count = int(argv[0])
    root = write_project(count, Path(argv[1]))
    print(f"wrote {count} article(s) to {root}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
