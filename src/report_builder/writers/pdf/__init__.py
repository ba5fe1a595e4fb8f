"""The PDF writer: the print document laid out by WeasyPrint, in parallel chunks when it pays.

Modules: `layout` lays out one document, `chunks` plans, lays out and merges chunks, `furniture`
and `contents` lay out the running heads and contents numbers once, `overlay` draws text onto
finished pages, and `weasy` is the one place that touches WeasyPrint beyond its public API.
"""
