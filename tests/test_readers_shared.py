"""The readers on the real corpora in ../shared: exact counts and fields."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import datetime, timedelta

import pytest

from helpers import shared_path
from search.article import Article, Problem
from search.readers import ReadReport, read_corpus, read_file
from search.readers.text import clean_text

pytestmark = [pytest.mark.shared, pytest.mark.slow]  # reads whole real corpora


def articles(*paths, **kwargs) -> list[Article]:
    return [item for item in read_corpus(paths, **kwargs) if isinstance(item, Article)]


def problems(*paths) -> list[Problem]:
    return [item for item in read_corpus(paths) if isinstance(item, Problem)]


# --- page dumps -------------------------------------------------------------------------------

NOISE_LINES = (
    "RELATED STORIES",
    "Opinion",
    "Peter Apps",
    "Vladimir Putin",
    "Saudi to host Ukraine talks",
    "Syed Badrul Ahsan",
    "Natalia A Ramos Miranda",
    "Roli Srivastava",
    "N Korea's Kim shows off",
)


def test_seed_page_gives_what_its_source_states():
    seed = shared_path("corpus", "seed")
    (article,) = articles(seed)
    assert article.title == "Ukraine uses North Korean rockets to blast Russian forces"
    assert article.subtitle.startswith("The United States has accused North Korea of providing arms")
    assert article.subtitle.endswith("but has not offered proof")
    assert article.source == "Reuters"
    assert article.published.isoformat() == "2023-07-30T05:48:00+06:00"
    assert article.updated == article.published
    assert len(article.body) == 7
    assert article.body[0].startswith("Ukrainian soldiers were observed using North Korean rockets")
    assert article.body[-1].endswith("face off with the United States.")
    everything = "\n".join([article.title, article.subtitle, article.source, *article.body])
    for noise in NOISE_LINES:
        assert noise not in everything
    assert "\u00a0" not in everything  # the page's NBSPs are plain spaces
    assert "Shoigu" in article.body_text and "Bakhmut" in article.body_text
    assert problems(seed) == []


def _gold_pages():
    pages = shared_path("corpus", "pages")
    return pages, [json.loads(line) for line in (pages / "gold.jsonl").read_text("utf-8").splitlines()]


def test_pages_folder_gives_exactly_the_182_gold_articles():
    pages, gold = _gold_pages()
    report = ReadReport()
    read = [a for a in report.track(read_corpus([pages])) if isinstance(a, Article)]
    assert len(read) == len(gold) == 182
    assert report.problem_count == 0  # SOURCE.md and gold.jsonl are skipped quietly
    assert sorted(a.origin.path.rsplit("/", 1)[1] for a in read) == sorted(g["file"] for g in gold)


def test_every_page_matches_its_gold_fields():
    # The gold keeps the site's text as published; the reader tidies spaces (NBSP -> space,
    # runs collapsed, zero-width spaces as spaces), so the gold goes through the same clean_text.
    pages, gold = _gold_pages()
    by_file = {a.origin.path.rsplit("/", 1)[1]: a for a in articles(pages)}
    mismatches = []
    for g in gold:
        a = by_file[g["file"]]
        expected = (
            clean_text(g["title"]),
            clean_text(g["subtitle"]),
            g["source"],
            g["published"],
            g["updated"],
            tuple(clean_text(p) for p in g["paragraphs"]),
        )
        # The gold's "source" is the page's byline line ("Senior Correspondent", "Reuters").
        got = (a.title, a.subtitle, a.byline, a.published.isoformat(), a.updated.isoformat(), a.body)
        if got != expected:
            mismatches.append(g["file"])
    assert mismatches == []
    # clean_text changes the gold only where the site itself had NBSP + space or zero-width spaces
    changed = [
        g["file"]
        for g in gold
        if [clean_text(p) for p in [g["title"], g["subtitle"], *g["paragraphs"]]]
        != [g["title"], g["subtitle"], *g["paragraphs"]]
    ]
    assert len(changed) == 7


def test_page_and_csv_copies_of_one_article_share_an_id():
    pages = shared_path("corpus", "pages")
    (page,) = articles(pages / "000_92fdf66bb223dc32.txt")
    from_csv = {a.title: a for a in articles(shared_path("corpus", "bdnews24"))}
    twin = from_csv[page.title]
    assert twin.origin.path.endswith(".csv") and page.origin.path.endswith(".txt")
    assert twin.id == page.id
    assert twin.published == page.published


# --- Reuters-21578 ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def reuters():
    path = shared_path("corpus", "reuters21578")
    report = ReadReport()
    read = [a for a in report.track(read_corpus([path])) if isinstance(a, Article)]
    return read, report


def test_reuters_gives_all_21578_stories_each_dated(reuters):
    read, report = reuters
    assert len(read) == 21578
    assert len({a.id for a in read}) == 21578
    assert {a.source_metadata["newid"] for a in read} == {str(n) for n in range(1, 21579)}
    assert all(a.published is not None and a.published.tzinfo is not None for a in read)
    dates = sorted(a.published.date().isoformat() for a in read)
    assert (dates[0], dates[-1]) == ("1987-02-26", "1987-10-20")
    assert report.errors == 0
    assert all(a.source == "Reuters" for a in read)


def test_reuters_first_story_fields(reuters):
    first = reuters[0][0]
    assert first.title == "BAHIA COCOA REVIEW"
    assert first.published.isoformat() == "1987-02-26T15:01:01-05:00"  # US Eastern (EST)
    assert first.source_metadata["places"] == ["el-salvador", "usa", "uruguay"]
    assert first.source_metadata["topics"] == ["cocoa"]
    assert first.source_metadata["dateline"] == "SALVADOR, Feb 26"
    assert first.body[0].startswith("SALVADOR, Feb 26 - Showers continued throughout the week in the Bahia cocoa")
    assert first.body[1] == "The dry period means the temporao will be late this year."
    assert len(first.body) == 17  # 1 + 16 lines that start with 4 spaces
    assert first.body[-1].endswith("which ends midday on February 27.")


def test_reuters_bodies_are_clean(reuters):
    read, _ = reuters
    assert not [a.origin for a in read if a.body and re.search(r"reuter\s*$", a.body[-1], re.I)]
    assert not [a.origin for a in read if "&lt;" in a.text or "&#" in a.text or "&amp;" in a.text]
    assert not [a.origin for a in read if re.search(r"[\x00-\x08\x0b-\x1f\x7f]", a.text)]
    # tickers were &lt;VIA> in the SGML
    assert sum("<" in a.title for a in read) > 1000
    # paragraphs are re-joined: no hard-wrapped line breaks left
    assert not [a.origin for a in read if any("\n" in p for p in a.body)]
    assert Counter(a.source_metadata.get("text_type", "NORM") for a in read) == {
        "NORM": 19043,
        "BRIEF": 1798,
        "UNPROC": 737,
    }


def test_reuters_latin1_story_is_readable(reuters):
    read, report = reuters
    (story,) = [a for a in read if a.source_metadata["newid"] == "17980"]
    assert story.origin.path.endswith("reut2-017.sgm")
    assert "world economic growth.üside measures" in story.body_text
    assert any("not valid UTF-8" in p.reason and p.path.endswith("reut2-017.sgm") for p in report.problems)


def test_reuters_odd_dates(reuters):
    read, _ = reuters
    by_id = {a.source_metadata["newid"]: a for a in read}
    # '31-MAR-1987 605:12:19.12' keeps its date; the time is unreadable and says so
    odd = [a for a in read if a.warnings and any("unreadable time" in w for w in a.warnings)]
    assert len(odd) == 1 and odd[0].published.date().isoformat() == "1987-03-31"
    assert by_id["1"].published.utcoffset() == timedelta(hours=-5)


# --- CSV --------------------------------------------------------------------------------------


def test_bdnews24_csvs_give_239_distinct_articles():
    folder = shared_path("corpus", "bdnews24")
    read = articles(folder)
    assert len(read) == 239
    assert len({a.id for a in read}) == 239
    # 238 distinct titles; one title was published twice, at different times
    assert len({a.title for a in read}) == 238
    twice = [a for a in read if a.title.startswith("SARS stung the global economy")]
    assert sorted(a.published.isoformat() for a in twice) == ["2020-02-03T14:55:00+06:00", "2020-02-05T02:59:00+06:00"]
    # the most complete copy wins: every article in the with_meta file comes from there
    assert Counter(a.origin.path.rsplit("/", 1)[1] for a in read)["corona_flu_bd_article_with_meta.csv"] == 157
    assert problems(folder) == []


def test_bdnews24_fields_and_paragraphs():
    read = articles(shared_path("corpus", "bdnews24"))
    first = next(a for a in read if a.title.startswith("Madrasa headmaster"))
    assert first.published.isoformat() == "2020-01-02T20:08:00+06:00"
    assert first.subtitle.startswith("Police have detained a madrasa teacher")
    assert first.source_metadata["keywords"] == [
        "Gazipur Madrasa",
        "boy found dead in wardrobe",
        "madrasa teacher arrested",
    ]
    screen = next(a for a in read if a.title.startswith("Bangladesh to screen travellers from China"))
    # captions are set off by two spaces: text, caption with its credit, text
    assert len(screen.body) == 3
    assert screen.body[1].startswith("Tourist line-up in a health control")
    assert screen.body[1].endswith("the previous week. Reuters")
    assert screen.body[2].startswith("Four patients have also been detected")
    # "the\u00a0 government" is one space, not a paragraph break
    assert not [a.origin for a in read if any(p[:1].islower() and not p.startswith("c.20") for p in a.body)]
    assert all("\u00a0" not in a.text and "  " not in a.text for a in read)


def test_dhakatribune_gives_501_articles_with_mojibake_repaired():
    folder = shared_path("corpus", "dhakatribune")
    report = ReadReport()
    read = [a for a in report.track(read_corpus([folder])) if isinstance(a, Article)]
    assert len(read) == 501
    assert len({a.url for a in read}) == 501
    assert not [a.origin for a in read if re.search("â€|Â|\u009d", a.text)]
    assert sum("’" in a.text for a in read) > 250
    first = read[0]
    assert first.title == "Sinner lines up Alcaraz showdown in Italian Open final"
    assert first.published.isoformat() == "2025-05-17T08:13:00+06:00"
    assert (first.source, first.byline, first.topic) == ("Dhaka Tribune", "", "sports")
    assert first.source_metadata == {}
    # the .xlsx original is not read, and says so
    assert [p.reason for p in report.problems] == [
        "skipped: an Excel workbook (export the sheet as CSV), not a format Dateline reads"
    ]


def test_lets_is_repaired_in_dhakatribune():
    read = articles(shared_path("corpus", "dhakatribune"))
    assert any("Let’s" in a.text for a in read)


# --- BBC plain text ---------------------------------------------------------------------------


def test_bbc_news_plain_text_articles():
    folder = shared_path("corpus", "bbc_news")
    report = ReadReport()
    read = [a for a in report.track(read_corpus([folder])) if isinstance(a, Article)]
    assert len(read) == 2095
    assert report.problem_count == 0  # LICENSE.txt and SOURCE.md are skipped quietly
    assert Counter(a.source_metadata["folder"] for a in read) == {
        "business": 500,
        "entertainment": 365,
        "politics": 397,
        "sport": 500,
        "tech": 333,
    }
    payoff = next(a for a in read if a.origin.path.endswith("1m-payoff-for-former-shell-boss.txt"))
    assert payoff.title == "$1m payoff for former Shell boss"
    assert payoff.body[0].startswith("Shell is to pay $1m (£522,000) to the ex-finance chief")
    assert payoff.published is None and (payoff.source, payoff.byline) == ("BBC News", "")
    assert all(a.title and a.body for a in read)


def test_reading_a_corpus_twice_gives_the_same_ids_in_the_same_order():
    folder = shared_path("corpus", "bdnews24")
    assert [a.id for a in articles(folder)] == [a.id for a in articles(folder)]
    # one file alone: its 172 rows are 172 articles (a title repeats, at another time)
    single = articles(folder / "news_article.csv")
    assert len(single) == 172
    assert {a.id for a in single} <= {a.id for a in articles(folder)}


def test_read_file_is_read_corpus_of_one_path():
    seed = shared_path("corpus", "seed", "000_5c0d1201479ab30b.txt")
    (one,) = [a for a in read_file(seed) if isinstance(a, Article)]
    assert one.title.startswith("Ukraine uses")
    assert isinstance(one.published, datetime)
