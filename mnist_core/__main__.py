"""``python -m mnist_core``: see :mod:`mnist_core.cli`."""

import sys

from mnist_core.cli import main

sys.exit(main())
