"""What the reply classifiers see of a message: words, word pairs and letter n-grams.

One function for training (`bot/nlu_train.py` hands it to scikit-learn's TfidfVectorizer as
its analyzer) and for reading (dialogs/extract/classifier.py), so the two cannot drift.

The text comes normalised (`normalize`: case, chat spellings from the lexicon, elongation).
Digits become 0 ("50jt" and "75jt" are the same feature), so the classifiers learn the shape
of amounts and dates, not their values. Letter n-grams (3 to 5, within a word and its
boundaries) carry typos, clitics ("budgetnya") and code-switched spellings that whole words
miss; word pairs carry negation ("tidak butuh") and phrases ("hubungi sendiri").
"""

import re
from itertools import pairwise
from typing import Final

_DIGIT: Final = re.compile(r"\d")
# Words (letters, digits, apostrophes inside), and a question mark or an emoji on its own.
_TOKEN: Final = re.compile(r"[^\W_](?:[\w']*[^\W_])?|\?|[^\w\s.,:;!()\"'-]")
NGRAMS: Final = (3, 4, 5)


def tokens(norm: str) -> list[str]:
    """The words of a normalised message, digits as 0."""
    return _TOKEN.findall(_DIGIT.sub("0", norm))


def analyze(norm: str) -> list[str]:
    """Every feature of a normalised message, repeats included (they are counted)."""
    words = tokens(norm)
    out = ["w " + word for word in words]
    out.extend(f"b {a} {b}" for a, b in pairwise(words))
    for word in words:
        padded = f" {word} "
        size = len(padded)
        for n in NGRAMS:
            if n > size:
                break
            out.extend("c" + padded[i : i + n] for i in range(size - n + 1))
    return out
