"""Topics and stances: how one plan is kept to one message per topic.

Why: rules are written one at a time, and two right rules can contradict each
other in one handout. Each rule and each fixed handout line declares the
topics it speaks about and its stance on each (``topics.toml``, strictest
stance first). ``resolve`` keeps, on every topic, only the strictest stance
any matched item holds: weaker items are withheld, naming who held them, and
fixed handout lines print only where they agree with the plan. An item that only
repeats an instruction a printed item already gives (a ``said_once`` stance, such as
"do not take ibuprofen") is withheld too: a handout that says two things says nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Annotated, Any, Literal, Protocol, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from careplan.clinical.rules.wording import one_line
from careplan.errors import RuleBaseError

Speaks = tuple[tuple[str, str], ...]  # (topic, stance), sorted by topic
Role = Literal["anchor", "follower"]
Where = Literal[
    "help_headings", "help_emergency", "help_same_day", "help_numbers", "key", "flare",
    "most_per_day",
]

_ID = r"^[a-z][a-z_]*$"
_M = TypeVar("_M", bound=BaseModel)


class _TopicFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)  # cache miss only

    id: Annotated[str, StringConstraints(pattern=_ID)]
    label: Annotated[str, StringConstraints(min_length=3)]
    stances: Annotated[list[Annotated[str, StringConstraints(pattern=_ID)]], Field(min_length=2)]
    urgent: list[str] = []
    reassure: list[str] = []
    said_once: list[str] = []
    words: Annotated[list[str], Field(min_length=1)]
    words_es: Annotated[list[str], Field(min_length=1)]


class _TextFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)  # cache miss only

    id: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2,6}(-[A-Z0-9]+)+$")]
    where: Where
    role: Role
    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3)]
    text_es: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3)]
    speaks: dict[str, str] = {}


@dataclass(frozen=True, slots=True)
class Topic:
    """One topic: its stances strictest first, and the words that show a text speaks of it."""

    id: str
    label: str
    stances: tuple[str, ...]
    urgent: frozenset[str]
    reassure: frozenset[str]
    # Pattern sources, not compiled patterns: only the loader's checks and the tests search
    # with them, so a rule base read from the cache does not compile ~80 patterns for nothing.
    words: tuple[str, ...]
    any_word: str  # the words as one pattern: one search a text, not one a word
    words_es: tuple[str, ...] = ()  # the same for Spanish text
    any_word_es: str = ""
    # Stances that are one instruction whoever gives it ("do not take these pills"): a second
    # item that says nothing more is held back as the same message (``resolve``).
    said_once: frozenset[str] = frozenset()
    # Each stance's rank, made once: precedence looks one up for every stance of every item.
    ranks: Mapping[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "ranks", {stance: i for i, stance in enumerate(self.stances)})

    def rank(self, stance: str) -> int:
        """0 for the strictest stance; larger is milder."""
        return self.ranks[stance]

    @property
    def mildest(self) -> str:
        """The stance a fixed line may assume when nothing in the plan speaks of the topic."""
        return self.stances[-1]

    def mentioned_in(self, text: str, language: str = "en") -> bool:
        """Whether a text's words speak of this topic (the loader's and the tests' guard).

        ``language``: ``en`` or ``es``, the language of the text (each has its own words).
        """
        pattern = self.any_word_es if language == "es" else self.any_word
        return re.search(pattern, text, re.IGNORECASE) is not None


@dataclass(frozen=True, slots=True)
class FixedText:
    """A fixed handout line with the stances it takes (``handout.toml``)."""

    id: str
    where: Where
    role: Role
    text: str
    speaks: Speaks
    text_es: str = ""  # the same line in Spanish (the loader requires it)

    def in_language(self, language: str) -> str:
        """The line in ``en`` or ``es``."""
        return self.text_es if language == "es" else self.text


def _tables(text: str, *, file: str, key: str) -> list[Any]:
    """The ``[[key]]`` tables of one TOML file, refusing anything else at the top level."""
    import tomllib  # only when checking: a shipped rule base is read from careplan.cache

    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RuleBaseError(f"{file}: {exc}") from None
    if set(document) - {key}:
        raise RuleBaseError(f"{file}: unknown top-level keys {sorted(set(document) - {key})}")
    tables: list[Any] = document.get(key, [])
    return tables


def _parse(model: type[_M], raw: Any, *, where: str) -> _M:
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        loc = ".".join(map(str, first["loc"]))
        raise RuleBaseError(f"{where}: {loc}: {first['msg']}") from None


def load_topics(text: str) -> dict[str, Topic]:
    """Parse and check ``topics.toml``: unique ids, known urgent/reassure stances, valid words."""
    topics: dict[str, Topic] = {}
    for raw in _tables(text, file="topics.toml", key="topic"):
        where = f"topics.toml: topic {raw.get('id', '?')}"
        spec = _parse(_TopicFile, raw, where=where)
        if spec.id in topics:
            raise RuleBaseError(f"{where}: duplicate topic")
        if len(set(spec.stances)) != len(spec.stances):
            raise RuleBaseError(f"{where}: a stance is listed twice")
        for group in (spec.urgent, spec.reassure, spec.said_once):
            if unknown := sorted(set(group) - set(spec.stances)):
                raise RuleBaseError(f"{where}: {unknown} are not stances of the topic")
        if set(spec.urgent) & set(spec.reassure):
            raise RuleBaseError(f"{where}: a stance cannot be both urgent and reassuring")
        try:
            for word in (*spec.words, *spec.words_es):
                re.compile(word, re.IGNORECASE)
        except re.error as exc:
            raise RuleBaseError(f"{where}: bad word pattern: {exc}") from None
        words, words_es = tuple(spec.words), tuple(spec.words_es)
        topics[spec.id] = Topic(
            spec.id, spec.label, tuple(spec.stances), frozenset(spec.urgent),
            frozenset(spec.reassure), words, _one_pattern(words), words_es,
            _one_pattern(words_es), frozenset(spec.said_once),
        )
    if not topics:
        raise RuleBaseError("topics.toml: no topics")
    return topics


def _one_pattern(words: tuple[str, ...]) -> str:
    return "|".join(f"(?:{w})" for w in words)


def check_speaks(
    declared: Mapping[str, str], *, text: str, where: str, topics: Mapping[str, Topic],
    text_es: str = "",
) -> Speaks:
    """Check declared topics and stances, and that the text speaks of no undeclared topic.

    ``text_es``, the Spanish text, is checked the same way with each topic's Spanish words.
    """
    for name, stance in declared.items():
        if name not in topics:
            raise RuleBaseError(f"{where}: unknown topic {name!r} in 'speaks'")
        if stance not in topics[name].stances:
            raise RuleBaseError(
                f"{where}: {stance!r} is not a stance of {name!r} {list(topics[name].stances)}"
            )
    for topic in topics.values():
        if topic.id in declared:
            continue
        for language, said in (("en", text), ("es", text_es)):
            if said and topic.mentioned_in(said, language):
                which = "patient text" if language == "en" else "Spanish patient text"
                raise RuleBaseError(
                    f"{where}: the {which} speaks of {topic.id!r} ({topic.label}) "
                    "but 'speaks' does not declare it"
                )
    return tuple(sorted(declared.items()))


def load_fixed_texts(text: str, *, topics: Mapping[str, Topic]) -> tuple[FixedText, ...]:
    """Parse and check ``handout.toml`` with the same topic checks as rule text."""
    texts: list[FixedText] = []
    for raw in _tables(text, file="handout.toml", key="text"):
        where = f"handout.toml: text {raw.get('id', '?')}"
        spec = _parse(_TextFile, raw, where=where)
        if spec.id in {t.id for t in texts}:
            raise RuleBaseError(f"{where}: duplicate id")
        line, line_es = one_line(spec.text), one_line(spec.text_es)
        speaks = check_speaks(spec.speaks, text=line, where=where, topics=topics, text_es=line_es)
        texts.append(FixedText(spec.id, spec.where, spec.role, line, speaks, line_es))
    return tuple(texts)


@cache
def default_topics() -> dict[str, Topic]:
    """The shipped topic vocabulary (no patient data; loaded once per process)."""
    folder = resources.files("careplan.clinical.rules")
    text = folder.joinpath("topics.toml").read_text(encoding="utf-8")
    return load_topics(text)


# ---------------------------------------------------------------- precedence


class Speaker(Protocol):
    """Anything that may speak in the plan: a matched rule, a fixed handout line, a ``Voice``."""

    @property
    def id(self) -> str: ...

    @property
    def speaks(self) -> Speaks: ...


@dataclass(frozen=True, slots=True)
class Voice:
    """A speaker made of an id and its stances: a plan's printed item, a test's invention."""

    id: str
    speaks: Speaks


Held = tuple[str, str, tuple[str, ...]]  # (topic, winning stance, by)


@dataclass(frozen=True, slots=True)
class Verdict:
    """What precedence decided: who is held back and by whom; which fixed lines agree.

    An item is held either for a stance weaker than the winning one on the topic named,
    or at the winning stance itself: then it repeats what ``by``, printed, already says.
    """

    held: Mapping[str, Held]  # id -> (topic, winning stance, by)
    lines: tuple[str, ...]  # fixed-text ids that may print


def resolve(
    voices: Sequence[Speaker], fixed: Iterable[FixedText], topics: Mapping[str, Topic]
) -> Verdict:
    """Strictest stance per topic wins; weaker voices are held; followers print if they agree.

    ``voices`` come in precedence order (the engine's: alerts, then rules in file order).
    The winner on a topic is the strictest stance of any matched voice (rules and
    anchor lines), whether or not that voice is itself held on another topic: a
    stricter view the system holds is never contradicted in print, only omitted.

    Voices tied at the winning stance agree, but three paragraphs that each say "do not
    take ibuprofen" read as three problems, and the one that matters is lost among them.
    So a voice that only repeats a ``said_once`` instruction an earlier printed voice
    gives is held as the same message (``_hold_repeats``). Fixed lines are never held so.
    """
    board = _board(tuple(fixed), topics)
    speakers = (*voices, *board.anchors)
    ranks = board.ranks
    best: dict[str, int] = {}
    said_by: dict[tuple[str, str], list[str]] = {}  # (topic, stance) -> ids, in speaker order
    for voice in speakers:
        for said in voice.speaks:
            rank, topic = ranks[said], said[0]
            if rank < best.get(topic, rank + 1):
                best[topic] = rank
            if (ids := said_by.get(said)) is None:
                said_by[said] = [voice.id]
            else:
                ids.append(voice.id)
    winners = {topic: board.stances[topic][rank] for topic, rank in best.items()}
    held: dict[str, Held] = {}
    for voice in speakers:
        for topic, stance in voice.speaks:
            if stance != (won := winners[topic]):
                held[voice.id] = (topic, won, tuple(said_by[topic, won]))
                break
    if any(len(said_by.get(said, ())) > 1 for said in board.once):  # else none can repeat
        _hold_repeats(voices, board, held)
    for anchor in board.anchors:  # a standing line gives way only to a stricter line that prints
        if (entry := held.get(anchor.id)) is not None and all(by in held for by in entry[2]):
            del held[anchor.id]
    printed: dict[str, str] = {}  # the stance each topic ends up with in print
    for voice in speakers:
        if voice.id not in held:
            printed.update(voice.speaks)
    lines: list[str] = []
    for line, needs in board.lines:  # an anchor needs nothing; a follower, agreement
        if line not in held:
            for topic, stance, mildest in needs:
                if printed.get(topic, mildest) != stance:
                    break
            else:
                lines.append(line)
    return Verdict(held, tuple(lines))


def _hold_repeats(voices: Sequence[Speaker], board: _Board, held: dict[str, Held]) -> None:
    """Hold, in ``voices`` order, each voice that says nothing an earlier printed one does not.

    Only a voice that gives ``said_once`` instructions and is otherwise at mildest stances
    can repeat or be repeated. What else a voice says is its own message, so sharing a
    stance there is no sign of the same words: every red flag is "serious" about its own
    symptom, the dark-urine alert declares NSAIDs dangerous without a word about them, and
    "no aspirin for children" is not "no ibuprofen with your kidneys". A mildest stance may
    be lost with the repeat ("a pain gel is safer"): where nothing prints on a topic, a
    handout line assumes the mildest stance anyway. A strict one may not ("rest for now").
    The first printed voice keeps the message, so the rule files put the most specific
    reason first ("you take a blood thinner" before "at your age").
    """
    told: dict[tuple[str, str], list[str]] = {}  # instruction -> the printed voices giving it
    for voice in voices:
        if voice.id in held:
            continue
        gives = [said for said in voice.speaks if said in board.once]
        if not gives or any(said not in board.once and said not in board.mild
                            for said in voice.speaks):
            continue
        if all(said in told for said in gives):
            topic, stance = gives[0]
            held[voice.id] = (topic, stance, tuple(told[topic, stance]))
        else:
            for said in gives:
                told.setdefault(said, []).append(voice.id)


@dataclass(frozen=True, slots=True)
class _Board:
    """What ``resolve`` needs of one rule base's fixed lines and topics, worked out once."""

    fixed: tuple[FixedText, ...]  # kept, so the identities it is found by stay taken
    topics: Mapping[str, Topic]
    anchors: tuple[FixedText, ...]  # always printed, so they take part like matched rules
    ranks: Mapping[tuple[str, str], int]  # (topic, stance) -> 0 for the strictest
    stances: Mapping[str, tuple[str, ...]]
    once: frozenset[tuple[str, str]]  # the said_once (topic, stance) pairs
    mild: frozenset[tuple[str, str]]  # each topic's mildest (topic, stance)
    # Each fixed line with what it needs to print: nothing for an anchor; for a follower,
    # on each topic it speaks, its stance in print (the topic's mildest where none prints).
    lines: tuple[tuple[str, tuple[tuple[str, str, str], ...]], ...]  # (topic, stance, mildest)


_BOARDS: dict[tuple[int, int], _Board] = {}


def _board(fixed: tuple[FixedText, ...], topics: Mapping[str, Topic]) -> _Board:
    """The board for these lines and topics, found by identity: a rule base makes them once,
    and hashing ~36 lines and ~20 topics on every plan would cost more than it saves."""
    board = _BOARDS.get((id(fixed), id(topics)))
    if board is None or board.fixed is not fixed or board.topics is not topics:
        if len(_BOARDS) >= 16:  # tests load rule bases of their own
            _BOARDS.clear()
        board = _BOARDS[id(fixed), id(topics)] = _Board(
            fixed, topics,
            anchors=tuple(t for t in fixed if t.role == "anchor"),
            ranks={(t.id, s): r for t in topics.values() for s, r in t.ranks.items()},
            stances={t.id: t.stances for t in topics.values()},
            once=frozenset((t.id, s) for t in topics.values() for s in t.said_once),
            mild=frozenset((t.id, t.mildest) for t in topics.values()),
            lines=tuple(
                (t.id, () if t.role == "anchor" else
                 tuple((topic, stance, topics[topic].mildest) for topic, stance in t.speaks))
                for t in fixed
            ),
        )
    return board
