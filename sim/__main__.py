"""`python -m sim` runs the gridgov command."""

import sys

from .cli import main

sys.exit(main())
