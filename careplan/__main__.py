"""``python -m careplan``: see ``careplan.cli``."""

import sys

from careplan.cli import main

sys.exit(main())
