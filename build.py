"""``python build.py [build|import] [options]``: the same as the ``sitegen`` command."""

import sys

from sitegen.cli import main

if __name__ == "__main__":
    sys.exit(main())
