"""JSONL, CSV, plain text and SGML on files written here, plus ids and order."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from search.article import Article, Problem
from search.readers import ReadOptions, ReadReport, read_corpus, read_file
from search.readers.csv_files import split_run_in_text
from search.readers.jsonl import article_to_record


def split(items):
    items = list(items)
    return [i for i in items if isinstance(i, Article)], [i for i in items if isinstance(i, Problem)]


def write_jsonl(path: Path, records) -> Path:
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records))
    return path


RECORD = {
    "title": "Port of Chittagong clears backlog",
    "subtitle": "Container queues shortened after a week of extra shifts",
    "source": "Staff Correspondent",
    "published": "2022-11-03T09:15:00+06:00",
    "body": ["Cranes worked through the night.", "Officials said the queue had halved."],
    "url": "https://example.org/chittagong-backlog",
    "metadata": {"section": "business"},
}


def test_jsonl_fields(tmp_path):
    (article,), problems = split(read_file(write_jsonl(tmp_path / "a.jsonl", [RECORD])))
    assert problems == []
    assert article.title == RECORD["title"] and article.subtitle == RECORD["subtitle"]
    assert article.source == "Staff Correspondent"
    assert article.published.isoformat() == "2022-11-03T09:15:00+06:00"
    assert article.updated is None
    assert article.body == tuple(RECORD["body"])
    assert article.url == RECORD["url"] and article.language == "en"
    assert article.source_metadata == {"section": "business"}
    assert (article.origin.record, article.origin.line) == (1, 1)


def test_jsonl_body_as_string_and_naive_time_in_default_zone(tmp_path):
    record = {
        "title": "Kyiv metro extends hours",
        "published": "2023-01-05 07:30",
        "body": "First paragraph\nwrapped.\n\nSecond paragraph.",
        "language": "EN",
    }
    (article,), _ = split(read_file(write_jsonl(tmp_path / "b.jsonl", [record])))
    assert article.body == ("First paragraph wrapped.", "Second paragraph.")
    assert article.published.isoformat() == "2023-01-05T07:30:00+06:00"
    assert article.language == "en"


def test_jsonl_round_trip(tmp_path):
    first, _ = split(
        read_file(write_jsonl(tmp_path / "in.jsonl", [RECORD, {**RECORD, "url": None, "title": "Second story"}]))
    )
    out = write_jsonl(tmp_path / "out.jsonl", [article_to_record(a) for a in first])
    again, problems = split(read_file(out))
    assert problems == []
    assert len(again) == 2
    for before, after in zip(first, again, strict=True):
        assert after.id == before.id
        for field in (
            "title",
            "subtitle",
            "source",
            "published",
            "updated",
            "body",
            "language",
            "url",
            "source_metadata",
        ):
            assert getattr(after, field) == getattr(before, field), field
        assert after.content_hash() == before.content_hash()


def test_the_same_article_from_two_files_and_positions_gets_one_id(tmp_path):
    other = {
        "title": "Lima water rationing ends",
        "published": "2021-06-01T08:00:00-05:00",
        "body": ["Taps ran again in Lima."],
    }
    a = write_jsonl(tmp_path / "a.jsonl", [other, RECORD])
    b = write_jsonl(tmp_path / "b.jsonl", [RECORD, {"title": "x", "body": ["y"]}, other])
    articles, _ = split(read_corpus([a, b]))
    ids = {}
    for article in articles:
        ids.setdefault(article.title, set()).add(article.id)
    assert all(len(v) == 1 for v in ids.values())
    # same story as a CSV row (no URL: title + publication minute) and as a page dump
    (tmp_path / "c.csv").write_text(
        "title,time,details\nLima water rationing ends,01 June 2021 07:00 PM,Taps ran again in Lima.\n",
        encoding="utf-8",
    )
    (tmp_path / "d.txt").write_text(
        "  Lima water rationing ends\n\n  Reuters\n  Published : 01 June 2021, 07:00 PM\n\n  Taps ran again.\n",
        encoding="utf-8",
    )
    more, problems = split(read_corpus([tmp_path / "c.csv", tmp_path / "d.txt"]))
    assert problems == []
    assert {m.id for m in more} == ids["Lima water rationing ends"]


def test_order_is_deterministic_and_files_are_read_once(tmp_path):
    for name in ("b.jsonl", "a.jsonl", "sub/c.jsonl"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        write_jsonl(tmp_path / name, [{**RECORD, "url": name, "title": name}])
    titles = [a.title for a in read_corpus([tmp_path]) if isinstance(a, Article)]
    assert titles == ["a.jsonl", "b.jsonl", "sub/c.jsonl"]
    twice = [a.title for a in read_corpus([tmp_path / "b.jsonl", tmp_path]) if isinstance(a, Article)]
    assert twice == ["b.jsonl", "a.jsonl", "sub/c.jsonl"]


# --- CSV --------------------------------------------------------------------------------------


def test_csv_column_mapping_option(tmp_path):
    path = tmp_path / "wire.csv"
    path.write_text(
        'Hed,Copy,Filed,Desk\nNairobi marathon record,"Runners beat the course record.",2019-10-13 07:00,sport\n',
        encoding="utf-8",
    )
    # without the mapping the layout is unknown
    articles, problems = split(read_file(path))
    assert articles == []
    assert "no title or body column" in problems[0].reason and problems[0].path == str(path)
    options = ReadOptions(csv_columns={"title": "Hed", "body": "Copy", "published": "Filed"})
    (article,), problems = split(read_file(path, options))
    assert problems == []
    assert article.title == "Nairobi marathon record"
    assert article.body == ("Runners beat the course record.",)
    assert article.published.isoformat() == "2019-10-13T07:00:00+06:00"
    assert article.source_metadata == {"Desk": "sport"}
    missing = ReadOptions(csv_columns={"title": "Title text"})
    assert [p.reason for p in read_file(path, missing)] == [
        "column 'Title text' (for title) is not in the header (Hed, Copy, Filed, Desk)"
    ]
    with pytest.raises(ValueError):
        ReadOptions(csv_columns={"headline": "Headline"})


def test_csv_duplicates_keep_the_most_complete_copy_across_files(tmp_path):
    (tmp_path / "a.csv").write_text(
        "url,title,date,content\n"
        'https://x.org/1,Osaka trade fair opens,"01 Apr 2024, 10:00 AM",Short.\n'
        'https://x.org/2,Only in a,"02 Apr 2024, 10:00 AM",Text.\n',
        encoding="utf-8",
    )
    (tmp_path / "b.csv").write_text(
        "url,title,date,content,category\n"
        'https://x.org/1,Osaka trade fair opens,"01 Apr 2024, 10:00 AM",Longer text here.,business\n'
        'https://x.org/1,Osaka trade fair opens,"01 Apr 2024, 10:00 AM",Longer text here.,business\n',
        encoding="utf-8",
    )
    articles, problems = split(read_corpus([tmp_path]))
    assert problems == []
    assert [(a.url, a.origin.path.rsplit("/", 1)[1], a.origin.record) for a in articles] == [
        ("https://x.org/2", "a.csv", 2),
        ("https://x.org/1", "b.csv", 1),
    ]
    assert articles[1].topic == "business" and articles[1].source == "x.org"


def test_csv_body_paragraph_splitting():
    text = (
        "First para ends here, she said.  Caption of a photo. Reuters  Next para with the\u00a0 "
        "government inside\nwrapped line.\n\nAfter a blank line.\u00a0\u00a0\u00a0Another."
    )
    assert split_run_in_text(text) == [
        "First para ends here, she said.",
        "Caption of a photo. Reuters",
        "Next para with the\u00a0 government inside wrapped line.",
        "After a blank line.",
        "Another.",
    ]


def test_csv_bad_rows_are_reported_and_the_rest_kept(tmp_path):
    path = tmp_path / "mixed.csv"
    path.write_text(
        "title,time,details\n"
        ",,\n"  # blank row: ignored
        "Good one,03 March 2020 10:00 AM,Body.\n"
        ",03 March 2020 10:00 AM,\n"  # no title, no body
        "Bad date,the third of March,Body text.\n"
        ",04 March 2020 10:00 AM,Dhaka traffic eased on Tuesday. Police said so.\n",
        encoding="utf-8",
    )
    articles, problems = split(read_file(path))
    assert [a.title for a in articles] == ["Good one", "Bad date", "Dhaka traffic eased on Tuesday."]
    assert articles[1].published is None
    assert [(p.record, p.severity, p.reason) for p in problems] == [
        (3, "error", "no title and no body text; record skipped"),
        (4, "warning", "unreadable published date 'the third of March'; left empty"),
        (5, "warning", "no title; title taken from the first sentence of the body"),
    ]
    assert all(p.path == str(path) for p in problems)


# --- plain text and SGML ----------------------------------------------------------------------


def test_plain_text_article(tmp_path):
    folder = tmp_path / "science"
    folder.mkdir()
    (folder / "probe.txt").write_text(
        "Probe reaches asteroid\n\nThe probe arrived on Tuesday.\n\nA list follows:\n- one item\n- two items\n",
        encoding="utf-8",
    )
    (article,), problems = split(read_corpus([tmp_path]))
    assert problems == []
    assert article.title == "Probe reaches asteroid"
    assert article.body == ("The probe arrived on Tuesday.", "A list follows:", "- one item", "- two items")
    assert article.source_metadata == {"folder": "science"}
    assert article.published is None


def test_word_list_text_file_is_skipped_with_a_warning(tmp_path):
    (tmp_path / "places.txt").write_text("afghanistan\nalbania\nalgeria\n", encoding="utf-8")
    articles, problems = split(read_corpus([tmp_path]))
    assert articles == []
    assert problems[0].severity == "warning" and problems[0].reason.startswith("skipped: not an article")


SGML = """<!DOCTYPE lewis SYSTEM "lewis.dtd">
<REUTERS TOPICS="YES" LEWISSPLIT="TRAIN" CGISPLIT="TRAINING-SET" OLDID="1" NEWID="7">
<DATE> 5-APR-1987 11:30:00.00</DATE>
<TOPICS><D>grain</D></TOPICS>
<PLACES><D>peru</D></PLACES>
<PEOPLE></PEOPLE><ORGS></ORGS><EXCHANGES></EXCHANGES><COMPANIES></COMPANIES>
<UNKNOWN>&#5;&#5;&#5;C</UNKNOWN>
<TEXT>&#2;
<TITLE>PERU BUYS WHEAT FROM &lt;ACME&gt; &amp; PARTNERS</TITLE>
<DATELINE>    LIMA, April 5 - </DATELINE><BODY>Peru bought 50,000 tonnes of wheat, trade
sources said.
    Delivery is due in May.
 Reuter
