"""Dashboard benchmark: an Intake rerun after one widget change (draft save included),
and the cold start of ``streamlit run`` to a healthy ``/_stcore/health``."""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent


def run(median_ms: Any) -> list[str]:
    sys.path.insert(0, str(ROOT / "tests"))
    import browser  # the tests' server harness, reused for the cold start
    from apps import TOKENS, make_accounts
    from careplan import demo, storage

    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'pages.db'}"
        os.environ["DATABASE_URL"] = url
        storage.upgrade(url)
        engine = storage.make_engine(url)
        demo.seed(engine, today=date(2026, 11, 25))
        engine.dispose()
        make_accounts(url)
        app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
        app.session_state["auth_token"] = TOKENS["rivera"]
        app.query_params["patient"], app.query_params["visit"] = "1", "3"
        app.switch_page("pages/2_Intake.py")
        app.run()
        box = app.number_input(key="f:history.pain_now")
        values = iter(list(range(11)) * 40)

        def rerun() -> None:
            box.set_value(next(values))
            app.run()

        rerun_ms = median_ms(rerun, warmup=5, repeats=60)
        starts = []
        for _ in range(3):
            starts.append(browser.measure_cold_start(browser.sqlite_env(Path(folder)),
                                                     log_dir=Path(folder)))
        cold = statistics.median(starts)
        time.sleep(0.1)
    return [
        f"intake rerun after one change, save included (goal < 50 ms): median {rerun_ms:.1f} ms",
        f"cold start of streamlit run to healthy (goal < 2 s):        median {cold:.2f} s",
    ]
