"""`python -m interviewer` is the `interviewer` command."""

import sys

from .cli import main

sys.exit(main())
