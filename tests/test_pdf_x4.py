"""`pdf.variant: pdf/x-4`: PDF/X-4 (ISO 15930-7) with PDF/UA-1 and PDF/A-2a, chunked and single.

There is no PDF/X validator here: each requirement is asserted on the real output with pikepdf,
the PDF/A-2a and PDF/UA-1 halves with page-validation, the syntax with qpdf.
"""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pikepdf
import pytest
from PIL import Image, ImageChops

from report_builder import build

REPORT = "title: Print run\ndate: 2026-03-04\npdf:\n  variant: {variant}\n  print: {{bleed: 3mm, marks: crop}}\n"
ARTICLE = (
    "# {title}\n\nA paragraph with a [link](https://example.org) and <span>text</span>.\n\n"
    "![A red square on white](square.png)\n\n![The same square in a palette](palette.png)\n\n| Year | Value |\n|---|---|\n| 2025 | 1 |\n| 2026 | 2 |\n"
)
#: one article: the single layout; two: chunks merged
LAYOUTS = {"single": ("Alpha",), "chunked": ("Alpha", "Beta")}


def _square(mode: str = "RGB") -> bytes:
    image = Image.new("RGB", (40, 40), (255, 255, 255))
    image.paste((200, 20, 20), (8, 8, 32, 32))
    out = io.BytesIO()
    image.convert(mode).save(out, "PNG")
    return out.getvalue()


