"""python -m report_builder → cli.run()."""

from .cli import run

if __name__ == "__main__":  # worker processes import the main module again
    run()
