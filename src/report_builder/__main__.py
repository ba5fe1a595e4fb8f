"""python -m report_builder → cli.run()."""

from .cli import run

run()
