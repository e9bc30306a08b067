"""NLTK tokenization and Snowball stemming, packaged as one Whoosh analyzer.

One tokenizer class does the whole chain (split, normalise, case fold, stop,
stem) because this is the indexing hot path: a chain of Whoosh filters costs a
generator hop per token per filter. Offsets always point into the text as
written, so highlights mark "rockets" and never the stem "rocket".
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator

from nltk.stem.snowball import SnowballStemmer
from nltk.tokenize import RegexpTokenizer
from whoosh.analysis import STOP_WORDS, Token, Tokenizer

# Bump when tokens change: the index must then be rebuilt (the entity cache survives).
ANALYSIS_VERSION = "1"

# Dotted acronyms (U.S., U.N.) stay one token; otherwise runs of word characters
# with inner apostrophes (Ukraine's, don't). Hyphens split words, so "break-up"
# is found by "break" and by the phrase "break up".
TOKEN_PATTERN = r"(?:[^\W\d_]\.){2,}|\w+(?:['’]\w+)*"

_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "ʼ": "'"})
_TRAILING_POSSESSIVE = re.compile(r"'s?$")

ENGLISH_STOP_WORDS: frozenset[str] = frozenset(STOP_WORDS) | {
    "s", "said", "also", "would", "could", "has", "had", "been", "were",
    "its", "his", "her", "their", "than", "into", "after", "over",
}


class TermNormalizer:
    """Maps one raw token to its index term; cached because words repeat."""

    def __init__(self, stop_words: frozenset[str] = ENGLISH_STOP_WORDS,
                 cache_size: int = 200_000) -> None:
        self.stop_words = stop_words
        self._stem = SnowballStemmer("english", ignore_stopwords=False).stem
        self._cache: dict[str, tuple[str, bool]] = {}
        self._cache_size = cache_size

    def __call__(self, raw: str) -> tuple[str, bool]:
        """Returns (term, is_stop_word) for a token as written."""
        hit = self._cache.get(raw)
        if hit is not None:
            return hit
        word = raw if raw.isascii() else unicodedata.normalize("NFKC", raw).translate(_APOSTROPHES)
        word = word.casefold()
        if "." in word:  # a dotted acronym: u.s. -> u.s, never a stop word
            result = (word.rstrip("."), False)
        else:
            if "'" in word:
                word = _TRAILING_POSSESSIVE.sub("", word) or word
            result = (self._stem(word) if not word.isdigit() else word, word in self.stop_words)
        if len(self._cache) >= self._cache_size:
            self._cache.clear()
        self._cache[raw] = result
        return result


class NewsTokenizer(Tokenizer):
    """Whoosh tokenizer: NLTK RegexpTokenizer spans, NFKC, case fold, stop words, Snowball stems."""

    def __init__(self, normalizer: TermNormalizer | None = None) -> None:
        self.normalizer = normalizer or TermNormalizer()
        self._spans = RegexpTokenizer(TOKEN_PATTERN).span_tokenize

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self)

    def __call__(self, value: str, positions: bool = False, chars: bool = False,
                 keeporiginal: bool = False, removestops: bool = True,
                 start_pos: int = 0, start_char: int = 0, tokenize: bool = True,
                 mode: str = "", **kwargs) -> Iterator[Token]:
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        normalize = self.normalizer
        if not tokenize:
            # Whoosh asks for this on wildcard and range terms: normalise without splitting.
            token.original = value
            token.text = value.casefold()
            token.stopped = False
            token.boost = 1.0
            if positions:
                token.pos = start_pos
            if chars:
                token.startchar, token.endchar = start_char, start_char + len(value)
            yield token
            return
        pos = start_pos
        for start, end in self._spans(value):
            raw = value[start:end]
            term, stop = normalize(raw)
            if stop and removestops:
                # Stop words still take a position so phrases keep their gaps.
                pos += 1
                continue
            token.text = term
            token.stopped = stop
            token.boost = 1.0
            if keeporiginal:
                token.original = raw
            if positions:
                token.pos = pos
            if chars:
                token.startchar, token.endchar = start_char + start, start_char + end
            pos += 1
            yield token

    def __getstate__(self) -> dict:
        # Multiprocess writers pickle the schema: send the settings, not the cache.
        return {"stop_words": self.normalizer.stop_words}

    def __setstate__(self, state: dict) -> None:
        self.__init__(TermNormalizer(state["stop_words"]))


def news_analyzer() -> NewsTokenizer:
    """The analyzer every text field of the index uses."""
    return NewsTokenizer()


def analyze(text: str) -> list[str]:
    """Index terms of a text, in order (a convenience for tests and tools)."""
    return [t.text for t in news_analyzer()(text)]
