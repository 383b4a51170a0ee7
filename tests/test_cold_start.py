"""The sign-in form is the first thing every visitor waits for: what it may not load.

pandas/NumPy/pyarrow (History only), the rule engine and the intake models, PIL (the body
map) and Alembic (migrations run before the app starts) cost ~1 s of a cold start
together (issue 11, point 8). ``make bench`` times the whole start against a minimal app.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from careplan import storage

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("pandas", "numpy", "pyarrow", "PIL", "alembic", "pydantic", "careplan.clinical.engine",
         "careplan.intake.model", "careplan.clinical.rules", "careplan.documents.bodymap",
         "ui.bodymap")
# What the sign-in gate does before it draws the form (ui.page -> ui.require_user); the
# body-map picture (ui.bodymap, Pillow) is left to the Intake page.
SIGN_IN_PATH = f"""
import sys
import streamlit
import ui
from careplan import accounts, settings, storage
engine = storage.make_engine(storage.database_url())
storage.upgrade_if_behind(engine, storage.database_url())
with storage.transaction(engine, readonly=True) as session:
    storage.count_users(session=session)
    accounts.check_session(session=session, token="no-such-token", now=ui.now())
settings.current()
loaded = sorted(m for m in sys.modules if m.startswith({HEAVY!r}))
print("\\n".join(loaded))
"""


def test_the_sign_in_form_loads_no_heavy_module(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'signin.db'}"
    storage.upgrade(url)  # as make run does before the app starts
    env = {**os.environ, "DATABASE_URL": url}
    done = subprocess.run([sys.executable, "-c", SIGN_IN_PATH], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == []
