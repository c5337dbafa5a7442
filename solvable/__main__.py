"""``python -m solvable ...`` runs the ``solvable`` command (:func:`solvable.cli.main`)."""
import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
