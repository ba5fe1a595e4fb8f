"""The merge: chunk PDFs concatenated with pikepdf into one, their structure trees, named
destinations and outlines joined; then the contents' numbers and the page furniture drawn."""

from __future__ import annotations

import io
import warnings as python_warnings
from typing import Any

from .conformance import for_print, header_version, unambiguous_stream_ends
from .contents import DrawnNumbers
from .furniture import DrawnFurniture, StampedFurniture
from .pagelabels import add_page_labels
from .workers import ChunkResult


def merge_pdfs(
    chunks: list[ChunkResult],
    furniture: StampedFurniture | DrawnFurniture,
    numbers: DrawnNumbers | None = None,
    config=None,
) -> bytes:
    """Concatenate the chunk PDFs, merging structure, destinations and outlines; draw the
    contents' page numbers, when they are left to draw; add the page furniture and, given the
    publication's `config`, the page labels."""
    import pikepdf

    documents = [chunk.opened for chunk in chunks]
    merged = documents[0]
    # A chunk's destinations for anchors it does not hold are stand-ins (see
    # _keep_links_to_other_chunks): only the chunk that lays an anchor out names it.
    names = [(name, dest) for name, dest in _named_destinations(merged) if str(name) in chunks[0].anchors]
    moved_names = []  # (name, merged page index, the rest of the destination)
    outline = [_outline_entries(merged, 0)]
    parent_tree = _ParentTree(merged)
    for chunk, document in zip(chunks[1:], documents[1:]):
        start = len(merged.pages)
        page_index = {page.objgen: index for index, page in enumerate(document.pages)}
        _detach_structure(document)
        with python_warnings.catch_warnings():  # the named destinations are merged below
            python_warnings.simplefilter("ignore", pikepdf.exceptions.PageCopyWarning)
            merged.pages.extend(document.pages)
        parent_tree.append(document, start)
        for name, dest in _named_destinations(document):
            index = page_index.get(dest[0].objgen)
            if index is not None and str(name) in chunk.anchors:
                moved_names.append((name, start + index, list(dest)[1:]))
        outline.append(_outline_entries(document, start))
    # pikepdf finds the page at an index in time proportional to the page count: look pages up
    # in one list from here on
    pages = list(merged.pages)
    parent_tree.write(pages)
    names.extend((name, pikepdf.Array([pages[index].obj, *rest])) for name, index, rest in moved_names)
    _write_named_destinations(merged, names)
    _write_outline(merged, pages, [entry for entries in outline for entry in entries])
    if numbers is not None:
        numbers.apply(merged, pages)
    furniture.apply(merged, pages)
    if config is not None:
        add_page_labels(merged, config)
        for_print(merged, config.pdf.variant)
    out = io.BytesIO()
    merged.save(
        out,
        deterministic_id=True,
        compress_streams=True,
        object_stream_mode=pikepdf.ObjectStreamMode.generate,
        force_version=header_version(config.pdf.variant) if config is not None else "",
    )
    return unambiguous_stream_ends(out.getvalue())


def _structure_root(document):
    root = document.Root.get("/StructTreeRoot")
    if root is None:
        return None, None
    kids = root.K if isinstance(root.K, pikepdf_array()) else [root.K]
    return root, kids[0]


def pikepdf_array():
    import pikepdf

    return pikepdf.Array


def _detach_structure(document) -> None:
    """Cut the chunk's top elements loose from its root, so copying them copies no more."""
    root, top = _structure_root(document)
    if root is None:
        return
    for kid in top.K:
        if hasattr(kid, "keys") and "/P" in kid:
            del kid["/P"]


