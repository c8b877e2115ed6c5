"""``python -m mnist_core``: see :mod:`mnist_core.cli`.

Importing the CLI imports torch, which takes seconds: a Ctrl-C then ends with one line,
like a Ctrl-C at any later point, not a traceback through the import machinery.
"""

import sys

try:
    from mnist_core.cli import main
except KeyboardInterrupt:
    print("error: interrupted", file=sys.stderr)
    sys.exit(130)

sys.exit(main())
