"""The headless command: ``python -m careplan plan INTAKE.json [--json P] [--pdf P]``.

Batch: ``plan A.json B.json ... --out-dir DIR`` writes ``A.plan.json`` and ``A.pdf`` (and
so on) in DIR from one process, so the start-up is paid once for all of them.

The handout prints in ``--language en|es``, by default the patient's preferred language
(the intake's ``patient.preferred_language``; English where no handout exists in it).

Also ``fhir INTAKE.json`` (the plan as a FHIR R4 Bundle) and ``fhir-import
RESPONSE.json`` (a FHIR QuestionnaireResponse back to an intake draft).

Why it exists: the same intake must give the same plan through every door, and
a script or an integration test needs one without a browser. Bad input exits 2
with one line per problem naming the field; nothing is written then, and an
output file is only ever replaced whole (temporary file, then rename).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path

from careplan import settings
from careplan.clinical.engine import build_plan
from careplan.clinical.plan import CarePlan
from careplan.documents.clinic import Clinic
from careplan.documents.language import LANGUAGES, Language, check_language, handout_choice
from careplan.errors import (
    AccountCommandError,
    AccountError,
    IntakeError,
    SettingError,
    StorageError,
)
from careplan.intake.model import Intake
from careplan.intake.validation import validate_intake

EXIT_OK = 0
EXIT_BAD_INPUT = 2


def plan_json(plan: CarePlan) -> str:
    """The plan as the contract's JSON, UTF-8 and stable key order."""
    return json.dumps(plan.model_dump(mode="json"), ensure_ascii=False, indent=2) + "\n"


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so a reader sees the old file or the new one, never half."""
    path = path.resolve()
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(handle, 0o666 & ~_umask())  # mkstemp makes 0600; give the usual mode
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m careplan", description="Inomyalgia Care: intake to care plan."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    plan = commands.add_parser(
        "plan", help="build the care plan for one intake JSON file (or many, with --out-dir)"
    )
    plan.add_argument("intake", type=Path, nargs="+", help="intake JSON (see shared/contract)")
    plan.add_argument("--json", type=Path, dest="json_out", help="write the plan JSON here")
    plan.add_argument("--pdf", type=Path, dest="pdf_out", help="write the PDF here")
    plan.add_argument(
        "--out-dir",
        type=Path,
        default=None,
        help="batch: for each INTAKE.json write NAME.plan.json and NAME.pdf in this folder",
    )
    plan.add_argument(
        "--audience",
        choices=("patient", "clinician"),
        default="patient",
        help="whose PDF: the patient handout (default) or the clinician summary",
    )
    plan.add_argument(
        "--large-print", action="store_true", help="patient handout with 14 pt body text"
    )
    plan.add_argument(
        "--language", choices=LANGUAGES, default=None,
        help="the handout's language (default: the intake's patient.preferred_language; "
             "English where there is no handout in it)",
    )
    plan.add_argument(
        "--today",
        type=date.fromisoformat,
        default=None,
        help="date the plan is made (YYYY-MM-DD); defaults to today",
    )
    fhir = commands.add_parser("fhir", help="build the plan and print it as a FHIR R4 Bundle")
    fhir.add_argument("intake", type=Path, help="intake JSON (see shared/contract)")
    fhir.add_argument("--bundle", type=Path, dest="bundle_out", help="write the Bundle here")
    fhir.add_argument(
        "--today",
        type=date.fromisoformat,
        default=None,
        help="date the plan is made (YYYY-MM-DD); defaults to today",
    )
    fhir_import = commands.add_parser(
        "fhir-import", help="read a FHIR QuestionnaireResponse (alone, or in a Bundle with its "
                            "Patient) back into an intake draft"
    )
    fhir_import.add_argument("response", type=Path,
                             help="QuestionnaireResponse or Bundle JSON")
    fhir_import.add_argument("--json", type=Path, dest="json_out", help="write the draft here")
    grant = commands.add_parser(
        "grant-app-role", help="PostgreSQL: let the app's login role use the tables without "
                               "owning them (audit records: read and add only); run as owner")
    grant.add_argument("role")
    grant.add_argument("--database-url", default=None, help="defaults to DATABASE_URL")
    migrate = commands.add_parser(
        "migrate", help="bring the database schema to the newest revision (run at deploy time)"
    )
    migrate.add_argument("--database-url", default=None, help="defaults to DATABASE_URL or SQLite")
    demo = commands.add_parser("demo-data", help="add fictional demo patients to the database")
    demo.add_argument("--database-url", default=None, help="defaults to DATABASE_URL or SQLite")
    demo.add_argument("--if-empty", action="store_true", help="only when there are no patients")
    demo.add_argument("--seen-by", action="append", default=[], metavar="USER",
                      help="a user name that may open the demo patients (repeatable); anyone "
                           "else opens them with a reason")
    users = commands.add_parser("users", help="manage clinician accounts")
    users.add_argument("--database-url", default=None, help="defaults to DATABASE_URL or SQLite")
    actions = users.add_subparsers(dest="users_command", required=True)
    add = actions.add_parser("add", help="add an account (the first must be an admin)")
    add.add_argument("username")
    add.add_argument("--name", required=True, help="the person's name as shown on plans")
    add.add_argument("--role", choices=("clinician", "admin"), default="clinician")
    add.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    add.add_argument("--team", default=None,
                     help="the care team: its members share access to their patients")
    team = actions.add_parser("team", help="put an account in a care team (no TEAM: none)")
    team.add_argument("username")
    team.add_argument("team", nargs="?", default=None)
    disable = actions.add_parser("disable", help="disable an account and end its sessions")
    disable.add_argument("username")
    reset = actions.add_parser("reset", help="set a new password (ends its sessions)")
    reset.add_argument("username")
    reset.add_argument("--password-stdin", action="store_true")
    actions.add_parser("list", help="list accounts")
    audit = commands.add_parser("audit", help="the audit trail")
    audit.add_argument("--database-url", default=None, help="defaults to DATABASE_URL or SQLite")
    audit_actions = audit.add_subparsers(dest="audit_command", required=True)
    verify = audit_actions.add_parser("verify",
                                      help="check the hash chain; exit 1 if it is broken")
    verify.add_argument("--anchor", type=Path, default=None,
                        help="a file of heads kept outside the database ('audit head' lines)")
    audit_actions.add_parser("head", help="print the last record as 'seq hash', to keep "
                                          "outside the database (e.g. >> a file elsewhere)")
    new_key = audit_actions.add_parser("new-key", help="write a new audit key file (0600)")
    new_key.add_argument("path", type=Path)
    return parser


def _password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    import getpass

    first = getpass.getpass("New password (12 characters or more): ")
    if getpass.getpass("Once more: ") != first:
        raise AccountCommandError("The two passwords differ.")
    return first


def _users_command(args: argparse.Namespace) -> int:
    from careplan import access, accounts, storage

    url = args.database_url or storage.database_url()
    storage.upgrade(url)
    engine = storage.make_engine(url)
    now = datetime.now(UTC)
    by = f"shell:{os.environ.get('USER', 'admin')}"
    try:
        with storage.transaction(engine) as session:
            if args.users_command == "add":
                accounts.add_user(session=session, username=args.username,
                                  display_name=args.name, role=args.role,
                                  password=_password(args), by=by, now=now)
                if args.team:
                    access.set_team(session=session, username=args.username, team=args.team,
                                    by=by, now=now)
                print(f"Added {args.role} {args.username}"
                      + (f" to team {args.team}." if args.team else "."))
            elif args.users_command == "team":
                team = access.set_team(session=session, username=args.username,
                                       team=args.team, by=by, now=now)
                print(f"{args.username} is in team {team}." if team
                      else f"{args.username} is in no team.")
            elif args.users_command == "disable":
                accounts.set_active(session=session, username=args.username, active=False,
                                    by=by, now=now)
                print(f"Disabled {args.username}; their sessions have ended.")
            elif args.users_command == "reset":
                accounts.reset_password(session=session, username=args.username,
                                        password=_password(args), by=by, now=now)
                print(f"New password set for {args.username}; their sessions have ended.")
            else:
                for user in storage.list_users(session=session):
                    state = "active" if user.active else "disabled"
                    print(f"{user.username}\t{user.role}\t{state}\t{user.display_name}\t"
                          f"{user.team or ''}")
    except (AccountError, StorageError) as error:  # AccountCommandError is an AccountError
        print(f"careplan: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    finally:
        engine.dispose()
    return EXIT_OK


def _audit_command(args: argparse.Namespace) -> int:
    from careplan import audit, storage

    if args.audit_command == "new-key":
        return _new_audit_key(args.path)
    anchors: list[tuple[int, str]] = []
    if args.audit_command == "verify" and args.anchor is not None:
        try:
            anchors = audit.read_anchors(args.anchor.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            print(f"{args.anchor}: {exc}", file=sys.stderr)
            return EXIT_BAD_INPUT
    url = args.database_url or storage.database_url()
    engine = storage.make_engine(url)
    try:
        with storage.transaction(engine, readonly=True) as session:
            records = storage.audit_records(session=session)
    finally:
        engine.dispose()
    if args.audit_command == "head":
        if not records:
            print("The audit trail is empty.", file=sys.stderr)
            return 1
        print(f"{records[-1].seq} {records[-1].hash}")
        return EXIT_OK
    problems = audit.verify(records, anchors=anchors)
    if problems:
        for problem in problems:
            print(problem, file=sys.stderr)
        print(f"The audit trail is broken: {len(problems)} problem(s).", file=sys.stderr)
        return 1
    anchored = f", {len(anchors)} anchor(s) matched" if anchors else ""
    print(f"The audit trail is intact: {len(records)} record(s){anchored}.")
    return EXIT_OK


def _new_audit_key(path: Path) -> int:
    """A new random key in a file only its owner can read; never overwrites a key (the
    trail signed with it could no longer be checked)."""
    import secrets

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        print(f"{path} already exists; a key is never replaced", file=sys.stderr)
        return EXIT_BAD_INPUT
    except OSError as exc:
        print(f"{path}: cannot write it ({exc.strerror})", file=sys.stderr)
        return EXIT_BAD_INPUT
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(secrets.token_urlsafe(48) + "\n")
    print(f"Wrote a new audit key to {path}. Keep a copy somewhere safe: without it the "
          "audit trail cannot be checked.")
    return EXIT_OK


def _grant_command(args: argparse.Namespace) -> int:
    from careplan import storage

    engine = storage.make_engine(args.database_url or storage.database_url())
    try:
        storage.grant_app_role(engine, args.role)
    finally:
        engine.dispose()
    print(f"{args.role} may now read and write the tables, and only read and add audit "
          "records. Run this again after each migration.")
    return EXIT_OK


def _migrate_command(args: argparse.Namespace) -> int:
    from careplan import storage  # the database only when asked

    url = args.database_url or storage.database_url()
    storage.upgrade(url)
    engine = storage.make_engine(url)
    try:
        revision = storage.schema_revision(engine)
    finally:
        engine.dispose()
    print(f"The database schema is at revision {revision}.")
    return EXIT_OK


def _demo_command(args: argparse.Namespace) -> int:
    from careplan import demo, storage  # the database only when asked

    url = args.database_url or storage.database_url()
    storage.upgrade(url)
    engine = storage.make_engine(url)
    try:
        with storage.transaction(engine, readonly=True) as session:
            existing = storage.count_patients(session=session)
        if existing and args.if_empty:
            print(f"The database already has {existing} patient(s); no demo data added.")
            return EXIT_OK
        patients, visits = demo.seed(engine, today=date.today(), seen_by=args.seen_by)
    finally:
        engine.dispose()
    print(f"Added {patients} demo patients with {visits} visits.")
    return EXIT_OK


def _emit(text: str, path: Path | None) -> None:
    """Write ``text`` to ``path`` whole (temporary file, then rename), or to stdout."""
    if path is None:
        sys.stdout.write(text)
    else:
        write_atomically(path, text.encode("utf-8"))


def _read_intake(path: Path, *, today: date, prefix: str = "") -> Intake | None:
    """The validated intake, or None after one line per problem on stderr."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        print(f"{path}: cannot read the file ({exc.strerror})", file=sys.stderr)
        return None
    try:
        return validate_intake(raw, today=today)
    except IntakeError as exc:
        for problem in exc.problems:
            print(f"{prefix}{problem}", file=sys.stderr)
        return None


