"""The sample corpus in corpus/: read cleanly, labelled as written for Dateline, varied."""

from __future__ import annotations

from search.article import Article
from search.readers import ReadReport, read_corpus
from search.settings import PROJECT_ROOT

CORPUS = PROJECT_ROOT / "corpus"


def test_sample_corpus_reads_cleanly_and_is_labelled():
    report = ReadReport()
    articles = [a for a in report.track(read_corpus([CORPUS])) if isinstance(a, Article)]
    assert report.problem_count == 0  # README.md is skipped quietly
    assert len(articles) == 22
    pages = [a for a in articles if a.origin.path.endswith(".txt")]
    assert len(pages) == 5
    # JSON Lines name their outlet; the page dumps credit the desk in their byline (bdnews24's layout).
    assert all(a.source == "Dateline Sample Desk" for a in articles if a not in pages)
    assert all((a.byline, a.source) == ("Dateline Sample Desk", "bdnews24.com") for a in pages)
    jsonl = [a for a in articles if a.origin.path.endswith(".jsonl")]
    assert all("written for the Dateline project" in a.source_metadata["note"] for a in jsonl)
    assert len({a.id for a in articles}) == 22
    # page noise in the sample pages stays out of the articles
    assert not [a.title for a in pages if "RELATED" in a.text or "Sample Author" in a.text or "caption" in a.text]


def test_sample_corpus_dates_are_varied():
    articles = [a for a in read_corpus([CORPUS]) if isinstance(a, Article)]
    assert all(a.published is not None for a in articles)
    assert len({a.published.year for a in articles}) == 6  # 2019 .. 2024
    assert len({(a.published.year, a.published.month) for a in articles}) >= 18
    lima = next(a for a in articles if a.title.startswith("Lima holds earthquake drill"))
    assert lima.published.isoformat() == "2022-02-07T21:15:00+06:00"  # "GMT+6" on the page
    nairobi = next(a for a in articles if a.title.startswith("Nairobi water rationing"))
    assert nairobi.published.isoformat() == "2023-04-26T15:50:00+03:00"  # "+0300" on the page


def test_sample_people_are_named_in_full_then_by_surname():
    articles = [a for a in read_corpus([CORPUS]) if isinstance(a, Article)]
    kyiv = next(a for a in articles if "Kyiv researchers" in a.title)
    assert "Olena Kovalenko" in kyiv.body_text and "Kovalenko warned" in kyiv.body_text
    flood = next(a for a in articles if a.title.startswith("Sylhet floods"))
    assert "Shirin Sultana" in flood.body_text and "Sultana said" in flood.body_text
