"""Cheap pre-checks for the extractors' patterns, derived from the patterns themselves.

Most messages are short and say one or two things, so most of the extractors' ~40 patterns
find nothing; Python's `re` still tries every alternative at every position to learn that.
`cues(p1, p2, ...)` reads the patterns' syntax trees and collects, for each pattern, words
one of which every match must contain ("harga", "biaya" ... for the price intent; a digit
for an amount). Compiled as one trie they are ruled out in about a microsecond, and no cue
in the text proves that none of the patterns can match it: the result is the same with or
without the check. The words come from the patterns, so they cannot drift when a pattern
changes. `gated(source)` is `re.compile(source)` with that check in front of each search.

The syntax trees come from `re._parser`, a private module. Without it, or for a pattern
with no word every match needs (`\\w+`, anything case-insensitive), the check passes every
text: slower, never wrong.
"""

import importlib
import re
from collections.abc import Iterable, Iterator
from typing import Any, Final

try:  # the syntax tree of a pattern; present since Python 3.11 (sre_parse before)
    _PARSER: Any = importlib.import_module("re._parser")
    _OPS: Any = importlib.import_module("re._constants")
except ImportError:  # pragma: no cover - a later Python; every gate stays open
    _PARSER = None

_DIGIT: Final = "\\d"  # stands for "some decimal digit" among the cue words
_OPEN: Final = re.compile("")  # matches every text

Cues = set[str] | None  # one of these is in every match; None: nothing is certain


def _quality(cues: Cues) -> int:
    """How well `cues` rules texts out: long words do, single letters and digits hardly."""
    if cues is None:
        return -1
    shortest = min(2 if cue == _DIGIT else min(len(cue), 4) for cue in cues)
    return shortest * 1000 - len(cues)


def _zero_width(op: Any) -> bool:
    return op is _OPS.AT or op is _OPS.ASSERT or op is _OPS.ASSERT_NOT


def _cased(group: Any) -> bool:
    # (?i:...) inside a pattern: its letters match either case, so they are no cue
    return bool(group[1] & re.IGNORECASE)


def _fixed(items: Iterable[tuple[Any, Any]]) -> str | None:
    """The one string a sequence matches (zero-width checks aside), or None."""
    out = []
    for op, av in items:
        if op is _OPS.LITERAL:
            out.append(chr(av))
        elif op is _OPS.SUBPATTERN and not _cased(av):
            inner = _fixed(av[3].data)
            if inner is None:
                return None
            out.append(inner)
        elif not _zero_width(op):
            return None
    return "".join(out)


def _only_digits(items: Iterable[tuple[Any, Any]]) -> bool:
    """Whether a character class admits decimal digits only ([0-9], [12], \\d)."""
    for op, av in items:
        if op is _OPS.LITERAL and chr(av).isdecimal():
            continue
        if op is _OPS.RANGE and all(chr(c).isdecimal() for c in range(av[0], av[1] + 1)):
            continue
        if op is _OPS.CATEGORY and av is _OPS.CATEGORY_DIGIT:
            continue
        return False
    return True


def _needed(items: Iterable[tuple[Any, Any]]) -> Cues:
    """Words one of which every match of the sequence `items` contains, the best found."""
    return max(_all_needed(items), key=_quality, default=None)


def _all_needed(items: Iterable[tuple[Any, Any]]) -> list[set[str]]:
    """Every set of words the sequence `items` needs one of: a match contains one of each."""
    found: list[set[str]] = []
    run: list[str] = []  # consecutive literals: they appear together in the text
    for op, av in items:
        cues: Cues = None
        if op is _OPS.LITERAL:
            run.append(chr(av))
            continue
        if _zero_width(op):
            continue  # \b, ^, lookarounds consume nothing: the literals around them touch
        if op is _OPS.SUBPATTERN and not _cased(av):
            fixed = _fixed(av[3].data)
            if fixed is not None:
                run.append(fixed)
                continue
            cues = _needed(av[3].data)
        elif op is _OPS.BRANCH:
            # every alternative must bring its own cue, or the branch promises nothing
            alternatives = [_needed(alternative.data) for alternative in av[1]]
            if all(a is not None for a in alternatives):
                cues = set().union(*(a for a in alternatives if a is not None))
        elif op in (_OPS.MAX_REPEAT, _OPS.MIN_REPEAT, _OPS.POSSESSIVE_REPEAT):
            if av[0] >= 1:  # repeated at least once: its cue is in the match
                cues = _needed(av[2].data)
        elif op is _OPS.ATOMIC_GROUP:
            cues = _needed(av.data)
        elif op is _OPS.IN and _only_digits(av):
            cues = {_DIGIT}
        if run:  # anything else (\w, [a-z], .) is no cue and ends the run
            found.append({"".join(run)})
            run = []
        if cues is not None:
            found.append(cues)
    if run:
        found.append({"".join(run)})
    return [cues for cues in found if "" not in cues]