def _plan_command(args: argparse.Namespace) -> int:
    if args.out_dir is not None or len(args.intake) > 1:
        return _plan_batch(args)
    today = args.today or date.today()
    intake = _read_intake(args.intake[0], today=today)
    if intake is None:
        return EXIT_BAD_INPUT
    clinic = _handout_clinic(args, printing=args.pdf_out is not None)
    language = _language(args, intake, printing=args.pdf_out is not None)
    plan = build_plan(intake=intake, today=today)
    text = plan_json(plan)
    if args.pdf_out is not None:
        write_atomically(args.pdf_out, _pdf(plan, args, clinic, language))
        _flag_right_to_left(plan, args.pdf_out)
        _flag_spanish(args, [language])
    _emit(text, args.json_out)
    return EXIT_OK


def _handout_clinic(args: argparse.Namespace, *, printing: bool) -> Clinic | None:
    """The clinic the handout names; a bad setting fails here, before any file is written."""
    config = settings.current()
    clinic = config.clinic
    if clinic is None and printing and args.audience != "clinician":
        # The contract's command always prints; without a clinic it prints the demo clinic,
        # marked DEMO on every page, and says what to set. The dashboard refuses instead.
        clinic = settings.demo_clinic(config)
        print(f"careplan: the handout is marked DEMO: {settings.NO_CLINIC}", file=sys.stderr)
    return clinic


