"""What the PDF conforms to: PDF/UA-1 and PDF/A-2a at once unless `pdf.variant` asks otherwise.

WeasyPrint writes one variant (the PDF/A level: its output intent, document ID, annotation
flags, tags); `finished_xmp` adds what the other standard needs to its XMP: the PDF/UA
identifier, the extension schema PDF/A asks for it (rule 6.6.2.3), and a metadata stream left
uncompressed (rule 6.6.2.1); weasy.metadata_finisher writes it, and mends what WeasyPrint 70
gets wrong for both (smoothed images, link annotations under a Span). Each chunk is written
so; the merge keeps the first chunk's catalogue, so the merged file carries the same claims
(see merge.py). Last, `unambiguous_stream_ends` keeps a stream's end from reading as a line
end (rule 6.1.7.1), in a merged file and a single one alike.
"""

from __future__ import annotations

from dataclasses import dataclass
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
    "pdf/x-1a": "PDF/X-1a needs CMYK colour and WeasyPrint writes RGB; send the PDF/A file to the print shop",
    "pdf/x-3": "PDF/X-3 needs a printer output intent and WeasyPrint writes none; send the PDF/A file to the print shop",
    "pdf/x-4": "PDF/X-4 needs a printer output intent and WeasyPrint writes none (its colours stay RGB, "
    "its dates and document ID change every build); send the PDF/A file to the print shop",
    "pdf/x-5g": "PDF/X-5g needs a printer output intent and WeasyPrint writes none; "
    "send the PDF/A file to the print shop",
}

_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_PDFAID = "http://www.aiim.org/pdfa/ns/id/"
_PDFUAID = "http://www.aiim.org/pdfua/ns/id/"
_EXTENSION = "http://www.aiim.org/pdfa/ns/extension/"
_SCHEMA = "http://www.aiim.org/pdfa/ns/schema#"
_PROPERTY = "http://www.aiim.org/pdfa/ns/property#"
for _prefix, _uri in (
    ("x", "adobe:ns:meta/"),
    ("rdf", _RDF),
    ("pdfaid", _PDFAID),
    ("pdfuaid", _PDFUAID),
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

    @property
    def names(self) -> tuple[str, ...]:
        """The standards claimed, as a reader names them: ("PDF/UA-1", "PDF/A-2a")."""
        names = [f"PDF/UA-{self.ua}"]
        if self.pdfa is not None and self.level is not None:
            names.append(f"PDF/A-{self.pdfa}{self.level.lower()}")
        return tuple(names)


def claim(variant: str | None) -> Claim:
    """What `pdf.variant` makes: a PDF/A level named there together with PDF/UA-1; `pdf/ua-1`
    (or nothing) PDF/UA-1 with PDF/A-2a; `pdf/ua-2` PDF/UA-2 alone (PDF 2.0, no PDF/A level
    WeasyPrint writes pairs with it). A refused variant never gets here (config.py)."""
    if variant == "pdf/ua-2":
        return Claim(written=variant, ua=2, pdfa=None, level=None)
    written = DEFAULT_VARIANT if variant in (None, "pdf/ua-1") else variant
    assert written not in REFUSED and written.startswith("pdf/a-"), written
    return Claim(written=written, ua=1, pdfa=int(written[6]), level=written[7].upper())


def finished_xmp(xmp: bytes, claim: Claim) -> bytes:
    """WeasyPrint's XMP packet with both identifiers: PDF/A's as it wrote them, PDF/UA's added
    (with the extension schema that PDF/A asks for a namespace it does not predefine)."""
    start, end = xmp.index(b"<x:xmpmeta"), xmp.rindex(b"</x:xmpmeta>") + len(b"</x:xmpmeta>")
    meta = ElementTree.fromstring(xmp[start:end])
    rdf = meta.find(f"{{{_RDF}}}RDF")
    assert rdf is not None, "WeasyPrint writes one rdf:RDF"
    present = {key for description in rdf for key in description.attrib}
    if f"{{{_PDFUAID}}}part" not in present:
        identifier = ElementTree.SubElement(rdf, f"{{{_RDF}}}Description", {f"{{{_RDF}}}about": ""})
        identifier.set(f"{{{_PDFUAID}}}part", str(claim.ua))
    if claim.pdfa is not None:
        rdf.append(_pdfua_extension_schema())
    return _XMP_START + ElementTree.tostring(meta, encoding="utf-8", xml_declaration=False) + _XMP_END


def _pdfua_extension_schema() -> ElementTree.Element:
    """The PDF/A extension schema that declares pdfuaid:part (ISO 19005-2, 6.6.2.3.1)."""

    def sub(parent: ElementTree.Element, namespace: str, name: str, text: str | None = None, **attrib):
        element = ElementTree.SubElement(parent, f"{{{namespace}}}{name}", attrib)
        element.text = text
        return element

    resource = {f"{{{_RDF}}}parseType": "Resource"}
    description = ElementTree.Element(f"{{{_RDF}}}Description", {f"{{{_RDF}}}about": ""})
    bag = sub(sub(description, _EXTENSION, "schemas"), _RDF, "Bag")
    schema = sub(bag, _RDF, "li", **resource)
    sub(schema, _SCHEMA, "schema", "PDF/UA Universal Accessibility Schema")
    sub(schema, _SCHEMA, "namespaceURI", _PDFUAID)
    sub(schema, _SCHEMA, "prefix", "pdfuaid")
    prop = sub(sub(sub(schema, _SCHEMA, "property"), _RDF, "Seq"), _RDF, "li", **resource)
    sub(prop, _PROPERTY, "name", "part")
    sub(prop, _PROPERTY, "valueType", "Integer")
    sub(prop, _PROPERTY, "category", "internal")
    sub(prop, _PROPERTY, "description", "Indicates which part of ISO 14289 standard is followed")
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
