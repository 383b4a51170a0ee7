"""Print benchmark medians with the machine named. Not a test: figures, not verdicts."""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from bench import pages as pages_bench
from bench import storage as storage_bench
from careplan.engine import build_plan, default_rule_base
from careplan.pdf import clinician_pdf, patient_pdf
from careplan.rules.topics import Voice, resolve
from careplan.validation import validate_intake

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "careplan" / "example_intake.json"
TODAY = date(2026, 11, 25)


def machine() -> str:
    """CPU model, core count and Python, so figures can be compared honestly."""
    model = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return f"{model}, {os.cpu_count()} cores, Python {platform.python_version()}"


def median_ms(action: Callable[[], object], *, warmup: int = 200, repeats: int = 2000) -> float:
    for _ in range(warmup):
        action()
    samples = []
    for _ in range(repeats):
        start = time.perf_counter_ns()
        action()
        samples.append(time.perf_counter_ns() - start)
    return statistics.median(samples) / 1e6


def _hard_patient(data: dict[str, Any]) -> dict[str, Any]:
    """The example with an emergency and a long medicine list: precedence has most to do."""
    hard: dict[str, Any] = json.loads(json.dumps(data))  # a deep copy of parsed JSON
    hard["red_flags"]["dark_urine"] = True
    hard["history"]["medications"] = [
        {"name": name} for name in ("Zocor 40 mg", "clarithromycin", "warfarin", "Advil",
                                    "Tylenol PM", "sertraline", "tramadol", "lisinopril")
    ]
    return hard


FLOOR_SCRIPT = """
import reportlab.platypus, pydantic
class M(pydantic.BaseModel):
    a: int = 1
M()
"""


def _process_seconds(args: list[str], *, runs: int) -> list[float]:
    env = {**os.environ, "CAREPLAN_DEMO": "1", "PYTHONPATH": str(ROOT)}
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(args, check=True, capture_output=True, cwd=ROOT, env=env)  # noqa: S603
        times.append(time.perf_counter() - start)
    return times


def headless(runs: int = 7) -> list[str]:
    """The whole command (plan + handout PDF) against a same-run floor: importing reportlab
    and building one pydantic model in a fresh process (issue 11 point 7: goal 1.5x)."""
    with tempfile.TemporaryDirectory() as folder:
        out = str(Path(folder) / "plan.pdf")
        command = _process_seconds([sys.executable, "-m", "careplan", "plan", str(EXAMPLE),
                                    "--pdf", out, "--json", str(Path(folder) / "plan.json"),
                                    "--today", TODAY.isoformat()], runs=runs)
    floor = _process_seconds([sys.executable, "-c", FLOOR_SCRIPT], runs=runs)
    med_c, med_f = statistics.median(command), statistics.median(floor)
    return [
        f"headless command, plan + PDF (goal <= 1.5x floor): median {med_c:.2f} s "
        f"(min {min(command):.2f}, max {max(command):.2f}), {med_c / med_f:.1f}x floor",
        f"floor: import reportlab.platypus + a pydantic model: median {med_f:.2f} s "
        f"(min {min(floor):.2f}, max {max(floor):.2f})",
    ]


def main() -> None:
    raw = EXAMPLE.read_bytes()
    data = json.loads(raw)
    default_rule_base()
    intake = validate_intake(data, today=TODAY)
    validate = median_ms(lambda: validate_intake(data, today=TODAY))
    build = median_ms(lambda: build_plan(intake=intake, today=TODAY))
    both = median_ms(lambda: build_plan(intake=validate_intake(raw, today=TODAY), today=TODAY))
    floor = median_ms(lambda: json.loads(raw))  # the same run's floor: only parse the JSON
    hard = validate_intake(_hard_patient(data), today=TODAY)
    build_hard = median_ms(lambda: build_plan(intake=hard, today=TODAY))
    rules = default_rule_base()
    matched = [rule for rule in rules.rules if rule.speaks][:40]
    voices = [Voice(rule.id, rule.speaks) for rule in matched]
    precedence = median_ms(lambda: resolve(voices, rules.texts, rules.topics))
    print(f"machine: {machine()}")
    print(f"floor: parse the intake JSON:         median {floor:.3f} ms")
    print(f"validate intake (example):            median {validate:.3f} ms")
    print(f"build plan (example):                 median {build:.3f} ms")
    print(f"parse + validate + build (goal < 1ms): median {both:.3f} ms "
          f"({both / floor:.0f}x floor)")
    print(f"build plan, hard patient (dark urine, 8 medicines): median {build_hard:.3f} ms")
    print(f"precedence step alone, {len(voices)} items:   median {precedence:.3f} ms")
    plan = build_plan(intake=intake, today=TODAY)
    handout = median_ms(lambda: patient_pdf(plan), warmup=5, repeats=60)
    summary = median_ms(lambda: clinician_pdf(plan), warmup=5, repeats=60)
    large = median_ms(lambda: patient_pdf(plan, large_print=True), warmup=5, repeats=60)
    print(f"patient handout PDF (goal < 40 ms):   median {handout:.1f} ms, "
          f"{len(patient_pdf(plan)) / 1024:.0f} KB (goal < 150 KB)")
    print(f"large-print handout PDF:              median {large:.1f} ms, "
          f"{len(patient_pdf(plan, large_print=True)) / 1024:.0f} KB")
    print(f"clinician summary PDF:                median {summary:.1f} ms, "
          f"{len(clinician_pdf(plan)) / 1024:.0f} KB")
    for line in headless():
        print(line)
    for line in storage_bench.run(median_ms):
        print(line)
    for line in pages_bench.run(median_ms):
        print(line)


if __name__ == "__main__":
    main()