def needed(pattern: re.Pattern[str], most: int = 1) -> list[set[str]]:
    """Up to `most` sets of words, best first, such that every match has a word of each.

    "\\d" among the words stands for any decimal digit. Empty when nothing is certain.
    """
    if _PARSER is None or pattern.flags & re.IGNORECASE:
        return []
    found = _all_needed(_PARSER.parse(pattern.pattern, pattern.flags).data)
    return sorted(found, key=_quality, reverse=True)[:most]


def trie(words: Iterable[str]) -> str:
    """`"|".join(map(re.escape, words))` shaped as a trie, so that `re` follows one branch.

    Python's `re` tries the alternatives of `a|b|c` one after another at every position; in
    a trie the first letter picks the branch. A word is tried before its own prefixes (`dgn`
    before `dg`), so the trie matches what the alternation sorted longest first matches: two
    words that both fit at one position are always a word and its prefix.
    """
    unique = sorted(set(words))
    branches = [
        re.escape(first) + trie(w[1:] for w in unique if w[:1] == first)
        for first in sorted({w[0] for w in unique if w})
    ]
    if "" in unique:
        branches.append("")  # the word may end here
    if len(branches) == 1:
        return branches[0]
    return "(?:" + "|".join(branches) + ")"


def _compile(words: set[str]) -> re.Pattern[str]:
    words = set(words)
    digit = _DIGIT in words
    words.discard(_DIGIT)
    # "urgen" found is "urgent" found too: longer words with a cue as prefix add nothing
    shortest = {w for w in words if not any(w.startswith(v) and w != v for v in words)}
    parts = ([_DIGIT] if digit else []) + ([trie(shortest)] if shortest else [])
    return re.compile("|".join(parts))


def cues(*patterns: "re.Pattern[str] | Gated") -> re.Pattern[str]:
    """A pattern found in every text in which any of `patterns` matches (maybe in others too).

    `cues(a, b).search(text) is None` therefore proves that `a` and `b` find nothing there.
    """
    words: set[str] = set()
    for pattern in patterns:
        found = needed(pattern.pattern if isinstance(pattern, Gated) else pattern)
        if not found:
            return _OPEN
        words |= found[0]
    return _compile(words)


class Gated:
    """A pattern behind its cue checks: the same answers, found faster when there are none.

    The two best sets of cues are checked (a quarter needs "q", "kuartal" ... and a number),
    the pattern only when both are there.
    """

    __slots__ = ("_cue", "_cue2", "pattern")

    def __init__(self, pattern: re.Pattern[str]) -> None:
        self.pattern: Final = pattern
        found = [_compile(words) for words in needed(pattern, most=2)]
        self._cue: Final = found[0] if found else _OPEN
        self._cue2: Final = found[1] if len(found) > 1 else None

    def possible(self, text: str, pos: int = 0) -> bool:
        """False when the pattern cannot match in `text[pos:]` nor in any part of it."""
        cue2 = self._cue2
        return self._cue.search(text, pos) is not None and (
            cue2 is None or cue2.search(text, pos) is not None
        )

    # search and finditer repeat `possible` inline: they run ~30 times a message

    def search(self, text: str) -> re.Match[str] | None:
        """`pattern.search(text)`."""
        cue2 = self._cue2
        if self._cue.search(text) is None or (cue2 is not None and cue2.search(text) is None):
            return None
        return self.pattern.search(text)

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        """`pattern.finditer(text)`."""
        cue2 = self._cue2
        if self._cue.search(text) is None or (cue2 is not None and cue2.search(text) is None):
            return iter(())
        return self.pattern.finditer(text)


def gated(pattern: str) -> Gated:
    """`re.compile(pattern)` behind its cue check; for patterns that often find nothing."""
    return Gated(re.compile(pattern))
