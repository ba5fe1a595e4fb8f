"""What the PDF conforms to: PDF/UA-1 and PDF/A-2a at once unless `pdf.variant` asks otherwise.

WeasyPrint writes one variant (the PDF/A level: its output intent, document ID, annotation
flags, tags); `finished_xmp` adds what the other standard needs to its XMP: the PDF/UA
identifier, the extension schema PDF/A asks for it (rule 6.6.2.3), and a metadata stream left
uncompressed (rule 6.6.2.1); weasy.metadata_finisher writes it, and mends what WeasyPrint 70
gets wrong for both (smoothed images, link annotations under a Span). Each chunk is written
so; the merge keeps the first chunk's catalogue, so the merged file carries the same claims
(see merge.py). `pdf/x-4` is written as PDF/A-2a too; `for_print` then gives the whole file,
merged or single, what PDF/X-4 adds (a CMYK output intent, device-independent RGB, the
information keys) as the page labels are added. Last, `unambiguous_stream_ends` keeps a
stream's end from reading as a line end (rule 6.1.7.1), in a merged file and a single one alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from xml.etree import ElementTree

#: what WeasyPrint writes when report.yaml names no variant
DEFAULT_VARIANT = "pdf/a-2a"

#: the variants WeasyPrint 70 accepts that the builder refuses, and why: none of them would
#: come out conforming (the README's "Accessible and archival PDF" says what to use instead)
REFUSED = {
    "pdf/a-1a": "PDF/A-1 (PDF 1.4) forbids the transparency and object streams this PDF uses; use pdf/a-2a",
    "pdf/a-1b": "PDF/A-1 (PDF 1.4) forbids the transparency and object streams this PDF uses; use pdf/a-2b",
    "pdf/a-4e": "PDF/A-4e is for engineering documents with 3D content; use pdf/a-2a or pdf/a-3a",
    "pdf/a-4f": "PDF/A-4f needs an embedded file and this PDF has none; use pdf/a-3a",
    "pdf/a-4u": "WeasyPrint writes pdf/a-4u with a conformance level PDF/A-4 does not have; use pdf/a-2u or pdf/a-3u",
    "pdf/x-1a": "PDF/X-1a needs every colour in CMYK and WeasyPrint writes RGB; use pdf/x-4",
    "pdf/x-3": "PDF/X-3 (PDF 1.3) forbids the transparency this PDF uses; use pdf/x-4",
    "pdf/x-5g": "PDF/X-5g is for files that reference external graphics and this PDF has none; use pdf/x-4",
}

_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_PDFAID = "http://www.aiim.org/pdfa/ns/id/"
_PDFUAID = "http://www.aiim.org/pdfua/ns/id/"
_PDFXID = "http://www.npes.org/pdfx/ns/id/"
_XMP = "http://ns.adobe.com/xap/1.0/"
_XMPMM = "http://ns.adobe.com/xap/1.0/mm/"
_EXTENSION = "http://www.aiim.org/pdfa/ns/extension/"
_SCHEMA = "http://www.aiim.org/pdfa/ns/schema#"
_PROPERTY = "http://www.aiim.org/pdfa/ns/property#"
for _prefix, _uri in (
    ("x", "adobe:ns:meta/"),
    ("rdf", _RDF),
    ("pdfaid", _PDFAID),
    ("pdfuaid", _PDFUAID),
    ("pdfxid", _PDFXID),
    ("xmp", _XMP),
    ("xmpMM", _XMPMM),
    ("pdfaExtension", _EXTENSION),
    ("pdfaSchema", _SCHEMA),
    ("pdfaProperty", _PROPERTY),
):
    ElementTree.register_namespace(_prefix, _uri)

_XMP_START = b'<?xpacket begin="\xef\xbb\xbf" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
_XMP_END = b'\n<?xpacket end="w"?>'


@dataclass(frozen=True)
class Claim:
    """The standards a PDF claims, and the variant WeasyPrint is asked to write for them."""

    written: str  # the WeasyPrint variant: pdf/a-2a, pdf/ua-2, …
    ua: int  # the PDF/UA part (ISO 14289-1 or -2)
    pdfa: int | None  # the PDF/A part (ISO 19005-2, -3), None for none
    level: str | None  # the PDF/A conformance level: A, B or U
    pdfx: int | None = None  # the PDF/X part (4: ISO 15930-7), None for none

    @property
    def names(self) -> tuple[str, ...]:
        """The standards claimed, as a reader names them: ("PDF/UA-1", "PDF/A-2a")."""
        names = [f"PDF/UA-{self.ua}"]
        if self.pdfa is not None and self.level is not None:
            names.append(f"PDF/A-{self.pdfa}{self.level.lower()}")
        if self.pdfx is not None:
            names.append(f"PDF/X-{self.pdfx}")
        return tuple(names)


def claim(variant: str | None) -> Claim:
    """What `pdf.variant` makes: a PDF/A level named there together with PDF/UA-1; `pdf/ua-1`
    (or nothing) PDF/UA-1 with PDF/A-2a; `pdf/ua-2` PDF/UA-2 alone (PDF 2.0, no PDF/A level
    WeasyPrint writes pairs with it); `pdf/x-4` PDF/X-4 with PDF/UA-1 and PDF/A-2a (PDF/A-2 allows
    a PDF/X output intent beside its own when both name one profile, 6.2.3). A refused variant
    never gets here (config.py)."""
    if variant == "pdf/ua-2":
        return Claim(written=variant, ua=2, pdfa=None, level=None)
    if variant == "pdf/x-4":  # WeasyPrint writes PDF/A-2a; for_print adds what PDF/X-4 needs
        return Claim(written=DEFAULT_VARIANT, ua=1, pdfa=2, level="A", pdfx=4)
    written = DEFAULT_VARIANT if variant in (None, "pdf/ua-1") else variant
    assert written not in REFUSED and written.startswith("pdf/a-"), written
    return Claim(written=written, ua=1, pdfa=int(written[6]), level=written[7].upper())


def finished_xmp(xmp: bytes, claim: Claim, identifier: str = "") -> bytes:
    """WeasyPrint's XMP packet with every identifier the claim needs: PDF/A's as it wrote them,
    PDF/UA's added, and for PDF/X-4 its version, the trapping state and the document's
    identity (ISO 15930-7, 6.7); with the extension schemas PDF/A asks for the namespaces it
    does not predefine. `identifier` is the publication's (config.identifier): the same book
    has the same xmpMM:DocumentID in every build."""
    start, end = xmp.index(b"<x:xmpmeta"), xmp.rindex(b"</x:xmpmeta>") + len(b"</x:xmpmeta>")
    meta = ElementTree.fromstring(xmp[start:end])
    rdf = meta.find(f"{{{_RDF}}}RDF")
    assert rdf is not None, "WeasyPrint writes one rdf:RDF"
    present = {key for description in rdf for key in description.attrib}
    if f"{{{_PDFUAID}}}part" not in present:
        identifier_element = ElementTree.SubElement(rdf, f"{{{_RDF}}}Description", {f"{{{_RDF}}}about": ""})
        identifier_element.set(f"{{{_PDFUAID}}}part", str(claim.ua))
    if claim.pdfx is not None:
        rdf.append(_pdfx_description(rdf, claim.pdfx, identifier))
    if claim.pdfa is not None:
        rdf.append(_extension_schemas(claim))
    return _XMP_START + ElementTree.tostring(meta, encoding="utf-8", xml_declaration=False) + _XMP_END


def _pdfx_description(rdf: ElementTree.Element, part: int, identifier: str) -> ElementTree.Element:
    """pdfxid:GTS_PDFXVersion, xmp:MetadataDate (the modification date WeasyPrint wrote, from
    the publication date) and the xmpMM identity PDF/X-4 asks for. The trapping state is the
    document information's /Trapped (for_print): PDF/A-2 predefines no pdf:Trapped, and
    redefining a property of a predefined schema is refused by PDF/A validators."""
    import uuid

    modified = rdf.find(f"{{{_RDF}}}Description/{{{_XMP}}}ModifyDate")
    assert modified is not None and modified.text, "the print HTML always dates the publication"
    description = ElementTree.Element(f"{{{_RDF}}}Description", {f"{{{_RDF}}}about": ""})
    for namespace, name, text in (
        (_PDFXID, "GTS_PDFXVersion", f"PDF/X-{part}"),
        (_XMP, "MetadataDate", modified.text),
        (_XMPMM, "DocumentID", f"uuid:{uuid.uuid5(uuid.NAMESPACE_URL, identifier)}"),
        (_XMPMM, "VersionID", "1"),
        (_XMPMM, "RenditionClass", "default"),
    ):
        ElementTree.SubElement(description, f"{{{namespace}}}{name}").text = text
    return description


def _extension_schemas(claim: Claim) -> ElementTree.Element:
    """The PDF/A extension schemas (ISO 19005-2, 6.6.2.3.1) that declare pdfuaid:part and, for
    PDF/X, pdfxid:GTS_PDFXVersion: PDF/A-2 predefines neither namespace."""

    def sub(parent: ElementTree.Element, namespace: str, name: str, text: str | None = None, **attrib):
        element = ElementTree.SubElement(parent, f"{{{namespace}}}{name}", attrib)
        element.text = text
        return element

    resource = {f"{{{_RDF}}}parseType": "Resource"}
    description = ElementTree.Element(f"{{{_RDF}}}Description", {f"{{{_RDF}}}about": ""})
    bag = sub(sub(description, _EXTENSION, "schemas"), _RDF, "Bag")
    schemas = [
        ("PDF/UA Universal Accessibility Schema", _PDFUAID, "pdfuaid", "part", "Integer",
         "Indicates which part of ISO 14289 standard is followed"),
    ]  # fmt: skip
    if claim.pdfx is not None:
        schemas += [
            ("PDF/X ID Schema", _PDFXID, "pdfxid", "GTS_PDFXVersion", "Text", "ID of PDF/X standard"),
        ]  # fmt: skip
    for title, uri, prefix, name, value_type, about in schemas:
        schema = sub(bag, _RDF, "li", **resource)
        sub(schema, _SCHEMA, "schema", title)
        sub(schema, _SCHEMA, "namespaceURI", uri)
        sub(schema, _SCHEMA, "prefix", prefix)
        prop = sub(sub(sub(schema, _SCHEMA, "property"), _RDF, "Seq"), _RDF, "li", **resource)
        sub(prop, _PROPERTY, "name", name)
        sub(prop, _PROPERTY, "valueType", value_type)
        sub(prop, _PROPERTY, "category", "internal")
        sub(prop, _PROPERTY, "description", about)
    return description


#: how a stream whose data ends in a carriage return looks, written with a line feed before
#: `endstream`: a reader (and PDF/A rule 6.1.7.1) takes the two as one end-of-line marker, so
#: the stream seems a byte shorter than its /Length
_AMBIGUOUS_END = b"\r\nendstream"


#: a key added to one object of an object stream that ends in a carriage return, so that the
#: stream's data (and its checksum, whose last byte that is) changes; readers ignore it
PAD_KEY = "/RBPad"
#: saves with object streams before the last resort, a save without them (2.5 times the size)
_TRIES = 4


def unambiguous_stream_ends(data: bytes) -> bytes:
    """The PDF with no stream whose data ends in a carriage return (see _AMBIGUOUS_END).

    One compressed stream in 256 ends so by chance (the last byte of its checksum), the object
    streams and the cross-reference stream the writer makes included. Such a file is written
    again: each stream of ours that ends so is compressed from its data with a line feed added
    (a content stream) or stored as it is; an object stream that ended so gets PAD_KEY on its
    first object, which changes its data. Without object streams at the last resort.
    """
    if _AMBIGUOUS_END not in data:
        return data
    import io

    import pikepdf

    for attempt in range(_TRIES + 1):
        numbers = _ambiguous_objects(data)
        with pikepdf.open(io.BytesIO(data)) as pdf:
            # the streams found by their ends; should that miss one, every stream after that
            candidates = [pdf.get_object((number, 0)) for number in numbers] if attempt == 0 else pdf.objects
            for obj in candidates:
                if (
                    isinstance(obj, pikepdf.Stream)
                    and obj.get("/Type") not in ("/ObjStm", "/XRef")  # made anew by the save
                    and obj.get("/Filter") in (None, pikepdf.Name.FlateDecode)  # JPEG data ends in FFD9
                    and obj.read_raw_bytes().endswith(b"\r")
                ):
                    _rewrite_stream(obj, pikepdf)
            for number in numbers:
                _pad_object_stream(pdf, number, attempt, pikepdf)
            out = io.BytesIO()
            mode = pikepdf.ObjectStreamMode.generate if attempt < _TRIES else pikepdf.ObjectStreamMode.disable
            pdf.save(out, deterministic_id=True, compress_streams=True, object_stream_mode=mode)
        data = out.getvalue()
        if _AMBIGUOUS_END not in data:
            break
    return data


def _ambiguous_objects(data: bytes) -> list[int]:
    """The numbers of the objects whose stream data ends in a carriage return."""
    numbers = []
    at = data.find(_AMBIGUOUS_END)
    while at != -1:
        head = data.rfind(b" 0 obj", 0, at)
        digits = data[data.rfind(b"\n", 0, head) + 1 : head]
        if digits.isdigit():
            numbers.append(int(digits))
        at = data.find(_AMBIGUOUS_END, at + 1)
    return numbers


def _pad_object_stream(pdf, number: int, attempt: int, pikepdf) -> None:
    """Give the first dictionary of object stream `number` PAD_KEY (the save keeps the grouping)."""
    stream = pdf.get_object((number, 0))
    if not isinstance(stream, pikepdf.Stream) or stream.get("/Type") != "/ObjStm":
        return
    header = stream.read_bytes()[: int(stream.First)].split()
    for first in header[0::2]:
        target = pdf.get_object((int(first), 0))
        if isinstance(target, pikepdf.Dictionary):
            target[PAD_KEY] = attempt + 1
            return


def _rewrite_stream(obj, pikepdf) -> None:
    """A stream whose encoded data ends in a carriage return, encoded so that it does not."""
    import zlib

    plain = obj.read_bytes()
    is_content = "/Subtype" not in obj and "/Length1" not in obj  # page contents: a line feed changes nothing
    compressed = zlib.compress(plain + b"\n" if is_content else plain)
    if not compressed.endswith(b"\r"):
        obj.write(compressed, filter=pikepdf.Name.FlateDecode)
    elif not plain.endswith(b"\r"):
        obj.write(plain)


# -- PDF/X-4: the print shop's output intent and device-independent colour ------------------------

#: the printing condition of the packaged profile, by its name in the ICC's registry
PRINT_CONDITION = "FOGRA39"
PRINT_CONDITION_TEXT = "Offset printing, ISO 12647-2:2004/Amd 1, paper type 1 or 2, coated art paper (FOGRA39)"
PRINT_REGISTRY = "http://www.color.org"
#: the packaged CMYK output profile (report_builder/profiles, its licence beside it)
PRINT_PROFILE = "FOGRA39L_coated.icc"
#: the highest PDF version PDF/X-4 allows in the file header (ISO 15930-7: PDF 1.6)
PDFX_VERSION = "1.6"


def print_profile() -> bytes:
    """The ICC profile of PRINT_CONDITION shipped with the package."""
    from importlib.resources import files

    return (files("report_builder") / "profiles" / PRINT_PROFILE).read_bytes()


@cache
def _compressed_profile() -> bytes:
    """print_profile() compressed once per process (Flate, as in the PDF)."""
    import zlib

    return zlib.compress(print_profile())


def header_version(variant: str | None) -> str:
    """The PDF version a save must write for `variant` (pikepdf's force_version), "" to keep it."""
    return PDFX_VERSION if claim(variant).pdfx is not None else ""


def for_print(pdf, variant: str | None) -> None:
    """Give a pikepdf PDF, whole (merged or single), what PDF/X-4 adds to PDF/A-2a; nothing
    for another variant.

    - an OutputIntent /GTS_PDFX beside the /GTS_PDFA1 one, both with the packaged CMYK
      profile as their one DestOutputProfile (PDF/A-2 6.2.3; ISO 15930-7 6.2.2);
    - the RGB WeasyPrint paints made device-independent: a DefaultRGB of WeasyPrint's own sRGB
      profile in every resource dictionary (pages, form XObjects, patterns) and that ICCBased
      space in place of every /DeviceRGB an image, shading or transparency group names
      (DeviceRGB under a CMYK intent is allowed by neither standard);
    - /Trapped /False and /GTS_PDFXVersion in the document information (the XMP says the same,
      finished_xmp). The dates, the document ID and the TrimBox of every page were there before.
    """
    if claim(variant).pdfx is None:
        return
    import pikepdf

    srgb = _srgb_space(pdf, pikepdf)
    profile = pikepdf.Stream(pdf, b"")
    profile.write(_compressed_profile(), filter=pikepdf.Name.FlateDecode)
    profile.N = 4
    profile = pdf.make_indirect(profile)
    pdf.Root.OutputIntents = pikepdf.Array(
        [_intent(subtype, profile, pikepdf) for subtype in ("/GTS_PDFX", "/GTS_PDFA1")]
    )
    for obj in pdf.objects:
        if isinstance(obj, (pikepdf.Dictionary, pikepdf.Stream)):
            _device_independent(obj, srgb, pikepdf)
    pdf.docinfo[pikepdf.Name.Trapped] = pikepdf.Name("/False")
    pdf.docinfo[pikepdf.Name.GTS_PDFXVersion] = pikepdf.String(f"PDF/X-{claim(variant).pdfx}")


def _intent(subtype: str, profile, pikepdf):
    return pikepdf.Dictionary(
        Type=pikepdf.Name.OutputIntent,
        S=pikepdf.Name(subtype),
        OutputConditionIdentifier=pikepdf.String(PRINT_CONDITION),
        OutputCondition=pikepdf.String(PRINT_CONDITION_TEXT),
        RegistryName=pikepdf.String(PRINT_REGISTRY),
        Info=pikepdf.String(PRINT_CONDITION_TEXT),
        DestOutputProfile=profile,
    )


def _srgb_space(pdf, pikepdf):
    """[/ICCBased sRGB]: the profile of WeasyPrint's PDF/A output intent (sRGB 2014), indirect."""
    (intent,) = pdf.Root.OutputIntents
    return pdf.make_indirect(pikepdf.Array([pikepdf.Name.ICCBased, intent.DestOutputProfile]))


def _device_independent(obj, srgb, pikepdf) -> None:
    """DefaultRGB in `obj`'s resources when it has content of its own (a page, a form XObject,
    a tiling pattern), srgb for the /DeviceRGB its transparency group, or it as an image or a
    shading (a shading pattern's too), names. Other objects (fonts, most of a file) are left."""
    if "/PatternType" in obj and "/Shading" in obj:
        _named_space(obj.Shading, "/ColorSpace", srgb, pikepdf)
    if obj.get("/Type") == "/Page" or obj.get("/Subtype") == "/Form" or obj.get("/PatternType") == 1:
        if "/Resources" not in obj:
            obj.Resources = pikepdf.Dictionary()
        resources = obj.Resources
        if "/ColorSpace" not in resources:
            resources.ColorSpace = pikepdf.Dictionary()
        resources.ColorSpace.DefaultRGB = srgb
        if "/Group" in obj:
            _named_space(obj.Group, "/CS", srgb, pikepdf)
    elif obj.get("/Subtype") == "/Image" or "/ShadingType" in obj:
        _named_space(obj, "/ColorSpace", srgb, pikepdf)


def _named_space(obj, key: str, srgb, pikepdf) -> None:
    """srgb for /DeviceRGB as `obj[key]`, or as the base of an Indexed space there."""
    value = obj.get(key)
    if value == pikepdf.Name.DeviceRGB:
        obj[key] = srgb
    elif (
        isinstance(value, pikepdf.Array)
        and len(value) == 4
        and list(value)[:2] == [pikepdf.Name.Indexed, pikepdf.Name.DeviceRGB]
    ):
        value[1] = srgb
