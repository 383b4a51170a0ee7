"""``python -m careplan``: see ``careplan.cli``."""

import gc
import os
import sys

gc.disable()
# The command uses no pydantic plugin; skipping the plugin scan saves its start-up time.
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")

from careplan.cli import main  # noqa: E402 imported after the setting above, on purpose

gc.freeze()
gc.enable()
sys.exit(main())
