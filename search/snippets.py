"""Snippets and marked titles: the matched words in <mark>, as written, everything else HTML-escaped.

The text is re-tokenised with the index analyzer (character offsets into the text as
written), so a query for "rockets" marks both "rocket" and "rockets" and never a stem.
Whoosh's highlighter is not used: escaping every piece ourselves is the safety property,
and choosing windows over one token list is faster than its fragmenters.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from search.analysis import NewsTokenizer

FRAGMENT_CHARS = 200
MAX_FRAGMENTS = 3
MAX_MATCHES = 400  # enough to choose fragments from; long articles stop here
LEAD_CHARS = 60  # context kept before the first mark of a fragment
ELLIPSIS = "…"
# A snippet's cost must not grow like the article: the analyzer (stemming, ~1 s per MB) reads at most
# the first SCAN_CHARS of a text; beyond them a plain substring search (C speed, ~1 ms per MB) finds
# where words like the query's stand, and only the windows around the first LOCATE_WINDOWS are read.
SCAN_CHARS = 20_000
LOCATE_WINDOWS = 12


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    term: str


def matches(
    text: str,
    terms: set[str] | frozenset[str],
    analyzer: NewsTokenizer,
    limit: int = MAX_MATCHES,
    start: int = 0,
    end: int | None = None,
) -> list[Span]:
    """Where the index terms occur in text[start:end], as character spans of the words as written."""
    if not terms or not text:
        return []
    found = []
    part = text[start:end] if start or end is not None else text
    for first, last, term in analyzer.term_spans(part, terms):
        found.append(Span(start + first, start + last, term))
        if len(found) >= limit:
            break
    return found


def _cut_before(text: str, position: int) -> int:
    """A position at or before `position` between words (so no word is read in half)."""
    if position <= 0:
        return 0
    cut = max(text.rfind(" ", 0, position), text.rfind("\n", 0, position))
    return cut + 1 if cut != -1 and position - cut <= 100 else position


def _cut_after(text: str, position: int) -> int:
    if position >= len(text):
        return len(text)
    found = [
        c for c in (text.find(" ", position, position + 100), text.find("\n", position, position + 100)) if c != -1
    ]
    return min(found) if found else position


def _prefixes(terms: set[str] | frozenset[str]) -> list[str]:
    """What words that stem to the terms start with: the term, less a letter a stemmer may have changed
    (happi-ness, ferri-es)."""
    return sorted({term[:-1] if len(term) > 3 else term for term in terms if term})


def _likely_places(text: str, terms: set[str] | frozenset[str], start: int) -> list[int]:
    """The first positions from `start` where a word begins with one of the prefixes, in text order."""
    folded = text.casefold()
    if len(folded) != len(text):  # folding changed lengths (ß -> ss): offsets would not line up
        folded = text.lower()
        if len(folded) != len(text):
            return []
    places: set[int] = set()
    for prefix in _prefixes(terms):
        at = folded.find(prefix, start)
        seen = 0
        while at != -1 and seen < LOCATE_WINDOWS:
            if at == 0 or not folded[at - 1].isalnum():
                places.add(at)
                seen += 1
            at = folded.find(prefix, at + 1)
    return sorted(places)[:LOCATE_WINDOWS]


def bounded_matches(text: str, terms: set[str] | frozenset[str], analyzer: NewsTokenizer) -> list[Span]:
    """matches() at a cost bounded whatever the length of the text: the start of the text, or the
    regions around the first likely places of the words further on."""
    if len(text) <= SCAN_CHARS:
        return matches(text, terms, analyzer)
    head = _cut_before(text, SCAN_CHARS)
    found = matches(text, terms, analyzer, end=head)
    if found or not terms:
        return found
    position = head
    for likely in _likely_places(text, terms, head):
        if likely < position:
            continue  # inside a window already read
        start = _cut_before(text, max(position, likely - LEAD_CHARS))
        end = _cut_after(text, likely + FRAGMENT_CHARS)
        found += matches(text, terms, analyzer, start=start, end=end)
        position = end
    return found


def mark(text: str, spans: list[Span], start: int = 0, end: int | None = None) -> str:
    """text[start:end] HTML-escaped, with the spans inside it in <mark>."""
    end = len(text) if end is None else end
    out = []
    position = start
    for span in spans:
        if span.start < position or span.end > end:
            continue
        out.append(escape(text[position : span.start], quote=True))
        out.append("<mark>" + escape(text[span.start : span.end], quote=True) + "</mark>")
        position = span.end
    out.append(escape(text[position:end], quote=True))
    return "".join(out)


def mark_all(text: str, terms: set[str] | frozenset[str], analyzer: NewsTokenizer) -> str:
    """The whole text escaped and marked (titles; marks only within the first SCAN_CHARS)."""
    return mark(
        text, matches(text, terms, analyzer, end=_cut_before(text, SCAN_CHARS) if len(text) > SCAN_CHARS else None)
    )


def _word_start(text: str, position: int) -> int:
    """The start of the word at or after `position` (never inside a word)."""
    if position <= 0:
        return 0
    space = text.find(" ", position - 1)
    newline = text.find("\n", position - 1)
    cut = min((c for c in (space, newline) if c != -1), default=-1)
    if cut == -1 or cut - position > 30:
        return position
    return cut + 1


def _word_end(text: str, position: int) -> int:
    """The end of the word at or before `position`."""
    if position >= len(text):
        return len(text)
    cut = max(text.rfind(" ", 0, position + 1), text.rfind("\n", 0, position + 1))
    if cut == -1 or position - cut > 30:
        return position
    return cut


def _fragment(text: str, start: int, end: int, spans: list[Span]) -> str:
    inner = mark(text, spans, start, end).replace("\n\n", " ").replace("\n", " ").strip()
    return (ELLIPSIS if start > 0 else "") + inner + (ELLIPSIS if end < len(text) else "")


def lead(text: str, length: int = FRAGMENT_CHARS) -> str:
    """The start of a text, cut at a word, escaped: the snippet of a hit without query words."""
    if len(text) <= length:
        return _fragment(text, 0, len(text), [])
    return _fragment(text, 0, _word_end(text, length), [])


def snippets(
    text: str,
    terms: set[str] | frozenset[str],
    analyzer: NewsTokenizer,
    fragments: int = MAX_FRAGMENTS,
    length: int = FRAGMENT_CHARS,
) -> list[str]:
    """Up to `fragments` windows of about `length` characters where the most query words meet.

    Without any match the lead of the text is the one snippet.
    """
    if not text:
        return []
    spans = bounded_matches(text, terms, analyzer)
    if not spans:
        return [lead(text, length)]
    # Score a window starting shortly before each match: distinct terms first, then matches.
    candidates = []
    for i, anchor in enumerate(spans):
        start = max(0, anchor.start - LEAD_CHARS)
        end = start + length
        inside = [s for s in spans[i:] if s.end <= end]
        candidates.append((len({s.term for s in inside}), len(inside), -anchor.start, start))
    candidates.sort(reverse=True)
    chosen: list[tuple[int, int]] = []
    for _, _, _, start in candidates:
        end = min(len(text), start + length)
        if any(start < c_end and c_start < end for c_start, c_end in chosen):
            continue
        chosen.append((start, end))
        if len(chosen) >= fragments:
            break
    chosen.sort()
    out = []
    for start, end in chosen:
        start = _word_start(text, start)
        end = _word_end(text, end)
        if end <= start:
            continue
        # Keep a mark whole even if the window boundary falls inside it.
        for s in spans:
            if s.start < end < s.end:
                end = s.end
        out.append(_fragment(text, start, end, spans))
    return out
