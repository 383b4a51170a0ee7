"""Exceptions of the care-plan package, one tree so callers catch what they mean.

Every error the package raises on purpose is defined here and derives from
``CareplanError`` (a test checks that no ``*Error`` class is defined elsewhere or
left out of this tree).

    CareplanError
     ├── AccessDeniedError  the actor may not open this patient's record (audited
     │                      access_denied); opening it needs a reason (break the glass)
     ├── AccountError       an account cannot be created or changed (weak password, no such user)
     │    ├── AccountCommandError  the account command was used wrongly (passwords differ)
     │    └── SessionEndedError    the signed-in session ended (sign-out, idle, disabled):
     │                             the write was refused and audited as denied
     ├── DuplicatePatientError  a patient with this name and date of birth exists already:
     │                          create anyway only when asked to
     ├── FhirImportError    a QuestionnaireResponse cannot be read as an answer to our form
     ├── InputError         a value typed into a form is refused (a hidden character, too
     │                      long, out of range, an MRN in use); the message names the field
     ├── IntakeError        the intake is invalid; carries one Problem per field
     ├── NotReadyToSignError  a plan version cannot be signed yet: a red-flag question
     │                        not asked, an urgent alert not acknowledged, an item not
     │                        reviewed (one Problem each, in words)
     ├── ReasonError        a break-the-glass reason is missing, too short or too long
     ├── RuleBaseError      the rule files break the rule schema (found at load time)
     ├── SettingError       a deployment setting has a value we cannot use (CAREPLAN_LOCALE)
     ├── StorageError       the database could not do it (message says what next)
     │    ├── NotFoundError
     │    ├── ConflictError       someone else saved first (who, when, their data)
     │    ├── SignedPlanError     signed plans are immutable
     │    ├── AuditKeyError       the audit trail is signed with another key (or none is set)
     │    ├── DatabaseBusyError   locked past the busy timeout: retry
     │    ├── StorageFullError    disk full: rolled back, still usable
     │    └── ConnectionLostError connection dropped: retry with the same request id
     └── VocabularyError    a medication vocabulary file is malformed (found at import)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Problem:
    """One invalid field: a dotted path a clinician can find and a plain message."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class CareplanError(Exception):
    """Base of every error this package raises on purpose."""


class AccessDeniedError(CareplanError):
    """The actor has not seen this patient, nor has their care team: nothing was shown or
    written, and the attempt was audited as ``access_denied``."""


class ReasonError(CareplanError, ValueError):
    """A break-the-glass reason was refused (missing, too short or too long); no access given."""


class AccountError(CareplanError):
    """An account could not be created or changed; the message says why."""


class AccountCommandError(AccountError):
    """A user-facing problem with an account command (``careplan users ...``)."""


class SessionEndedError(AccountError):
    """A write was attempted for a session that has ended; nothing was written."""


class DuplicatePatientError(CareplanError):
    """A patient with the same name (composed, case- and accent-folded) and date of birth
    exists already; nothing was created. ``matches`` are their ids; the caller creates the
    patient anyway only when the clinician confirms it is someone else."""

    def __init__(self, message: str, *, matches: tuple[int, ...]) -> None:
        self.matches = matches
        super().__init__(message)


class InputError(CareplanError, ValueError):
    """A value typed into a form was refused; the message names the field by its label and
    says what to do. Nothing was written."""


class FhirImportError(CareplanError):
    """A QuestionnaireResponse that cannot be read as an answer to our intake form."""


class SettingError(CareplanError, ValueError):
    """A deployment setting (environment variable) has a value we cannot use."""


class IntakeError(CareplanError):
    """The intake failed validation; ``problems`` lists every field at fault."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(str(p) for p in self.problems))


class NotReadyToSignError(CareplanError):
    """A plan version was not signed: ``problems`` says what is missing, one each (a red-flag
    question not asked, an emergency or urgent alert not acknowledged, an item not
    reviewed); the message is ``summary`` in words, without field names. Nothing changed."""

    def __init__(self, summary: str, problems: list[Problem]) -> None:
        self.summary, self.problems = summary, tuple(problems)
        super().__init__(f"The plan was not signed: {summary}.")


class RuleBaseError(CareplanError):
    """A rule file is malformed: an unknown fact, operator, value or missing source."""


class VocabularyError(CareplanError, ValueError):
    """A medication vocabulary file is malformed; the message names the file and entry."""


class StorageError(CareplanError):
    """The database could not do what was asked; the message says what to do next."""


class NotFoundError(StorageError):
    """The patient, visit or plan asked for does not exist."""


class ConflictError(StorageError):
    """Someone else saved this record first; nothing was overwritten and nothing is lost.

    ``changed_by`` and ``changed_at`` say who and when; ``current`` holds their
    version of the data so the page can show both and let the clinician merge.
    """

    def __init__(
        self, *, what: str, changed_by: str, changed_at: datetime, version: int, current: object
    ) -> None:
        self.changed_by, self.changed_at, self.version, self.current = (
            changed_by, changed_at, version, current,
        )
        when = changed_at.strftime("%Y-%m-%d %H:%M UTC")
        super().__init__(
            f"{what} was changed by {changed_by} at {when}; your changes were not saved over "
            "theirs and are kept. Review both, then save again."
        )


class SignedPlanError(StorageError):
    """A signed plan is immutable: a change makes a new version instead."""


class AuditKeyError(StorageError):
    """The audit trail is signed with a key that is not the one configured: nothing written."""


class DatabaseBusyError(StorageError):
    """The database stayed locked past the busy timeout; retrying later is safe."""


class StorageFullError(StorageError):
    """The disk or the database is full; the change was rolled back."""


class ConnectionLostError(StorageError):
    """The connection to the database dropped; retrying with the same request id is safe."""
