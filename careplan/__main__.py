"""``python -m careplan``: see ``careplan.cli``."""

import gc
import os
import sys

# Start-up makes ~55k long-lived tracked objects (modules, pydantic validators, the rule base) and
# no garbage; the cycle collector would walk them again and again while they are made. So
# it is off while importing, then those objects are frozen (never scanned again) and it is
# back on for the command's own work, so a long batch still frees its cycles.
gc.disable()
# The command uses no pydantic plugin; skipping the plugin scan saves its start-up time.
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")

from careplan.cli import main  # noqa: E402 imported after the settings above, on purpose

gc.freeze()
gc.enable()
sys.exit(main())
