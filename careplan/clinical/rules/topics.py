"""Topics and stances: how one plan is kept to one message per topic.

Why: rules are written one at a time, and two right rules can contradict each
other in one handout. Each rule and each fixed handout line declares the
topics it speaks about and its stance on each (``topics.toml``, strictest
stance first). ``resolve`` keeps, on every topic, only the strictest stance
any matched item holds: weaker items are withheld, naming who held them, and
fixed handout lines print only where they agree with the plan.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Annotated, Any, Literal, TypeVar

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

    def rank(self, stance: str) -> int:
        """0 for the strictest stance; larger is milder."""
        return self.stances.index(stance)

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
        for group in (spec.urgent, spec.reassure):
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
            _one_pattern(words_es),
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


@dataclass(frozen=True, slots=True)
class Voice:
    """Anything that may speak in the plan: a matched rule or a fixed handout line."""

    id: str
    speaks: Speaks
    anchor: bool = False  # always printed, so it takes part like a matched rule


@dataclass(frozen=True, slots=True)
class Verdict:
    """What precedence decided: who is held back and by whom; which fixed lines agree."""

    held: Mapping[str, tuple[str, str, tuple[str, ...]]]  # id -> (topic, winning stance, by)
    lines: tuple[str, ...]  # fixed-text ids that may print


def resolve(
    voices: Sequence[Voice], fixed: Iterable[FixedText], topics: Mapping[str, Topic]
) -> Verdict:
    """Strictest stance per topic wins; weaker voices are held; followers print if they agree.

    The winner on a topic is the strictest stance of any matched voice (rules and
    anchor lines), whether or not that voice is itself held on another topic: a
    stricter view the system holds is never contradicted in print, only omitted.
    """
    fixed = tuple(fixed)
    speakers = [*voices, *(Voice(t.id, t.speaks, anchor=True) for t in fixed if t.role == "anchor")]
    best: dict[str, int] = {}
    said_by: dict[tuple[str, str], list[str]] = {}  # (topic, stance) -> ids, in speaker order
    for voice in speakers:
        for said in voice.speaks:
            topic, stance = said
            rank = topics[topic].rank(stance)
            best[topic] = min(rank, best.get(topic, rank))
            said_by.setdefault(said, []).append(voice.id)
    winners = {topic: topics[topic].stances[rank] for topic, rank in best.items()}
    by_topic: dict[str, tuple[str, ...]] = {
        topic: tuple(said_by[topic, stance]) for topic, stance in winners.items()
    }
    held: dict[str, tuple[str, str, tuple[str, ...]]] = {}
    for voice in speakers:
        for topic, stance in voice.speaks:
            if stance != winners[topic]:
                held[voice.id] = (topic, winners[topic], by_topic[topic])
                break
    for voice in speakers:  # a standing line gives way only to a stricter line that prints
        if voice.anchor and voice.id in held and all(by in held for by in held[voice.id][2]):
            del held[voice.id]
    printed: dict[str, str] = {}  # the stance each topic ends up with in print
    for voice in speakers:
        if voice.id not in held:
            printed.update(voice.speaks)
    lines = tuple(
        t.id for t in fixed
        if t.id not in held and (t.role == "anchor" or all(
            printed.get(topic, topics[topic].mildest) == stance for topic, stance in t.speaks
        ))
    )
    return Verdict(held, lines)
