"""The reply classifiers: linear models for what has no structure to parse.

Authority (role and decision process), need level, budget status and timeline status when no
amount or date is given, and the intents that may come at any point. Logistic regression over
TF-IDF of dialogs/extract/features.py, trained by `qualibot nlu train` from corpus/ and
shipped as package data (`nlu_model.npz`): the vocabulary, its idf, one weight column per
label (int8 with a scale per column) and per family a temperature that calibrates the
probabilities and the thresholds picked by cross-validation; and the corpus's common words
(names.py reads no name into them). Reading a message is a
dictionary lookup per feature and one small matrix product: no scikit-learn at run time.

The model is package data read once, like a constant (`load_classifiers`).
"""

import json
import math
from collections import Counter
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from dialogs.extract.features import analyze

MODEL_FILE: Final = "nlu_model.npz"
NONE: Final = "-"  # the label of "the reply says nothing about this"
FloatArray = npt.NDArray[np.float32]


@dataclass(frozen=True, slots=True)
class Family:
    """A group of labels read together: one softmax, or independent yes/no labels."""

    name: str
    labels: tuple[str, ...]
    start: int  # the family's first column in the weights
    multilabel: bool
    temperature: float
    thresholds: tuple[float, ...]  # multilabel: per label; else one floor for the top label


@dataclass(frozen=True, slots=True)
class Reading:
    """One family's answer for a message."""

    label: str | None  # the label (None: says nothing about it, or not sure enough)
    confidence: float  # the label's probability (0..1); for None, that of "none"
    probabilities: dict[str, float]
    labels: frozenset[str] = frozenset()  # multilabel families: every label over threshold


class Classifiers:
    """The trained linear models; `read(norm)` answers every family at once."""

    def __init__(
        self,
        vocabulary: dict[str, int],
        idf: FloatArray,
        weights: FloatArray,
        bias: FloatArray,
        families: tuple[Family, ...],
        common: frozenset[str] = frozenset(),
    ) -> None:
        self._vocabulary = vocabulary
        self._idf = idf
        self._weights = weights
        self._bias = bias
        self.families = {family.name: family for family in families}
        self._common = common

    def is_common(self, word: str) -> bool:
        """Whether prospects use `word` (lower case) in their sentences: many corpus replies
        have it, mostly in lower case. Such a word is not a name."""
        return word in self._common

    def margins(self, norm: str) -> FloatArray:
        """The raw linear score of every label column for a normalised message."""
        counts = Counter(analyze(norm))
        index: list[int] = []
        values: list[float] = []
        lookup = self._vocabulary.get
        for feature, count in counts.items():
            column = lookup(feature)
            if column is not None:
                index.append(column)
                values.append(1.0 + math.log(count))  # sublinear tf, as in training
        if not index:
            return self._bias.copy()
        rows = np.asarray(index, dtype=np.intp)
        tfidf: FloatArray = np.asarray(values, dtype=np.float32) * self._idf[rows]
        tfidf = tfidf / np.float32(np.sqrt(np.dot(tfidf, tfidf)))
        result: FloatArray = tfidf @ self._weights[rows] + self._bias
        return result

    def read(self, norm: str) -> dict[str, Reading]:
        """Every family's reading of a normalised message."""
        margins = self.margins(norm)
        return {name: _read(family, margins) for name, family in self.families.items()}


def _read(family: Family, margins: FloatArray) -> Reading:
    scores = margins[family.start : family.start + len(family.labels)] / family.temperature
    if family.multilabel:
        probabilities = 1.0 / (1.0 + np.exp(-scores))
        chances = {label: float(p) for label, p in zip(family.labels, probabilities, strict=True)}
        chosen = frozenset(
            label
            for label, p, floor in zip(
                family.labels, probabilities, family.thresholds, strict=True
            )
            if p >= floor
        )
        best = max(chances, key=chances.__getitem__)
        return Reading(best if chosen else None, chances[best], chances, chosen)
    exp = np.exp(scores - scores.max())
    probabilities = exp / exp.sum()
    chances = {label: float(p) for label, p in zip(family.labels, probabilities, strict=True)}
    best = max(chances, key=chances.__getitem__)
    if best == NONE or chances[best] < family.thresholds[0]:
        return Reading(None, chances.get(NONE, 0.0), chances)
    return Reading(best, chances[best], chances)


def from_arrays(arrays: Any) -> Classifiers:
    """Classifiers from the arrays of a model file."""
    meta = json.loads(str(arrays["meta"]))
    features = str(arrays["features"]).split("\n")
    scale = arrays["scale"].astype(np.float32)
    weights = arrays["weights"].astype(np.float32) * scale
    families = tuple(
        Family(
            name=f["name"],
            labels=tuple(f["labels"]),
            start=int(f["start"]),
            multilabel=bool(f["multilabel"]),
            temperature=float(f["temperature"]),
            thresholds=tuple(float(t) for t in f["thresholds"]),
        )
        for f in meta["families"]
    )
    return Classifiers(
        vocabulary={feature: n for n, feature in enumerate(features)},
        idf=arrays["idf"].astype(np.float32),
        weights=np.ascontiguousarray(weights),
        bias=arrays["bias"].astype(np.float32),
        families=families,
        common=frozenset(str(arrays["common"]).split("\n")),
    )


@cache
def load_classifiers() -> Classifiers:
    """The shipped model, read once per process."""
    with resources.files("dialogs.extract").joinpath(MODEL_FILE).open("rb") as file:
        arrays = np.load(file, allow_pickle=False)
        return from_arrays(arrays)
