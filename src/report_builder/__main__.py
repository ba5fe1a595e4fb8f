"""python -m report_builder → cli.main()."""

import sys

from .cli import main

sys.exit(main())
