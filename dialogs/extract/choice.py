"""Choice answers: button payloads, option numbers, labels and synonyms with typos.

Order of evidence: the exact option id (a button payload), then the option's position
("2", "no 2", "yang kedua"), then an exact label or synonym, then a fuzzy match (rapidfuzz
WRatio over normalised texts) above `THRESHOLD`. When the two best options score within
`TIE_MARGIN` of each other, nothing is chosen and both are returned in `tied`, so the engine
asks again rather than guesses. When the labels are numeric ranges ("1-10", "11-50",
"> 200"), a bare number is read as a quantity and picks the range holding it; positions still
work with a prefix ("no 2", "opsi 2").

Scores are on rapidfuzz's 0-100 scale. The index built from the candidates is cached, so a
flow's options are normalised once, not on every message.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

from rapidfuzz import fuzz, process

from dialogs.extract.text import normalize, read_number

THRESHOLD: Final = 80.0
TIE_MARGIN: Final = 4.0
_ORDINALS: Final[dict[str, int]] = {
    "satu": 1, "pertama": 1, "first": 1, "one": 1,
    "dua": 2, "kedua": 2, "second": 2, "two": 2,
    "tiga": 3, "ketiga": 3, "third": 3, "three": 3,
    "empat": 4, "keempat": 4, "fourth": 4, "four": 4,
    "lima": 5, "kelima": 5, "fifth": 5, "five": 5,
    "enam": 6, "keenam": 6, "sixth": 6, "six": 6,
}  # fmt: skip
_POSITION_RE: Final = re.compile(
    r"^(?:(?P<prefix>no\.?|nomor|nomer|number|num|pilihan|opsi|option|#|yang|yg|pilih)\s*)?"
    r"(?P<n>\d{1,2}|[a-z]+)\s*[.)]?$"
)
_RANGE_LABEL_RE: Final = re.compile(
    r"^\s*(?:(?P<lo>\d[\d.,]*)\s*(?:-|–|s/d|sampai|to)\s*(?P<hi>\d[\d.,]*)|"
    r"(?P<plus>\d[\d.,]*)\s*\+|(?:>|lebih dari|more than|over|di atas|diatas)\s*(?P<gt>\d[\d.,]*)|"
    r"(?:<|kurang dari|less than|under|di bawah|dibawah)\s*(?P<lt>\d[\d.,]*))"
)
_QUANTITY_RE: Final = re.compile(r"\d[\d.,]*")


@dataclass(frozen=True, slots=True)
class ChoiceCandidate:
    """One option as the matcher sees it: its id and every text that names it."""

    id: str
    texts: tuple[str, ...]  # labels in every language + synonyms, as written in the flow


@dataclass(frozen=True, slots=True)
class ChoiceMatch:
    """The chosen option, or None with the tied option ids when the answer was unclear."""

    option_id: str | None
    tied: tuple[str, ...] = ()
    score: float = 0.0


@dataclass(frozen=True, slots=True)
class _Index:
    ids: tuple[str, ...]
    by_id: dict[str, str]  # casefolded id -> id
    exact: dict[str, tuple[str, ...]]  # normalised text -> option ids
    texts: tuple[str, ...]  # normalised texts, for rapidfuzz
    owners: tuple[str, ...]  # option id of each entry in `texts`
    ranges: tuple[tuple[str, float, float], ...]  # (id, low, high) when every label is a range


def _number(token: str) -> float | None:
    read = read_number(token.rstrip(".,"))
    return float(read[0]) if read else None


def _label_range(label: str) -> tuple[float, float] | None:
    found = _RANGE_LABEL_RE.match(label)
    if found is None:
        return None
    groups = {k: _number(v) for k, v in found.groupdict().items() if v}
    if "lo" in groups and "hi" in groups:
        return groups["lo"] or 0.0, groups["hi"] or 0.0
    if "plus" in groups:
        return groups["plus"] or 0.0, float("inf")
    if "gt" in groups:
        return (groups["gt"] or 0.0) + 1, float("inf")
    if "lt" in groups:
        return 0.0, (groups["lt"] or 0.0) - 1
    return None


@lru_cache(maxsize=256)
def _index(candidates: tuple[ChoiceCandidate, ...]) -> _Index:
    exact: dict[str, list[str]] = {}
    texts: list[str] = []
    owners: list[str] = []
    ranges: list[tuple[str, float, float]] = []
    for candidate in candidates:
        found_range = None
        for raw in (candidate.id, *candidate.texts):
            text = normalize(raw)
            if not text:
                continue
            if candidate.id not in exact.setdefault(text, []):
                exact[text].append(candidate.id)
            texts.append(text)
            owners.append(candidate.id)
            found_range = found_range or _label_range(text)
        if found_range is not None:
            ranges.append((candidate.id, *found_range))
    return _Index(
        ids=tuple(c.id for c in candidates),
        by_id={c.id.casefold(): c.id for c in candidates},
        exact={k: tuple(v) for k, v in exact.items()},
        texts=tuple(texts),
        owners=tuple(owners),
        ranges=tuple(ranges) if len(ranges) == len(candidates) else (),
    )


def _by_quantity(text: str, index: _Index) -> ChoiceMatch | None:
    found = _QUANTITY_RE.search(text)
    value = _number(found.group(0)) if found else None
    if value is None:
        return None
    for option_id, low, high in index.ranges:
        if low <= value <= high:
            return ChoiceMatch(option_id, score=100.0)
    return None


def _by_position(text: str, index: _Index) -> ChoiceMatch | None:
    found = _POSITION_RE.match(text)
    if found is None:
        return None
    token = found.group("n")
    if index.ranges and token.isdigit() and not found.group("prefix"):
        return None  # "50" answers "how many?", not "option 50"
    position = int(token) if token.isdigit() else _ORDINALS.get(token)
    if position is None or not 1 <= position <= len(index.ids):
        return None
    return ChoiceMatch(index.ids[position - 1], score=100.0)


def match_choice(text: str, candidates: Sequence[ChoiceCandidate]) -> ChoiceMatch:
    """Which option `text` picks; option_id None (maybe with `tied`) when unsure."""
    index = _index(tuple(candidates))
    payload = index.by_id.get(text.strip().casefold())
    if payload is not None:
        return ChoiceMatch(payload, score=100.0)
    norm = normalize(text).strip(" .,!?;:")
    if not norm:
        return ChoiceMatch(None)
    positioned = _by_position(norm, index)
    if positioned is not None:
        return positioned
    if index.ranges:
        quantity = _by_quantity(norm, index)
        if quantity is not None:
            return quantity
    owners = index.exact.get(norm)
    if owners is not None:
        if len(owners) == 1:
            return ChoiceMatch(owners[0], score=100.0)
        return ChoiceMatch(None, tied=owners, score=100.0)
    best: dict[str, float] = {}
    for _, score, i in process.extract(
        norm, index.texts, scorer=fuzz.WRatio, limit=None, score_cutoff=THRESHOLD
    ):
        owner = index.owners[i]
        best[owner] = max(best.get(owner, 0.0), score)
    if not best:
        return ChoiceMatch(None)
    ranked = sorted(best.items(), key=lambda item: (-item[1], index.ids.index(item[0])))
    top_id, top = ranked[0]
    if len(ranked) > 1 and top - ranked[1][1] < TIE_MARGIN:
        return ChoiceMatch(None, tied=(top_id, ranked[1][0]), score=top)
    return ChoiceMatch(top_id, score=top)
