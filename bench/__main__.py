"""``python -m bench [names] [--sizes 10k,100k] [--repeat N] [--json PATH]``."""

import sys

from bench.harness import main

sys.exit(main())
