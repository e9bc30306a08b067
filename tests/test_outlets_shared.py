"""Outlet and byline apart, per reader, on the real corpora in ../shared; AllSides read as it comes
(gzip JSON Lines)."""

from __future__ import annotations

import itertools
from collections import Counter

import pytest

from helpers import shared_path
from search.article import Article
from search.readers import ReadReport, read_corpus

pytestmark = pytest.mark.shared


def articles(*parts: str, limit: int | None = None) -> list[Article]:
    stream = (a for a in read_corpus([shared_path(*parts)]) if isinstance(a, Article))
    return list(itertools.islice(stream, limit))


def test_bdnews24_pages_credit_the_byline_and_name_the_outlet_or_agency():
    read = articles("corpus", "pages")
    bylines = Counter(a.byline for a in read)
    assert bylines["Staff Correspondent"] > 20 and bylines["Senior Correspondent"] > 5
    assert {a.source for a in read if a.byline.endswith("Correspondent")} == {"bdnews24.com"}
    seed = articles("corpus", "seed")[0]
    assert (seed.source, seed.byline) == ("Reuters", "Reuters")  # an agency story on bdnews24


def test_bdnews24_csv_exports_are_bdnews24_and_dhaka_tribune_rows_dhaka_tribune():
    assert {a.source for a in articles("corpus", "bdnews24")} == {"bdnews24.com"}
    tribune = articles("corpus", "dhakatribune")
    assert {a.source for a in tribune} == {"Dhaka Tribune"}
    assert all(a.byline == "" for a in tribune)  # the export has no author column
    assert Counter(a.topic for a in tribune)["sports"] > 10


def test_reuters_stories_are_reuters_with_the_author_as_byline():
    read = articles("corpus", "reuters21578", "reut2-000.sgm")
    assert {a.source for a in read} == {"Reuters"}
    assert "Janie Gabbett" in {a.byline for a in read}
    assert sum(bool(a.byline) for a in read) == 54  # the file's <AUTHOR> elements
    assert all("author" not in a.source_metadata for a in read)


def test_bbc_news_is_bbc_news():
    assert {a.source for a in articles("corpus", "bbc_news", limit=50)} == {"BBC News"}


@pytest.mark.slow
def test_allsides_gzip_jsonl_is_read_out_of_the_box_with_every_field_in_its_place():
    report = ReadReport()
    read = [
        a
        for a in report.track(read_corpus([shared_path("corpus", "allsides", "articles.jsonl.gz")]))
        if isinstance(a, Article)
    ]
    assert (len(read), report.problem_count) == (37_554, 0)
    assert len({a.source for a in read}) == 491  # AllSides outlet names, as SOURCE.md counts them
    assert sum(bool(a.byline) for a in read) == 37_554 - 9_668  # byline missing for 9,668
    assert sum(a.published is not None for a in read) == 33_144
    assert all(a.topic and a.url and a.url.startswith("http") for a in read)
    first = read[0]
    assert (first.id, first.source, first.byline, first.topic) == (
        "allsides-oLGaRagwhI0ykltO",
        "Cato Institute (blog)",
        "",
        "immigration",
    )
    assert first.published.date().isoformat() == "2001-10-23"
    assert first.source_metadata["bias"] == "right"
    with_byline = next(a for a in read if a.byline)
    assert with_byline.source not in with_byline.byline
