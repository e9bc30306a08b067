"""Did you mean: per-word corrections from the index's own vocabulary.

The index holds stems ("economi"), so a correction is found among the stems (edit
distance, then document frequency) and then shown as people write it: the most
common form of that stem in a few articles that contain it ("economy").
"""

from __future__ import annotations

import re
import threading
import weakref
from collections import Counter
from collections.abc import Callable, Iterator

from whoosh.support.levenshtein import damerau_levenshtein

from search.analysis import NewsTokenizer
from search.index.schema import StoredArticle
from search.query.parse import Word, positive_words

SUGGEST_FIELDS = ("body", "title")
RARE = 2  # a word found in fewer articles than this may be a typo (when the query found nothing)
MORE_BY = 3  # a correction must find at least this many articles more (and a quarter more)
SURFACE_SAMPLE_DOCS = 3


def _doc_frequency(reader, stem: str, fields: tuple[str, ...]) -> int:
    return max(reader.doc_frequency(f, stem) for f in fields)


# Per open index reader: its terms by field and first letter, grouped by length. Whoosh's terms_within
# decodes and measures every term sharing the first letter on every call (~150 ms on Reuters, the
# slowest part of a search that finds little); here the terms are listed once per reader and only
# those whose length is within the distance are measured.
_TERMS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_TERMS_LOCK = threading.Lock()


def _terms_by_length(reader, field: str, initial: str) -> dict[int, list[str]]:
    with _TERMS_LOCK:
        of_reader = _TERMS.setdefault(reader, {})
        found = of_reader.get((field, initial))
    if found is None:
        decode = reader.schema[field].from_bytes
        found = {}
        for raw in reader.expand_prefix(field, initial):
            term = decode(raw)
            found.setdefault(len(term), []).append(term)
        with _TERMS_LOCK:
            of_reader[(field, initial)] = found
    return found


def terms_within(reader, field: str, stem: str, distance: int) -> Iterator[str]:
    """The terms of a field sharing the stem's first letter within `distance` edits of it (as Whoosh's
    terms_within(..., prefix=1))."""
    if not stem or field not in reader.schema:
        return
    by_length = _terms_by_length(reader, field, stem[:1])
    letters = set(stem)
    for length in range(len(stem) - distance, len(stem) + distance + 1):
        for term in by_length.get(length, ()):
            # Each edit brings in or takes away at most one letter: a cheap bound before the real measure.
            if len(letters.symmetric_difference(term)) > 2 * distance:
                continue
            if damerau_levenshtein(term, stem, limit=distance) <= distance:
                yield term


def correct_stem(reader, stem: str, fields: tuple[str, ...] = SUGGEST_FIELDS) -> str | None:
    """The most frequent index term within one edit (two for longer words) that is more frequent."""
    own = _doc_frequency(reader, stem, fields)
    for distance in (1, 2):
        if distance == 2 and len(stem) < 5:
            break
        candidates = set()
        for f in fields:
            for n, term in enumerate(terms_within(reader, f, stem, distance)):
                if n > 2000:
                    break
                if term != stem and not term.isdigit():
                    candidates.add(term)
        ranked = sorted(((_doc_frequency(reader, t, fields), t) for t in candidates), reverse=True)
        if ranked and ranked[0][0] > own:
            return ranked[0][1]
    return None


def surface_form(searcher, stem: str, analyzer: NewsTokenizer, fields: tuple[str, ...] = SUGGEST_FIELDS) -> str:
    """How the stem is most often written in a few articles that contain it."""
    forms: Counter[str] = Counter()
    reader = searcher.reader()
    for f in fields:
        if not reader.doc_frequency(f, stem):
            continue
        postings = reader.postings(f, stem)
        for n, docnum in enumerate(postings.all_ids()):
            if n >= SURFACE_SAMPLE_DOCS:
                break
            text = getattr(StoredArticle.from_stored(searcher.stored_fields(docnum)), f)
            for token in analyzer(text, keeporiginal=True):
                if token.text == stem:
                    forms[token.original.casefold()] += 1
        if forms:
            break
    return forms.most_common(1)[0][0] if forms else stem


def clearly_more(count: int, total: int) -> bool:
    """Whether a corrected query finds clearly more than the query as typed: anything when it found
    nothing, else at least a quarter more and at least MORE_BY more."""
    if total == 0:
        return count > 0
    return count * 4 >= total * 5 and count >= total + MORE_BY


def suggest(
    searcher,
    node,
    text: str,
    total: int,
    count_text: Callable[[str], tuple[int, bool]],
    analyzer: NewsTokenizer,
    fell_back: bool = False,
) -> str | None:
    """A corrected query that finds clearly more than `total` (or, when the query found only some of
    its words, one that finds all of them), or None.

    Only words the archive does not have are corrected (`measles` is a word of the archive, never a
    typo of `meals`), except when the query found nothing at all: then a word of fewer than RARE
    articles may be corrected too. `count_text(text)` -> (hits, whether it needed the any-word reading).
    """
    reader = searcher.reader()
    corrected = text
    changed = False
    found_nothing = total == 0
    for word in positive_words(node):
        stems = [t.text for t in analyzer(word.text)]
        if len(stems) != 1 or stems[0].isdigit():
            continue
        fields = (word.field,) if word.field else SUGGEST_FIELDS
        frequency = _doc_frequency(reader, stems[0], fields)
        if frequency >= RARE or (frequency > 0 and not found_nothing):
            continue
        better = correct_stem(reader, stems[0], fields)
        if better is None:
            continue
        replacement = surface_form(searcher, better, analyzer, fields)
        if word.text[:1].isupper():
            replacement = replacement[:1].upper() + replacement[1:]
        pattern = re.compile(r"(?<![\w])" + re.escape(word.text) + r"(?![\w])")
        corrected, count = pattern.subn(replacement, corrected, count=1)
        changed = changed or count > 0
    if not changed or corrected == text:
        return None
    count, corrected_fell_back = count_text(corrected)
    if clearly_more(count, total) or (fell_back and not corrected_fell_back and count > 0):
        return corrected
    return None


__all__ = ["suggest", "correct_stem", "surface_form", "Word"]
