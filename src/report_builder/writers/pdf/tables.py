"""Print layout: what a table needs once its pages are known — a continued table says so.

The walks over the laid-out pages are WeasyPrint internals: they live in weasy.py.
"""

from __future__ import annotations

#: the header row facts_table.html adds for print, hidden until a page continues the table
CONTINUED_ROW = "table-continued-row"
