"""Page dumps read from their structure: variants of the seed page built here still parse."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from helpers import shared_path
from search.article import Article, Problem
from search.readers import ReadOptions, read_file
from search.settings import parse_utc_offset

SEED_NAME = "000_5c0d1201479ab30b.txt"


@pytest.fixture(scope="module")
def seed_text() -> str:
    return shared_path("corpus", "seed", SEED_NAME).read_text("utf-8")


def read_text(
    tmp_path: Path, text: str, name: str = "page.txt", encoding: str = "utf-8", options: ReadOptions | None = None
) -> tuple[list[Article], list[Problem]]:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    items = list(read_file(path, options))
    return [i for i in items if isinstance(i, Article)], [i for i in items if isinstance(i, Problem)]


def remove_block(text: str, heading: str) -> str:
    """The page without the noise block that starts at `heading` (up to the next blank line)."""
    return re.sub(rf"\n[ \t]*{heading}\n(?:[ \t]*\S.*\n?)*", "\n", text)


def assert_seed_article(article: Article, *, subtitle: bool = True, updated: bool = True) -> None:
    assert article.title == "Ukraine uses North Korean rockets to blast Russian forces"
    if subtitle:
        assert article.subtitle.startswith("The United States has accused North Korea")
    else:
        assert article.subtitle == ""
    assert article.source == "Reuters"
    assert article.published.isoformat() == "2023-07-30T05:48:00+06:00"
    assert (article.updated == article.published) if updated else article.updated is None
    assert len(article.body) == 7
    assert article.body[0].startswith("Ukrainian soldiers were observed using North Korean rockets that")
    assert article.body[-1].endswith("face off with the United States.")
    for noise in ("RELATED STORIES", "Opinion", "Peter Apps", "Putin", "Saudi to host"):
        assert noise not in article.text


VARIANTS = {
    "as is": lambda t: t,
    "CRLF": lambda t: t.replace("\n", "\r\n"),
    "CR only": lambda t: t.replace("\n", "\r"),
    "tabs": lambda t: re.sub(r"(?m)^    ", "\t", t),
    "no indentation": lambda t: re.sub(r"(?m)^[ \t]+", "", t),
    "ragged indentation": lambda t: "\n".join(" " * (i % 5) + line.strip() for i, line in enumerate(t.split("\n"))),
    "NBSP indentation and spaces": lambda t: re.sub(r"(?m)^    ", "\u00a0\u00a0", t).replace(
        " the ", "\u00a0the\u00a0"
    ),
    "trailing spaces and newline": lambda t: re.sub(r"(?m)$", "  ", t) + "\n\n",
    "no RELATED STORIES": lambda t: remove_block(t, "RELATED STORIES"),
    "no Opinion": lambda t: t[: t.index("\n    Opinion")],
    "no noise at all": lambda t: remove_block(t[: t.index("\n    Opinion")], "RELATED STORIES"),
    "no header line": lambda t: t.split("\n", 2)[2],
    "blank lines doubled": lambda t: t.replace("\n\n", "\n\n\n"),
    "Related Stories in title case": lambda t: t.replace("RELATED STORIES", "Related Stories"),
    "byline after a blank line": lambda t: t.replace("    Reuters\n    Published", "    Reuters\n\n    Published"),
}


@pytest.mark.shared
@pytest.mark.parametrize("variant", VARIANTS)
def test_seed_variants_parse_the_same(tmp_path, seed_text, variant):
    articles, problems = read_text(tmp_path, VARIANTS[variant](seed_text))
    assert problems == []
    (article,) = articles
    assert_seed_article(article)


@pytest.mark.shared
def test_no_updated_line(tmp_path, seed_text):
    (article,), _ = read_text(tmp_path, re.sub(r"(?m)^[ \t]*Updated :.*\n", "", seed_text))
    assert_seed_article(article, updated=False)


@pytest.mark.shared
def test_no_subtitle(tmp_path, seed_text):
    text = re.sub(
        r"(?m)^[ \t]*The United States has accused North Korea of providing arms.*proof\n\n", "", seed_text, count=1
    )
    (article,), _ = read_text(tmp_path, text)
    assert_seed_article(article, subtitle=False)


@pytest.mark.shared
def test_no_subtitle_no_updated_crlf_tabs_no_noise(tmp_path, seed_text):
    text = re.sub(
        r"(?m)^[ \t]*The United States has accused North Korea of providing arms.*proof\n\n", "", seed_text, count=1
    )
    text = re.sub(r"(?m)^[ \t]*Updated :.*\n", "", text)
    text = remove_block(text[: text.index("\n    Opinion")], "RELATED STORIES")
    text = re.sub(r"(?m)^    ", "\t", text).replace("\n", "\r\n")
    (article,), _ = read_text(tmp_path, text)
    assert_seed_article(article, subtitle=False, updated=False)


@pytest.mark.shared
@pytest.mark.parametrize(
    ("printed", "expected"),
    [
        ("30 July 2023, 05:48 AM", "2023-07-30T05:48:00+06:00"),
        ("30 July 2023, 05:48 AM GMT+6", "2023-07-30T05:48:00+06:00"),
        ("30 July 2023, 05:48 AM +0600", "2023-07-30T05:48:00+06:00"),
        ("30 July 2023, 05:48 AM UTC", "2023-07-30T05:48:00+00:00"),
        ("30 July 2023 05:48 PM GMT", "2023-07-30T17:48:00+00:00"),
        ("30 July 2023, 05:48 AM (GMT+05:30)", "2023-07-30T05:48:00+05:30"),
        ("July 30, 2023 5:48 am", "2023-07-30T05:48:00+06:00"),
        ("2023-07-30T05:48:00+02:00", "2023-07-30T05:48:00+02:00"),
    ],
)
def test_published_zone_markers(tmp_path, seed_text, printed, expected):
    text = seed_text.replace("Published : 30 July 2023, 05:48 AM", f"Published : {printed}")
    (article,), _ = read_text(tmp_path, text)
    assert article.published.isoformat() == expected


@pytest.mark.shared
def test_default_timezone_is_a_setting(tmp_path, seed_text):
    options = ReadOptions(default_timezone=parse_utc_offset("+05:30"))
    (article,), _ = read_text(tmp_path, seed_text, options=options)
    assert article.published.isoformat() == "2023-07-30T05:48:00+05:30"


@pytest.mark.shared
def test_unparseable_published_date_keeps_the_article(tmp_path, seed_text):
    text = seed_text.replace("Published : 30 July 2023, 05:48 AM", "Published : yesterday evening")
    (article,), problems = read_text(tmp_path, text)
    assert article.published is None
    assert article.updated.isoformat() == "2023-07-30T05:48:00+06:00"
    assert [(p.severity, p.reason) for p in problems] == [
        ("warning", "unreadable published date 'yesterday evening'; left empty")
    ]
    assert article.warnings == ("unreadable published date 'yesterday evening'; left empty",)
    assert len(article.body) == 7


def test_page_without_published_line_takes_the_header_date(tmp_path):
    text = (
        " date 2021-03-04     বাংলা\n\n    Harbour reopens after storm\n\n"
        "    The port of Mongla reopened on Thursday.\n\n    Ships queued overnight.\n"
    )
    (article,), problems = read_text(tmp_path, text)
    assert problems == []
    assert article.title == "Harbour reopens after storm"
    assert article.published.isoformat() == "2021-03-04T00:00:00+06:00"
    assert article.body == ("The port of Mongla reopened on Thursday.", "Ships queued overnight.")


def test_page_without_title_gets_one_from_its_body(tmp_path):
    text = (
        "    Staff Correspondent\n    Published : 02 March 2020, 10:00 AM\n\n"
        "    Rain flooded low-lying streets in Sylhet on Monday. Schools closed early.\n\n"
        "    RELATED STORIES\n    Other story\n"
    )
    (article,), problems = read_text(tmp_path, text)
    assert article.title == "Rain flooded low-lying streets in Sylhet on Monday."
    assert (article.byline, article.source) == ("Staff Correspondent", "")
    assert [p.reason for p in problems] == ["no title; title taken from the first sentence of the body"]
    assert "Other story" not in article.text


@pytest.mark.shared
def test_title_directly_above_the_byline(tmp_path, seed_text):
    text = re.sub(
        r"(?m)^[ \t]*The United States has accused North Korea of providing arms.*proof\n\n", "", seed_text, count=1
    ).replace("forces\n\n", "forces\n", 1)
    (article,), _ = read_text(tmp_path, text)
    assert_seed_article(article, subtitle=False)
