"""Misspellings: an unknown word read as the one known word it is close to.

Why conservative: a wrong reading would run the wrong interaction rules. A word
is corrected only with at least 5 letters, the same first letter, a length
within one letter (two from 10 letters, so "proton" is not Protonix), a
similarity (rapidfuzz ratio, 0-100) of at least ``_FUZZY_CUTOFF``, and no other
known word for a different drug within ``_FUZZY_MARGIN`` of it or as few edits
away (so "clorazepam" is not guessed between lorazepam and clonazepam, nor
"nioral" between Neoral and Nizoral). Only words of known names are targets,
and the corrected name must still be a known one.
"""

from __future__ import annotations

from functools import cache
from typing import Final

from careplan.clinical.medications.vocabulary import VOCABULARY

_FUZZY_MIN_LENGTH: Final[int] = 5
_FUZZY_CUTOFF: Final[float] = 84.0
_FUZZY_MARGIN: Final[float] = 5.0


# Made on the first unknown name, not at import: most lists hold only known names, and the
# headless command should not pay for rapidfuzz and these tables when none is misspelt.
@cache
def known_words() -> frozenset[str]:
    """Every word of every known name."""
    return frozenset(word for key in VOCABULARY.lookup for word in key)


@cache
def _fuzzy_targets() -> dict[str, tuple[str, ...]]:
    """Known words a misspelling may be read as, sorted, by first letter."""
    targets: dict[str, list[str]] = {}
    for word in sorted(known_words()):
        if (len(word) >= _FUZZY_MIN_LENGTH and word.isalpha()
                and word not in VOCABULARY.never_corrected):
            targets.setdefault(word[0], []).append(word)
    return {letter: tuple(words) for letter, words in targets.items()}


def _same_drug(first: str, second: str) -> bool:
    """Whether two known words name the same ingredients on their own ("Voltarol", "Voltaren")."""
    one, other = VOCABULARY.lookup.get((first,)), VOCABULARY.lookup.get((second,))
    return one is not None and other is not None and one.generics == other.generics


def _closest_word(word: str) -> str | None:
    """The one known word ``word`` is a misspelling of, or ``None``."""
    from rapidfuzz import fuzz, process
    from rapidfuzz.distance import Levenshtein

    if (len(word) < _FUZZY_MIN_LENGTH or not word.isalpha()
            or word in VOCABULARY.never_corrected):
        return None
    slack = max(1, len(word) // 5)
    targets = [t for t in _fuzzy_targets().get(word[0], ()) if abs(len(t) - len(word)) <= slack]
    best = process.extract(
        word,
        targets,
        scorer=fuzz.ratio,
        score_cutoff=_FUZZY_CUTOFF - _FUZZY_MARGIN,
        limit=None,
    )
    if not best or best[0][1] < _FUZZY_CUTOFF:
        return None
    chosen, score, _ = best[0]
    edits = Levenshtein.distance(word, chosen)
    for other, other_score, _ in best[1:]:
        close = score - other_score < _FUZZY_MARGIN or Levenshtein.distance(word, other) <= edits
        if close and not _same_drug(chosen, other):
            return None  # two drugs are about as close: a person must read it
    return chosen


def correct_spelling(words: list[str]) -> list[str] | None:
    """``words`` with each unknown word replaced by its closest known word,
    or ``None`` when no word is close enough to one."""
    known = known_words()
    corrected = [word if word in known else (_closest_word(word) or word) for word in words]
    return corrected if corrected != words else None
