"""NLTK tokenization and Snowball stemming, packaged as one Whoosh analyzer.

One tokenizer class does the whole chain (split, normalise, case fold, stop,
stem) because this is the indexing hot path: a chain of Whoosh filters costs a
generator hop per token per filter. Offsets always point into the text as
written, so highlights mark "rockets" and never the stem "rocket".
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator

import regex
from nltk.stem.snowball import SnowballStemmer
from nltk.tokenize import RegexpTokenizer
from whoosh.analysis import STOP_WORDS, Token, Tokenizer

# Bump when tokens change: the index must then be rebuilt (the entity cache survives).
ANALYSIS_VERSION = "3"

# Dotted acronyms (U.S., U.N., U.S) stay one token; otherwise runs of word characters
# with inner apostrophes (Ukraine's, don't). Hyphens split words, so "break-up"
# is found by "break" and by the phrase "break up".
TOKEN_PATTERN = r"(?<!\w)(?:[^\W\d_]\.)+[^\W\d_](?!\w)\.?|\w+(?:['’]\w+)*"

_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "ʼ": "'"})
_TRAILING_POSSESSIVE = re.compile(r"'s?$")

# Whoosh's list plus common news filler; "may" is kept searchable (the month, Theresa May).
ENGLISH_STOP_WORDS: frozenset[str] = (frozenset(STOP_WORDS) - {"may"}) | {
    "s",
    "said",
    "also",
    "would",
    "could",
    "has",
    "had",
    "been",
    "were",
    "its",
    "his",
    "her",
    "their",
    "than",
    "into",
    "after",
    "over",
}

# Capitalised country acronyms are names, not the pronoun: "US" is "U.S.", never a stop word.
_NAME_ACRONYMS = frozenset({"US", "UK", "UN", "EU"})


class TermNormalizer:
    """Maps one raw token to its index term; cached because words repeat."""

    def __init__(
        self,
        stop_words: frozenset[str] = ENGLISH_STOP_WORDS,
        cache_size: int = 200_000,
        stem: Callable[[str], str] | None = None,
    ) -> None:
        self.stop_words = stop_words
        # Snowball unless told otherwise (bench/relevance.py --grid compares others on TIME).
        self.stem = stem
        self._stem = stem or SnowballStemmer("english", ignore_stopwords=False).stem
        self._cache: dict[str, tuple[str, bool]] = {}
        self._cache_size = cache_size

    def __call__(self, raw: str) -> tuple[str, bool]:
        """Returns (term, is_stop_word) for a token as written."""
        hit = self._cache.get(raw)
        if hit is not None:
            return hit
        word = raw if raw.isascii() else unicodedata.normalize("NFKC", raw).translate(_APOSTROPHES)
        acronym = word in _NAME_ACRONYMS
        word = word.casefold()
        if "." in word:  # a dotted acronym: U.S. and US index alike, never a stop word
            result = (word.replace(".", ""), False)
        elif acronym:
            result = (word, False)
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
        tokenizer = RegexpTokenizer(TOKEN_PATTERN)
        # The same pattern, engine (`regex`) and flags as NLTK's tokenizer, without its timeout
        # wrapper: NLTK bounds a whole iteration by 5 s of wall clock (a guard for patterns
        # callers supply), so a long article whose tokens are consumed slowly failed half-way.
        # TOKEN_PATTERN is fixed and matches in linear time.
        pattern = regex.compile(TOKEN_PATTERN, tokenizer._flags)
        self._finditer = pattern.finditer
        self._findall = pattern.findall  # the words alone, no match objects (the pattern has no groups)

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self)

    def __call__(
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        tokenize: bool = True,
        mode: str = "",
        **kwargs,
    ) -> Iterator[Token]:
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
        for match in self._finditer(value):
            start, end = match.span()
            raw = match.group()
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

    def term_positions(self, value: str) -> dict[str, list[int]]:
        """Each index term of a text with its positions, in order of first appearance.

        Exactly the terms and positions `__call__(value, positions=True)` yields (stop
        words removed, their positions skipped), without a Token per word: Whoosh's
        writer processes use it (search.index.indexer) to index faster.
        """
        normalize = self.normalizer
        cached = normalize._cache.get  # the normaliser's cache looked up here: no call per known word
        found: dict[str, list[int]] = {}
        for pos, raw in enumerate(self._findall(value)):
            hit = cached(raw)
            term, stop = normalize(raw) if hit is None else hit
            if not stop:
                positions = found.get(term)
                if positions is None:
                    found[term] = [pos]
                else:
                    positions.append(pos)
        return found

    def term_spans(self, value: str, terms: set[str] | frozenset[str]) -> Iterator[tuple[int, int, str]]:
        """(start, end, term) of each word of a text whose index term is one of `terms`: the spans
        `__call__(value, chars=True)` yields for them, without a Token per word (snippets)."""
        normalize = self.normalizer
        # Normalising every word (stemming) is the cost; an ASCII word keeps its first letter as its
        # term's first letter (stems cut endings, acronyms lose dots), so one whose first letter
        # starts no wanted term is skipped. Other words may change under NFKC: always normalised.
        initials = {term[:1] for term in terms}
        for match in self._finditer(value):
            raw = match.group()
            first = raw[0]
            if first.isascii() and first.lower() not in initials:
                continue
            term, stop = normalize(raw)
            if term in terms and not stop:
                yield match.start(), match.end(), term

    def __getstate__(self) -> dict:
        # Multiprocess writers and the index's table of contents pickle the schema: the settings, not
        # the cache (a stemmer only when it is not Snowball, so indexes read and write as before).
        state: dict = {"stop_words": self.normalizer.stop_words}
        if self.normalizer.stem is not None:
            state["stem"] = self.normalizer.stem
        return state

    def __setstate__(self, state: dict) -> None:
        NewsTokenizer.__init__(self, TermNormalizer(state["stop_words"], stem=state.get("stem")))


def news_analyzer() -> NewsTokenizer:
    """The analyzer every text field of the index uses."""
    return NewsTokenizer()


def analyze(text: str) -> list[str]:
    """Index terms of a text, in order (a convenience for tests and tools)."""
    return [t.text for t in news_analyzer()(text)]