class _ParentTree:
    """The merged document's parent tree (marked content → structure element), built chunk by
    chunk and written once at the end: rewriting it after every chunk made merging quadratic."""

    def __init__(self, merged: Any) -> None:
        self.merged = merged
        self.root, self.top = _structure_root(merged)
        nums = list(self.root.ParentTree.Nums) if self.root is not None else []
        self.pairs = [(int(nums[i]), nums[i + 1]) for i in range(0, len(nums), 2)]
        self.next_key = max((key + 1 for key, _value in self.pairs), default=0)
        self.renumbered: list[tuple[int, int, int]] = []  # (first page, end, key offset) of each chunk

    def append(self, document, start) -> None:
        """Move a chunk's tagged content under the merged structure tree.

        The chunk's pages were copied already, so the structure elements copied here point at
        the merged pages; its parent-tree keys are renumbered after the merged ones.
        """
        merged = self.merged
        chunk_root, chunk_top = _structure_root(document)
        if self.root is None or chunk_root is None:
            return
        offset = self.next_key
        for kid in chunk_top.K:
            copied = merged.copy_foreign(kid) if kid.is_indirect else kid
            copied.P = self.top
            self.top.K.append(copied)
        # one copy of the whole array: QPDF follows its references in one go, item by item from
        # Python took a sixth of the merge
        chunk_nums = chunk_root.ParentTree.Nums
        chunk_nums = merged.copy_foreign(chunk_nums if chunk_nums.is_indirect else document.make_indirect(chunk_nums))
        added = [(int(chunk_nums[i]) + offset, chunk_nums[i + 1]) for i in range(0, len(chunk_nums), 2)]
        self.pairs.extend(added)
        self.next_key = max([self.next_key] + [key + 1 for key, _value in added])
        self.renumbered.append((start, len(merged.pages), offset))

    def write(self, pages) -> None:
        """Renumber the merged pages' references into the tree (`pages`: the merged pages, in order)
        and write the tree."""
        import pikepdf

        if self.root is None:
            return
        for start, end, offset in self.renumbered:
            for page in pages[start:end]:
                if "/StructParents" in page.obj:
                    page.obj.StructParents = int(page.obj.StructParents) + offset
                for annotation in page.obj.get("/Annots", []):
                    if "/StructParent" in annotation:
                        annotation.StructParent = int(annotation.StructParent) + offset
        pairs = sorted(self.pairs, key=lambda pair: pair[0])
        self.root.ParentTree.Nums = pikepdf.Array([item for pair in pairs for item in pair])
        if "/ParentTreeNextKey" in self.root:
            self.root.ParentTreeNextKey = pairs[-1][0] + 1 if pairs else 0


def _named_destinations(document):
    import pikepdf

    names = document.Root.get("/Names")
    dests = names.get("/Dests") if names is not None else None
    if dests is None:
        return []
    tree = pikepdf.NameTree(dests)
    return list(tree.items())


def _write_named_destinations(merged: Any, names: list) -> None:
    import pikepdf

    unique: dict[str, object] = {}
    for name, dest in names:
        unique.setdefault(str(name), dest)
    array = pikepdf.Array()
    for name in sorted(unique):
        array.append(pikepdf.String(name))
        array.append(unique[name])
    if "/Names" not in merged.Root:
        merged.Root.Names = pikepdf.Dictionary()
    merged.Root.Names.Dests = merged.make_indirect(pikepdf.Dictionary(Names=array))


def _outline_entries(document, start):
    """The outline of one chunk as (title, merged page index, top, children)."""
    with document.open_outline() as outline:
        return [_entry(item, document, start) for item in outline.root]


def _entry(item, document, start):
    page_index, top = _destination(item, document)
    return (
        item.title,
        start + page_index if page_index is not None else None,
        top,
        [_entry(child, document, start) for child in item.children],
    )


def _destination(item, document):
    dest = item.destination
    if dest is None and item.action is not None:
        dest = item.action.get("/D")
    try:
        page = dest[0]
        top = float(dest[3]) if len(dest) > 3 else None
    except (TypeError, IndexError, KeyError):
        return None, None
    for index, candidate in enumerate(document.pages):
        if candidate.objgen == page.objgen:
            return index, top
    return None, None


def _write_outline(merged, pages, entries):
    import pikepdf

    def build(entry):
        title, page, top, children = entry
        # the destination pikepdf would make from the page index, without looking the index up
        destination = pikepdf.Array(
            [pages[page if page is not None else 0].obj, pikepdf.Name.XYZ, 0, top if top is not None else 0, 0]
        )
        item = pikepdf.OutlineItem(title, destination)
        item.children.extend(build(child) for child in children)
        return item

    with merged.open_outline() as outline:
        outline.root.clear()
        outline.root.extend(build(entry) for entry in entries)