def _language(args: argparse.Namespace, intake: Intake, *, printing: bool,
              prefix: str = "") -> Language:
    """The handout's language: ``--language``, else the patient's preferred one.

    Said on stderr when the preferred language has no handout (or none for this clinic's
    locale) and English prints instead; an explicit ``--language es`` a clinic outside the
    US cannot print stops here, before anything is written (SettingError, exit 2).
    """
    locale = settings.current().locale
    if args.language is not None:
        chosen: Language = args.language
        if printing and args.audience != "clinician":
            check_language(chosen, locale=locale)
        return chosen
    choice = handout_choice(intake.patient.preferred_language, locale=locale)
    if printing and args.audience != "clinician" and choice.note:
        print(f"careplan: {prefix}{choice.note}; the handout is printed in English",
              file=sys.stderr)
    return choice.preferred


def _pdf(plan: CarePlan, args: argparse.Namespace, clinic: Clinic | None,
         language: Language) -> bytes:
    from careplan.documents.pdf import clinician_pdf, patient_pdf  # reportlab only when asked

    if args.audience == "clinician":
        return clinician_pdf(plan, handout_language=language)
    return patient_pdf(plan, clinic=clinic, large_print=args.large_print, language=language)


def _flag_spanish(args: argparse.Namespace, languages: list[Language]) -> None:
    """Say once on stderr that a Spanish handout's words have had no translator's review."""
    if args.audience != "clinician" and "es" in languages:
        from careplan.documents.report import SPANISH_NOT_REVIEWED

        print(f"careplan: {SPANISH_NOT_REVIEWED}", file=sys.stderr)


