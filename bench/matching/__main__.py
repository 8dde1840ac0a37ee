"""``python -m bench.matching [--sizes 10k,100k,1M] [--seed 1]``: this benchmark only.

The same as ``python -m bench matching``: the harness (bench/README.md) with only
``bench/matching`` selected; every option of ``python -m bench`` applies.
"""

from __future__ import annotations

import sys

from bench.harness import main

if __name__ == "__main__":
    sys.exit(main(["matching", *sys.argv[1:]]))
