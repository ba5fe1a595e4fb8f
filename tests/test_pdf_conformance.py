"""Every PDF is PDF/UA-1 and PDF/A-2a at once, chunked or not; other variants validate or are refused.

The PDFs are the session's builds (conftest.session_builds), checked with page-validation's
rule sets, qpdf and pikepdf.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pikepdf
import pytest

from report_builder import ReportError, build
from report_builder.config import load_config
from report_builder.project import load_project
from report_builder.scaffold import init_project
from report_builder.writers.pdf.conformance import REFUSED

PROJECTS = Path(__file__).resolve().parent / "projects"
#: the sample briefing (one article: the single layout) and every good fixture (chunked but for
#: `minimal`, which has one article)
BUILT = ("sample", *sorted(path.name for path in PROJECTS.iterdir() if path.name != "bad"))
#: the variants page-validation has rule sets for, with the profile of their PDF/A level
VALIDATED = {"pdf/a-2b": "2b", "pdf/a-2u": "2u", "pdf/a-3a": "3a", "pdf/a-3b": "3b", "pdf/a-3u": "3u"}

TWO_ARTICLES = {
    "content/a.md": "# Alpha\n\nThe first article, on its own pages.\n",
    "content/b.md": "# Beta\n\nThe second article, in a chunk of its own.\n",
}


def failures(pdf: Path, profile: str) -> list[str]:
    import page

    report = page.validate_pdf(str(pdf), profile=profile)
    return sorted({f"{failure.rule_id}: {failure.message}" for failure in report.failures})


@pytest.fixture(scope="session")
def init_pdf(tmp_path_factory) -> Path:
    """The PDF of a project made by `report-builder init`, built once."""
    root = init_project(tmp_path_factory.mktemp("init") / "brief")
    return build(root, formats=["pdf"]).outputs["pdf"]


@pytest.fixture(scope="session")
def variant_pdf(tmp_path_factory):
    """variant_pdf(variant) → (the PDF of a two-article project with `pdf.variant: variant`, its chunk count)."""
    made: dict[str, tuple[Path, int]] = {}

    def get(variant: str) -> tuple[Path, int]:
        if variant not in made:
            root = tmp_path_factory.mktemp(variant.replace("/", "-"))
            for relative, text in TWO_ARTICLES.items():
                (root / relative).parent.mkdir(parents=True, exist_ok=True)
                (root / relative).write_text(text, encoding="utf-8")
            (root / "report.yaml").write_text(f"title: T\npdf:\n  variant: {variant}\n", encoding="utf-8")
            result = build(root, formats=["pdf"])
            made[variant] = (result.outputs["pdf"], result.chunks)
        return made[variant]

    return get


def pdf_of(session_builds, name: str) -> Path:
    return session_builds(name, ["pdf"]).outputs["pdf"]


# -- the default: PDF/UA-1 and PDF/A-2a --------------------------------------------------------


@pytest.mark.parametrize("name", BUILT)
def test_every_fixture_pdf_passes_the_pdf_ua_1_rules(session_builds, name):
    assert failures(pdf_of(session_builds, name), "ua1") == []


@pytest.mark.parametrize("name", BUILT)
def test_every_fixture_pdf_passes_the_pdf_a_2a_rules(session_builds, name):
    assert failures(pdf_of(session_builds, name), "2a") == []


@pytest.mark.skipif(shutil.which("qpdf") is None, reason="qpdf is not installed")
@pytest.mark.parametrize("name", BUILT)
def test_qpdf_finds_no_fault_in_any_fixture_pdf(session_builds, name):
    completed = subprocess.run(["qpdf", "--check", str(pdf_of(session_builds, name))], capture_output=True, text=True)
    assert (completed.returncode, completed.stderr) == (0, "")


def test_the_sample_is_laid_out_in_one_go_and_a_multi_article_fixture_in_chunks(session_builds):
    """Both layouts are among the PDFs validated above."""
    from report_builder.writers.pdf import can_chunk

    sample = load_config(load_project(session_builds("sample", ["pdf"]).root))
    multilingual = load_config(load_project(session_builds("multilingual", ["pdf"]).root))
    assert (can_chunk(len(sample.articles or ())), can_chunk(len(multilingual.articles or ()))) == (False, True)


@pytest.mark.parametrize("profile", ["ua1", "2a"])
def test_a_project_made_by_init_passes_the_rules(init_pdf, profile):
    assert failures(init_pdf, profile) == []


def test_the_xmp_claims_pdf_ua_1_and_pdf_a_2a(session_builds):
    with pikepdf.open(pdf_of(session_builds, "multilingual")) as pdf:
        meta = pdf.open_metadata()
        claims = (meta.get("pdfuaid:part"), meta.get("pdfaid:part"), meta.get("pdfaid:conformance"))
    assert claims == ("1", "2", "A")


@pytest.mark.parametrize("name", ["sample", "multilingual"])
def test_the_metadata_stream_is_not_compressed(session_builds, name):
    with pikepdf.open(pdf_of(session_builds, name)) as pdf:
        metadata = pdf.Root.Metadata
        assert ("/Filter" in metadata, metadata.read_raw_bytes()[:9]) == (False, b"<?xpacket")


@pytest.mark.parametrize("name", ["sample", "multilingual"])
def test_the_catalogue_says_the_language_the_title_and_that_it_is_tagged(session_builds, name):
    with pikepdf.open(pdf_of(session_builds, name)) as pdf:
        root = pdf.Root
        found = (str(root.Lang), bool(root.MarkInfo.Marked), bool(root.ViewerPreferences.DisplayDocTitle))
        intents = [str(intent.S) for intent in root.OutputIntents]
    assert found == (load_config(load_project(session_builds(name, ["pdf"]).root)).language, True, True)
    assert intents == ["/GTS_PDFA1"]


def test_no_image_asks_to_be_smoothed_even_when_a_project_stylesheet_asks(write_project):
    """PDF/A rule 6.2.8: /Interpolate is false, whatever `image-rendering` a project sets."""
    png = (PROJECTS / "multilingual" / "content" / "images").glob("*.png")
    image = next(iter(png)).read_bytes()
    root = write_project(
        {
            "styles/custom.css": "img { image-rendering: auto; }\n",
            "content/a.md": "# A\n\n![A picture](images/p.png)\n",
            "content/images/p.png": image,
        }
    )
    pdf_path = build(root, formats=["pdf"]).outputs["pdf"]
    with pikepdf.open(pdf_path) as pdf:
        images = [obj for obj in pdf.objects if isinstance(obj, pikepdf.Stream) and obj.get("/Subtype") == "/Image"]
        assert images and {bool(image.get("/Interpolate", False)) for image in images} == {False}


# -- the other variants ------------------------------------------------------------------------


@pytest.mark.parametrize("variant", sorted(VALIDATED))
def test_a_pdf_a_variant_is_laid_out_in_chunks_and_passes_its_rules_and_pdf_ua_1(variant_pdf, variant):
    pdf, chunks = variant_pdf(variant)
    assert (chunks > 1, failures(pdf, VALIDATED[variant]), failures(pdf, "ua1")) == (True, [], [])


@pytest.mark.parametrize("variant", sorted(VALIDATED))
def test_a_pdf_a_variant_claims_its_level_and_pdf_ua_1(variant_pdf, variant):
    with pikepdf.open(variant_pdf(variant)[0]) as pdf:
        meta = pdf.open_metadata()
        claims = (meta.get("pdfuaid:part"), meta.get("pdfaid:part"), meta.get("pdfaid:conformance"))
    assert claims == ("1", variant[6], variant[7].upper())


def test_pdf_ua_2_claims_pdf_ua_2_in_a_pdf_2_file_without_a_pdf_a_level(variant_pdf):
    pdf_path, chunks = variant_pdf("pdf/ua-2")
    with pikepdf.open(pdf_path) as pdf:
        meta = pdf.open_metadata()
        found = (pdf.pdf_version, meta.get("pdfuaid:part"), meta.get("pdfuaid:rev"), meta.get("pdfaid:part"))
    assert (chunks > 1, found) == (True, ("2.0", "2", "2024", None))


@pytest.mark.skipif(shutil.which("qpdf") is None, reason="qpdf is not installed")
def test_qpdf_finds_no_fault_in_a_pdf_ua_2_file(variant_pdf):
    completed = subprocess.run(["qpdf", "--check", str(variant_pdf("pdf/ua-2")[0])], capture_output=True, text=True)
    assert (completed.returncode, completed.stderr) == (0, "")


@pytest.mark.parametrize("variant", sorted(REFUSED))
def test_a_variant_that_cannot_conform_is_refused_at_its_line(write_project, variant):
    root = write_project({"report.yaml": f"title: T\npdf:\n  variant: {variant}\n"})
    with pytest.raises(ReportError) as raised:
        load_config(load_project(root))
    assert [str(d) for d in raised.value.diagnostics] == [
        f"report.yaml:3:12: error: pdf.variant {variant} cannot be written conforming: {REFUSED[variant]}"
    ]


def test_weasyprint_alone_writes_pdf_x_4_without_an_output_intent_and_in_device_rgb():
    """What the README says WeasyPrint 70 guarantees for pdf/x-4 on its own, and why the builder
    writes PDF/A-2a and adds PDF/X-4 itself (conformance.for_print)."""
    import io

    import weasyprint

    written = weasyprint.HTML(string="<p style='color: red'>x</p>").write_pdf(pdf_variant="pdf/x-4")
    with pikepdf.open(io.BytesIO(written)) as pdf:
        found = ("/OutputIntents" in pdf.Root, b" rg" in pdf.pages[0].Contents.read_bytes())
    assert found == (False, True)


def _mended_page_contents(pdf: pikepdf.Pdf, contents: pikepdf.Stream) -> tuple[bool, bytes]:
    """The one-page PDF `pdf` drawn by `contents`, saved as it is (its stream data
    ending in a carriage return) and mended: whether an ambiguous end is left, what the page draws."""
    import io

    from report_builder.writers.pdf.conformance import unambiguous_stream_ends

    pdf.add_blank_page()
    pdf.pages[0].Contents = contents
    out = io.BytesIO()
    pdf.save(out, compress_streams=False, object_stream_mode=pikepdf.ObjectStreamMode.disable)
    assert b"\r\nendstream" in out.getvalue()
    fixed = unambiguous_stream_ends(out.getvalue())
    with pikepdf.open(io.BytesIO(fixed)) as reread:
        return b"\r\nendstream" in fixed, reread.pages[0].Contents.read_bytes().rstrip()


def test_a_stream_whose_data_ends_in_a_carriage_return_is_written_again_without_one():
    """PDF/A rule 6.1.7.1: a carriage return before the line feed and `endstream` would be read as
    the end-of-line marker, and the stream as a byte shorter than its /Length."""
    pdf = pikepdf.new()
    assert _mended_page_contents(pdf, pdf.make_stream(b"0 0 m 10 10 l S\r")) == (False, b"0 0 m 10 10 l S")


def test_a_stream_whose_end_is_misread_for_another_objects_is_still_written_again():
    """The streams to mend are found by where their ends are in the file, after their object's
    header; a header-like "9 0 obj" in the stream's dictionary misleads that search, and then
    every stream is looked at."""
    import zlib

    drawing = next(text for count in range(2000) if zlib.compress(text := b"0 0 m 10 10 l S " * count).endswith(b"\r"))
    pdf = pikepdf.new()
    contents = pdf.make_stream(b"", Note=pikepdf.String("drawn as in 9 0 obj"))
    contents.write(zlib.compress(drawing), filter=pikepdf.Name.FlateDecode)
    assert _mended_page_contents(pdf, contents) == (False, drawing.rstrip())


# -- figures and their text alternatives -------------------------------------------------------


def structure_elements(pdf: pikepdf.Pdf, tag: str) -> list:
    found, todo = [], [pdf.Root.StructTreeRoot]
    while todo:
        element = todo.pop()
        kids = element.get("/K")
        for kid in kids if isinstance(kids, pikepdf.Array) else [kids] if kids is not None else []:
            if isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") != "/OBJR" and "/S" in kid:
                todo.append(kid)
        if element.get("/S") == tag:
            found.append(element)
    return found


@pytest.mark.parametrize("name", ["sample", "charts", "multilingual"])
def test_every_figure_of_a_fixture_has_its_text_alternative(session_builds, name):
    """Images from Markdown (alt text required) and charts (their title) alike."""
    with pikepdf.open(pdf_of(session_builds, name)) as pdf:
        figures = structure_elements(pdf, "/Figure")
        assert figures and [str(figure.get("/Alt", "")) for figure in figures if not str(figure.get("/Alt", ""))] == []


def test_a_decorative_image_from_the_stylesheet_is_an_artifact_and_the_pdf_conforms(write_project):
    """WCAG technique C9: an ornament goes in the CSS, and WeasyPrint draws a background as an artifact."""
    ornament = next(iter((PROJECTS / "multilingual" / "content" / "images").glob("*.png"))).read_bytes()
    root = write_project(
        {
            "content/a.md": "# A heading with an ornament\n\nText.\n",
            "styles/ornament.png": ornament,
            "styles/custom.css": "h1 { padding-left: 24px; background: url(styles/ornament.png) no-repeat left / 18px; }\n",
        }
    )
    pdf_path = build(root, formats=["pdf"]).outputs["pdf"]
    with pikepdf.open(pdf_path) as pdf:
        figures = structure_elements(pdf, "/Figure")
        drawn = [obj for obj in pdf.objects if isinstance(obj, pikepdf.Stream) and obj.get("/Subtype") == "/Image"]
    assert (len(drawn), figures, failures(pdf_path, "ua1"), failures(pdf_path, "2a")) == (1, [], [], [])


def test_an_object_stream_that_ends_in_a_carriage_return_is_padded_not_left_out():
    """The writer's own object streams end so by chance too: one of its objects gets a key that
    changes the stream's data, and the file keeps its object streams (a third of the size)."""
    import io

    from report_builder.writers.pdf import conformance

    pdf = pikepdf.new()
    pdf.add_blank_page()
    for count in range(600):  # find a set of objects whose object stream ends in a carriage return
        pdf.Root.Extra = pdf.make_indirect(pikepdf.Dictionary(S=pikepdf.String("a" * count)))
        out = io.BytesIO()
        pdf.save(out, deterministic_id=True, object_stream_mode=pikepdf.ObjectStreamMode.generate)
        data = out.getvalue()
        at = data.find(conformance._AMBIGUOUS_END)
        if at != -1 and b"/ObjStm" in data[data.rfind(b" 0 obj", 0, at) : at][:200]:
            break
    else:
        pytest.fail("no object stream ended in a carriage return")
    fixed = conformance.unambiguous_stream_ends(data)
    assert (conformance._AMBIGUOUS_END in fixed, b"/ObjStm" in fixed) == (False, True)
    with pikepdf.open(io.BytesIO(fixed)) as reread:
        padded = [obj for obj in reread.objects if isinstance(obj, pikepdf.Dictionary) and conformance.PAD_KEY in obj]
    assert len(padded) == 1