def _flag_right_to_left(plan: CarePlan, pdf: Path) -> None:
    """Say on stderr when the PDF holds text it cannot lay out right to left."""
    from careplan.documents.report import RIGHT_TO_LEFT_NOTE, right_to_left_text

    if right_to_left_text(plan):
        print(f"careplan: {pdf}: {RIGHT_TO_LEFT_NOTE}", file=sys.stderr)


def _plan_batch(args: argparse.Namespace) -> int:
    """Many intakes in one process: NAME.plan.json and NAME.pdf for each, in ``--out-dir``.

    Why: a process pays its start-up (Python, reportlab, pydantic, the rule base) once,
    so a clinic printing a day's handouts pays it once, not per patient. Every intake is
    read and checked before anything is written: one bad file exits 2 (its problems named
    with the file) and writes nothing, as the single-intake command does.
    """
    if args.out_dir is None or args.json_out is not None or args.pdf_out is not None:
        print("careplan: several intakes need --out-dir (and no --json or --pdf)",
              file=sys.stderr)
        return EXIT_BAD_INPUT
    names = [path.name.removesuffix(".json") for path in args.intake]
    if len(set(names)) != len(names):
        print("careplan: two intakes have the same file name; their outputs would collide",
              file=sys.stderr)
        return EXIT_BAD_INPUT
    today = args.today or date.today()
    read = [_read_intake(path, today=today, prefix=f"{path}: ") for path in args.intake]
    intakes = [intake for intake in read if intake is not None]
    if len(intakes) != len(read):
        return EXIT_BAD_INPUT
    if not args.out_dir.is_dir():
        print(f"{args.out_dir}: not a folder", file=sys.stderr)
        return EXIT_BAD_INPUT
    clinic = _handout_clinic(args, printing=True)
    languages = [_language(args, intake, printing=True, prefix=f"{path}: ")
                 for path, intake in zip(args.intake, intakes, strict=True)]
    for name, intake, language in zip(names, intakes, languages, strict=True):
        plan = build_plan(intake=intake, today=today)
        write_atomically(args.out_dir / f"{name}.pdf", _pdf(plan, args, clinic, language))
        _flag_right_to_left(plan, args.out_dir / f"{name}.pdf")
        write_atomically(args.out_dir / f"{name}.plan.json", plan_json(plan).encode("utf-8"))
    _flag_spanish(args, languages)
    return EXIT_OK