def _write(root: Path, titles: tuple[str, ...], variant: str) -> Path:
    (root / "content").mkdir(parents=True)
    (root / "content" / "square.png").write_bytes(_square())
    (root / "content" / "palette.png").write_bytes(_square("P"))
    for index, title in enumerate(titles):
        (root / "content" / f"{index}.md").write_text(ARTICLE.format(title=title), encoding="utf-8")
    (root / "report.yaml").write_text(REPORT.format(variant=variant), encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """built(layout, variant) → (the PDF's bytes of a first build, of a second from scratch, the result)."""
    made: dict = {}

    def get(layout: str, variant: str = "pdf/x-4"):
        if (layout, variant) not in made:
            root = _write(tmp_path_factory.mktemp(layout), LAYOUTS[layout], variant)
            result = build(root, formats=["pdf"])
            first = result.outputs["pdf"].read_bytes()
            shutil.rmtree(root / "build")
            again = build(root, formats=["pdf"])
            made[layout, variant] = (first, again.outputs["pdf"].read_bytes(), again)
        return made[layout, variant]

    return get


def opened(data: bytes) -> pikepdf.Pdf:
    return pikepdf.open(io.BytesIO(data))


@pytest.fixture(scope="module", params=sorted(LAYOUTS))
def x4(request, built):
    """(layout, the PDF/X-4 bytes, the build result) for each layout."""
    first, _again, result = built(request.param)
    return request.param, first, result


def test_the_layouts_are_what_they_say(x4):
    layout, _data, result = x4
    assert (result.chunks > 1) == (layout == "chunked")


@pytest.mark.parametrize("profile", ["ua1", "pdfa-2a"])
def test_pdf_ua_1_and_pdf_a_2a_still_pass(x4, profile, tmp_path):
    import page

    path = tmp_path / "x4.pdf"
    path.write_bytes(x4[1])
    report = page.validate_pdf(str(path), profile=profile)
    assert sorted({f"{failure.rule_id}: {failure.message}" for failure in report.failures}) == []


def test_qpdf_finds_no_fault(x4, tmp_path):
    path = tmp_path / "x4.pdf"
    path.write_bytes(x4[1])
    completed = subprocess.run(["qpdf", "--check", str(path)], capture_output=True, text=True)
    assert (completed.returncode, completed.stderr) == (0, "")
    assert "No syntax or stream encoding errors found" in completed.stdout


def test_one_cmyk_printer_profile_is_the_output_intent_of_pdf_x_and_pdf_a(x4):
    with opened(x4[1]) as pdf:
        intents = list(pdf.Root.OutputIntents)
        assert sorted(str(intent.S) for intent in intents) == ["/GTS_PDFA1", "/GTS_PDFX"]
        assert len({intent.DestOutputProfile.objgen for intent in intents}) == 1  # PDF/A-2 6.2.3
        for intent in intents:
            assert str(intent.OutputConditionIdentifier) == "FOGRA39"
            assert str(intent.RegistryName) == "http://www.color.org"
            assert "/DestOutputProfileRef" not in intent
        profile = intents[0].DestOutputProfile
        header = profile.read_bytes()[:20]
        assert (int(profile.N), header[12:16], header[16:20]) == (4, b"prtr", b"CMYK")


def xmp_values(pdf: pikepdf.Pdf) -> dict[str, str]:
    with pdf.open_metadata() as meta:
        keys = ("pdfxid:GTS_PDFXVersion", "pdfuaid:part", "pdfaid:part", "pdfaid:conformance", "xmp:CreateDate",
                "xmp:ModifyDate", "xmp:MetadataDate", "xmpMM:DocumentID", "xmpMM:VersionID", "xmpMM:RenditionClass")  # fmt: skip
        return {key: str(meta.get(key)) for key in keys}


def test_the_xmp_says_pdf_x_4_pdf_ua_1_and_pdf_a_2a_with_fixed_dates_and_identity(x4):
    with opened(x4[1]) as pdf:
        values = xmp_values(pdf)
    document_id = values.pop("xmpMM:DocumentID")
    assert document_id.startswith("uuid:") and len(document_id) == len("uuid:") + 36
    assert values == {
        "pdfxid:GTS_PDFXVersion": "PDF/X-4",
        "pdfuaid:part": "1",
        "pdfaid:part": "2",
        "pdfaid:conformance": "A",
        "xmp:CreateDate": "2026-03-04",
        "xmp:ModifyDate": "2026-03-04",
        "xmp:MetadataDate": "2026-03-04",
        "xmpMM:VersionID": "1",
        "xmpMM:RenditionClass": "default",
    }


def test_the_information_says_untrapped_titled_and_dated_in_a_pdf_1_6_file_without_encryption(x4):
    with opened(x4[1]) as pdf:
        info = {key: str(value) for key, value in pdf.docinfo.items()}
        assert pdf.pdf_version == "1.6"  # ISO 15930-7: PDF 1.6 at most
        assert not pdf.is_encrypted and "/Encrypt" not in pdf.trailer
        assert len(pdf.trailer.ID) == 2
    assert x4[1].startswith(b"%PDF-1.6\n")
    assert {key: info[key] for key in ("/Trapped", "/GTS_PDFXVersion", "/Title", "/CreationDate", "/ModDate")} == {
        "/Trapped": "/False",
        "/GTS_PDFXVersion": "PDF/X-4",
        "/Title": "Print run",
        "/CreationDate": "D:20260304",
        "/ModDate": "D:20260304",
    }


def test_every_page_has_its_trim_box_inside_its_bleed_box_inside_its_media_box(x4):
    def inside(inner, outer) -> bool:
        return inner[0] >= outer[0] and inner[1] >= outer[1] and inner[2] <= outer[2] and inner[3] <= outer[3]

    with opened(x4[1]) as pdf:
        boxes = [
            [[float(v) for v in page.obj[key]] for key in ("/TrimBox", "/BleedBox", "/MediaBox")] for page in pdf.pages
        ]
    assert len(boxes) > 1
    for trim, bleed, media in boxes:
        assert inside(trim, bleed) and inside(bleed, media) and trim != media


def _painting_objects(pdf: pikepdf.Pdf):
    """Every page and every form XObject and tiling pattern: what has content of its own."""
    for page in pdf.pages:
        yield page.obj
    for obj in pdf.objects:
        if isinstance(obj, pikepdf.Stream) and (obj.get("/Subtype") == "/Form" or obj.get("/PatternType") == 1):
            yield obj


def test_every_page_and_form_xobject_has_an_icc_based_default_rgb(x4):
    with opened(x4[1]) as pdf:
        found = []
        for obj in _painting_objects(pdf):
            space = obj.Resources.ColorSpace.DefaultRGB
            found.append((str(space[0]), int(space[1].N)))
        forms = sum(1 for obj in pdf.objects if isinstance(obj, pikepdf.Stream) and obj.get("/Subtype") == "/Form")
    assert forms > 0  # the furniture, the tags' stand-ins: form XObjects to cover too
    assert set(found) == {("/ICCBased", 3)}


def _device_rgb_names(obj, seen: set, path: str = "") -> list[str]:
    """The places where /DeviceRGB is named as a colour space anywhere in an object."""
    found = []
    if isinstance(obj, (pikepdf.Dictionary, pikepdf.Stream)):
        if obj.is_indirect:
            if obj.objgen in seen:
                return []
            seen.add(obj.objgen)
        for key in list(obj.keys()):
            value = obj.get(key)
            if key in ("/ColorSpace", "/CS") and value == pikepdf.Name.DeviceRGB:
                found.append(f"{path}{key}")
            found.extend(_device_rgb_names(value, seen, f"{path}{key}."))
    elif isinstance(obj, pikepdf.Array):
        for index, item in enumerate(obj):
            if item == pikepdf.Name.DeviceRGB:
                found.append(f"{path}[{index}]")
            found.extend(_device_rgb_names(item, seen, f"{path}[{index}]."))
    return found


def test_no_image_shading_or_group_names_device_rgb(x4):
    with opened(x4[1]) as pdf:
        seen: set = set()
        named = [place for obj in pdf.objects for place in _device_rgb_names(obj, seen)]
        images = [obj for obj in pdf.objects if isinstance(obj, pikepdf.Stream) and obj.get("/Subtype") == "/Image"]
        spaces = [str(image.ColorSpace[0]) for image in images if isinstance(image.ColorSpace, pikepdf.Array)]
    assert named == []
    # the squares (WeasyPrint writes the palette one as RGB too), painted in sRGB
    assert len(images) >= 2 and spaces == ["/ICCBased"] * len(images)


def test_two_builds_from_scratch_give_the_same_bytes(built):
    for layout in LAYOUTS:
        first, again, _result = built(layout)
        assert first == again, layout


def test_the_document_id_is_the_publications_in_both_layouts(built):
    """The same publication (its identifier, from its title) has one xmpMM:DocumentID."""
    ids = set()
    for layout in LAYOUTS:
        with opened(built(layout)[0]) as pdf:
            ids.add(xmp_values(pdf)["xmpMM:DocumentID"])
    assert len(ids) == 1


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_the_pages_look_as_in_the_default_pdf_a_file(built, layout, tmp_path):
    """A viewer shows the PDF/X-4 pages as the PDF/UA-1 and PDF/A-2a ones, pixel for pixel (the
    RGB is the same sRGB, now named by its profile)."""
    pages = []
    for variant in ("pdf/x-4", "pdf/ua-1"):
        path = tmp_path / f"{variant.replace('/', '-')}.pdf"
        path.write_bytes(built(layout, variant)[0])
        subprocess.run(["pdftoppm", "-png", "-r", "60", str(path), str(path.with_suffix(""))], check=True)
        pages.append(sorted(tmp_path.glob(f"{path.stem}-*.png")))
    assert len(pages[0]) == len(pages[1]) > 1
    for x4_page, default_page in zip(*pages):
        difference = ImageChops.difference(Image.open(x4_page).convert("RGB"), Image.open(default_page).convert("RGB"))
        assert difference.getbbox() is None, x4_page.name


def test_the_profile_ships_with_its_licence():
    from importlib.resources import files

    from report_builder.writers.pdf.conformance import PRINT_PROFILE, print_profile

    folder = files("report_builder") / "profiles"
    licence = (folder / "LICENSE").read_text(encoding="utf-8")
    assert PRINT_PROFILE in licence and "zlib" in licence
    assert print_profile()[36:40] == b"acsp"
