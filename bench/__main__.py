"""Print benchmark medians with their spread and the machine named, each beside its goal.

Not a test: figures, not verdicts. ``python -m bench documents`` prints only the plan and
document figures (no subprocesses, no browser)."""

from __future__ import annotations

import compileall
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any

from bench import pages as pages_bench
from bench import search as search_bench
from bench import storage as storage_bench
from bench.timing import Timing, seconds, time_ms
from careplan.clinical.engine import build_plan, default_rule_base
from careplan.clinical.plan import CarePlan
from careplan.clinical.rules.topics import Voice, resolve
from careplan.documents.language import Language
from careplan.documents.pdf import clinician_pdf, patient_pdf
from careplan.intake.validation import validate_intake

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


def _run_seconds(args: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(args, check=True, capture_output=True, cwd=ROOT, env=env)  # noqa: S603
    return time.perf_counter() - start


def headless(runs: int = 9) -> list[str]:
    """The whole command (plan + handout PDF) against a same-run floor: importing reportlab
    and building one pydantic model in a fresh process (issue 11 point 7: goal <= 1.5x).

    As ``make bench`` and ``make run`` do, careplan/ is compiled to bytecode first. The
    command's cache (checked rule base, parsed fonts) lives in a fresh folder: the first
    run fills it and is reported alone ("cold"); the timed runs then alternate with the
    floor's, so both see the same machine load."""
    compileall.compile_dir(str(ROOT / "careplan"), quiet=1)
    with tempfile.TemporaryDirectory() as folder:
        env = {**os.environ, "CAREPLAN_DEMO": "1", "PYTHONPATH": str(ROOT),
               "CAREPLAN_CACHE_DIR": str(Path(folder) / "cache")}
        args = [sys.executable, "-m", "careplan", "plan", str(EXAMPLE),
                "--pdf", str(Path(folder) / "plan.pdf"), "--json", str(Path(folder) / "plan.json"),
                "--today", TODAY.isoformat()]
        floor_args = [sys.executable, "-c", FLOOR_SCRIPT]
        cold = _run_seconds(args, env)
        _run_seconds(floor_args, env)  # the floor's first run warms the OS file cache too
        command: list[float] = []
        floor: list[float] = []
        for _ in range(runs):
            command.append(_run_seconds(args, env))
            floor.append(_run_seconds(floor_args, env))
        batch = _batch_per_plan(folder, env, runs=3)
    ratio = statistics.median(command) / statistics.median(floor)
    per_run = sorted(c / f for c, f in zip(command, floor, strict=True))
    return [
        f"headless command, plan + PDF:            {seconds(command).show()}",
        f"floor: import reportlab.platypus + a pydantic model: {seconds(floor).show()}",
        f"headless ratio command / floor (goal <= 1.5x): {ratio:.2f}x "
        f"(run by run: min {per_run[0]:.2f}x, max {per_run[-1]:.2f}x)",
        f"headless command, cold cache (first run after an install or a rule change): "
        f"{cold:.2f} s",
        f"headless batch, {BATCH} intakes in one process, each plan + PDF: "
        f"{batch.show(1)} a plan",
    ]


BATCH = 20


def _batch_per_plan(folder: str, env: dict[str, str], *, runs: int) -> Timing:
    """Milliseconds each further intake adds in batch mode: (time for BATCH - time for 1)
    / (BATCH - 1), so the start-up the batch pays once is not counted per plan."""
    intakes = Path(folder) / "batch"
    intakes.mkdir()
    paths = [intakes / f"intake-{n:02d}.json" for n in range(BATCH)]
    for path in paths:
        path.write_bytes(EXAMPLE.read_bytes())
    samples = []
    for n in range(runs):
        out_one, out_all = Path(folder) / f"one-{n}", Path(folder) / f"all-{n}"
        out_one.mkdir()
        out_all.mkdir()
        base = [sys.executable, "-m", "careplan", "plan", "--today", TODAY.isoformat()]
        one = _run_seconds([*base, str(paths[0]), "--out-dir", str(out_one)], env)
        many = _run_seconds([*base, *map(str, paths), "--out-dir", str(out_all)], env)
        samples.append((many - one) / (BATCH - 1) * 1000)
    return Timing(tuple(samples))


def documents(plan: CarePlan, hard: CarePlan) -> list[str]:
    """The handout in each language, its large print, and the clinician summary."""
    lines = []
    languages: tuple[Language, ...] = ("en", "es")
    for language in languages:  # the product's goal is the same in every language
        build = partial(patient_pdf, plan, language=language)
        handout = time_ms(build, warmup=5, repeats=60)
        lines.append(f"patient handout PDF, {language} (goal < 35 ms):   "
                     f"{handout.show(1)}, {len(build()) / 1024:.0f} KB (goal < 150 KB)")
    for language in languages:
        build = partial(patient_pdf, plan, large_print=True, language=language)
        large = time_ms(build, warmup=5, repeats=60)
        lines.append(f"large-print handout PDF, {language}:          {large.show(1)}, "
                     f"{len(build()) / 1024:.0f} KB")
    for language in languages:
        tough = time_ms(partial(patient_pdf, hard, language=language), warmup=5, repeats=60)
        lines.append(f"handout PDF, hard patient, {language}:       {tough.show(1)}")
    summary = time_ms(lambda: clinician_pdf(plan), warmup=5, repeats=60)
    lines.append(f"clinician summary PDF:                  {summary.show(1)}, "
                 f"{len(clinician_pdf(plan)) / 1024:.0f} KB")
    return lines


def main() -> None:
    only_documents = sys.argv[1:] == ["documents"]
    raw = EXAMPLE.read_bytes()
    data = json.loads(raw)
    default_rule_base()
    intake = validate_intake(data, today=TODAY)
    validate = time_ms(lambda: validate_intake(data, today=TODAY))
    build = time_ms(lambda: build_plan(intake=intake, today=TODAY))
    both = time_ms(lambda: build_plan(intake=validate_intake(raw, today=TODAY), today=TODAY))
    floor = time_ms(lambda: json.loads(raw))  # the same run's floor: only parse the JSON
    hard = validate_intake(_hard_patient(data), today=TODAY)
    build_hard = time_ms(lambda: build_plan(intake=hard, today=TODAY))
    rules = default_rule_base()
    matched = [rule for rule in rules.rules if rule.speaks][:40]
    voices = [Voice(rule.id, rule.speaks) for rule in matched]
    precedence = time_ms(lambda: resolve(voices, rules.texts, rules.topics))
    print(f"machine: {machine()}")
    print(f"floor: parse the intake JSON:           {floor.show(3)}")
    print(f"validate intake (example):              {validate.show(3)}")
    print(f"build plan (example) (goal < 0.2 ms):   {build.show(3)}")
    print(f"parse + validate + build (goal < 1 ms): {both.show(3)} "
          f"({both.median / floor.median:.0f}x floor)")
    print(f"build plan, hard patient (dark urine, 8 medicines): {build_hard.show(3)}")
    print(f"precedence step alone, {len(voices)} items:     {precedence.show(3)}")
    plan = build_plan(intake=intake, today=TODAY)
    for line in documents(plan, build_plan(intake=hard, today=TODAY)):
        print(line)
    if only_documents:
        return
    for line in headless():
        print(line)
    for line in storage_bench.run(time_ms):
        print(line)
    search_bench.run()  # a million patients, built once and cached outside the repo
    for line in pages_bench.run(time_ms):
        print(line)


if __name__ == "__main__":
    main()
