"""``python -m careplan``: see ``careplan.cli``."""

import os
import sys

# The command uses no pydantic plugin; skipping the plugin scan saves its start-up time.
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")

from careplan.cli import main  # imported after the setting above, on purpose

sys.exit(main())
