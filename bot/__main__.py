"""`python -m bot`: the same as the `qualibot` console script."""

import os
import sys

from bot.cli import main

os.environ.setdefault("PTB_TIMEDELTA", "1")
sys.exit(main())