def _fhir_command(args: argparse.Namespace) -> int:
    from careplan.fhir import bundle, to_json  # fhir.resources only when asked

    today = args.today or date.today()
    intake = _read_intake(args.intake, today=today)
    if intake is None:
        return EXIT_BAD_INPUT
    plan = build_plan(intake=intake, today=today)
    text = to_json(bundle(intake=intake, plan=plan, review=None, signed_by=None, signed_on=None))
    _emit(text, args.bundle_out)
    return EXIT_OK


def _fhir_import_command(args: argparse.Namespace) -> int:
    from careplan.errors import FhirImportError
    from careplan.fhir import import_response

    try:
        raw = args.response.read_bytes()
    except OSError as exc:
        print(f"{args.response}: cannot read the file ({exc.strerror})", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        result = import_response(raw)
    except FhirImportError as exc:
        print(f"{args.response}: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    for item in result.unmapped:
        print(f"unmapped: {item}", file=sys.stderr)
    text = json.dumps(result.draft, ensure_ascii=False, indent=2) + "\n"
    _emit(text, args.json_out)
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit code instead of raising (no tracebacks for users)."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "migrate":
            return _migrate_command(args)
        if args.command == "grant-app-role":
            return _grant_command(args)
        if args.command == "demo-data":
            return _demo_command(args)
        if args.command == "users":
            return _users_command(args)
        if args.command == "audit":
            return _audit_command(args)
        if args.command == "fhir":
            return _fhir_command(args)
        if args.command == "fhir-import":
            return _fhir_import_command(args)
        return _plan_command(args)
    except KeyboardInterrupt:
        return 130
    except SettingError as exc:
        print(f"careplan: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except StorageError as exc:  # the database's own words: busy, full, another audit key
        print(f"careplan: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except Exception as exc:  # a bug, not bad input: say so in one line
        if os.environ.get("CAREPLAN_DEBUG"):  # not via settings: a bad setting must not hide it
            raise
        print(f"careplan: internal error ({type(exc).__name__}); set CAREPLAN_DEBUG=1 for details",
              file=sys.stderr)
        return 1