&#3;</BODY></TEXT>
</REUTERS>
<REUTERS TOPICS="NO" NEWID="8">
<DATE>6-APR-1987 09:00:00.00&#5;&#5;junk</DATE>
<TEXT TYPE="BRIEF">&#2;
******<TITLE>SHORT ITEM
</TITLE>Blah blah blah.
&#3;

</TEXT>
</REUTERS>
<REUTERS TOPICS="NO" NEWID="9">
<DATE>7-APR-1987 10:00:00.00</DATE>
<TEXT>&#2;
<TITLE>CUT OFF STORY</TITLE>
<BODY>This story never
"""


def test_sgml_stories(tmp_path):
    path = tmp_path / "reut2-999.sgm"
    path.write_text(SGML, encoding="ascii")
    articles, problems = split(read_file(path))
    first, brief, cut = articles
    assert first.title == "PERU BUYS WHEAT FROM <ACME> & PARTNERS"
    assert first.body == (
        "LIMA, April 5 - Peru bought 50,000 tonnes of wheat, trade sources said.",
        "Delivery is due in May.",
    )
    assert first.published.isoformat() == "1987-04-05T11:30:00-04:00"  # EDT from 5 April 1987
    assert first.source_metadata["places"] == ["peru"] and first.source_metadata["dateline"] == "LIMA, April 5"
    assert brief.title == "SHORT ITEM" and brief.body == ()
    assert brief.published.isoformat() == "1987-04-06T09:00:00-04:00"
    # truncated mid-story: reported as an error, what there is is kept
    assert cut.title == "CUT OFF STORY" and cut.body == ("This story never",)
    assert [(p.severity, p.record) for p in problems] == [("error", 3)]
    assert "middle of a story" in problems[0].reason and problems[0].path == str(path)


def test_report_counts(tmp_path):
    write_jsonl(tmp_path / "a.jsonl", [RECORD, {"title": "", "body": []}])
    report = ReadReport()
    list(report.track(read_corpus([tmp_path, tmp_path / "nope"])))
    assert (report.articles, report.errors, report.warnings) == (1, 2, 0)
    assert report.summary() == "1 article read, 2 errors, 0 warnings"
