"""``python -m spiking_direct.sweep FILE.toml [--out DIR] ...`` (see :func:`.cli.main`)."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
