"""The fast path of mojibake repair (search.readers.text) gives exactly ftfy's output."""

from __future__ import annotations

import csv
import gzip
import io
import itertools
import re

import ftfy
import orjson
import pytest
from ftfy.badness import BADNESS_RE, is_bad

from search.readers import text
from search.readers.text import BAD_SPAN, looks_bad

try:
    from re import _parser as sre_parse  # type: ignore[attr-defined]
except ImportError:  # Python < 3.11
    import sre_parse  # type: ignore[no-redef]


def test_every_mojibake_pattern_holds_an_anchor_character_within_the_span():
    parsed = sre_parse.parse(BADNESS_RE.pattern, BADNESS_RE.flags)
    assert parsed.getwidth()[1] <= BAD_SPAN
    (op, (_, alternatives)), *rest = parsed.data
    assert op is sre_parse.BRANCH and not rest

    def anchored(code: int) -> bool:
        return text._BAD_ANCHOR.fullmatch(chr(code)) is not None

    def all_anchored(item) -> bool:
        op, value = item
        if op is sre_parse.LITERAL:
            return anchored(value)
        if op is sre_parse.IN:
            return all(
                (kind is sre_parse.LITERAL and anchored(v))
                or (kind is sre_parse.RANGE and all(anchored(c) for c in range(v[0], v[1] + 1)))
                for kind, v in value
            )
        return False

    for alternative in alternatives:
        assert any(all_anchored(item) for item in alternative.data), alternative


def real_lines(shared) -> list[str]:
    """Non-ASCII lines of real articles: AllSides (curly quotes, accented names) and Dhaka Tribune."""
    texts: list[str] = []
    with gzip.open(shared("corpus", "allsides", "articles.jsonl.gz")) as stream:
        for line in itertools.islice(stream, 400):
            record = orjson.loads(line)
            for value in record.values():
                texts += [value] if isinstance(value, str) else [v for v in value or () if isinstance(v, str)]
    csv.field_size_limit(2**31 - 1)
    raw = shared("corpus", "dhakatribune", "dhakatribune_news_raw.csv").read_bytes()[:3_000_000]
    for row in csv.reader(io.StringIO(raw.decode("utf-8", "replace"))):
        texts += row
    lines = [line for t in texts for line in re.split(r"\n", t) if not line.isascii()]
    assert len(lines) > 2000
    return lines


@pytest.mark.shared
def test_the_fast_path_gives_ftfys_output_on_real_articles_and_their_mojibake(shared):
    lines = real_lines(shared)
    # The same lines as mojibake (UTF-8 read as Windows-1252), which ftfy does repair.
    garbled = [line.encode("utf-8").decode("cp1252", "replace") for line in lines[:1000]]
    checked = (
        lines + garbled + [line + "\r" for line in lines[:50]] + [line.replace(" ", "\u2028") for line in lines[:50]]
    )
    skipped = 0
    for line in checked:
        assert looks_bad(line) == is_bad(line), line
        fixed = text._fix_text(line)
        assert fixed == ftfy.fix_text(line, text._FTFY), line
        skipped += fixed is line
    assert skipped > len(lines) // 2  # the fast path is taken for most real text
    assert sum(is_bad(line) for line in garbled) > 900  # and the mojibake went through ftfy
