"""``python -m solvable.bench``: see :func:`solvable.bench.main`."""
import sys

from solvable.bench import main

sys.exit(main())
