"""`dateline search` in text and --json modes, on a real index."""

from __future__ import annotations

import orjson
import pytest

from helpers import index_articles
from search.cli import main


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory):
    return index_articles(tmp_path_factory.mktemp("cli-index"))


def test_text_mode_shows_marks_without_html(index_dir, capsys):
    assert main(["search", "script", "alert", "--index", str(index_dir)]) == 0
    out = capsys.readouterr().out
    assert "1 articles" in out
    assert "<[script]>[alert](1)</[script]> in the headline" in out  # unescaped, marks as brackets
    assert "&lt;" not in out and "<mark>" not in out
    assert "source: Test & Co (1)" in out


def test_text_mode_facet_flags_are_repeatable(index_dir, capsys):
    assert main(["search", "--place", "Seoul", "--place", "Dhaka", "--index", str(index_dir)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("3 articles")
    assert "*Seoul (2)" in out and "*Dhaka (1)" in out


def test_json_mode_is_the_search_result_shape(index_dir, capsys):
    assert (
        main(
            [
                "search",
                "rocket",
                "--json",
                "--sort",
                "newest",
                "--page-size",
                "2",
                "--from",
                "2023-01-01",
                "--index",
                str(index_dir),
            ]
        )
        == 0
    )
    data = orjson.loads(capsys.readouterr().out)
    assert data["total"] == 2 and data["sort"] == "newest" and data["page_size"] == 2
    assert [hit["id"] for hit in data["results"]] == ["a2", "a1"]
    assert "<mark>" in data["results"][0]["title_html"]
    assert set(data["facets"]) == {"person", "place", "country", "source", "topic"}
    assert data["dates"]["unit"] in ("day", "month", "year")


def test_empty_query_browses_newest_first(index_dir, capsys):
    assert main(["search", "--json", "--index", str(index_dir)]) == 0
    data = orjson.loads(capsys.readouterr().out)
    assert data["sort"] == "newest" and data["total"] == 10 and data["results"][0]["id"] == "a8"


def test_missing_index_is_a_one_line_error(tmp_path, capsys):
    assert main(["search", "x", "--index", str(tmp_path / "none")]) == 1
    err = capsys.readouterr().err
    assert err.strip() == f"dateline search: no index at {tmp_path / 'none'}: run dateline reindex"


@pytest.mark.parametrize(
    "args, message",
    [
        (["--page", "0"], "--page: page must be between 1 and 1000"),
        (["--page-size", "0"], "--page-size: page_size must be"),
        (["--facets", "-1"], "--facets: facet_limit must be between 0 and 1000"),
        (["--from", "2023-05-01", "--to", "2023-01-01"], "--from: from (2023-05-01) is after to (2023-01-01)"),
    ],
)
def test_bad_parameters_are_one_line_errors(index_dir, capsys, args, message):
    assert main(["search", "x", *args, "--index", str(index_dir)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("dateline search: " + message) and err.count("\n") == 1


def test_unparseable_dates_are_rejected_by_the_parser(index_dir, capsys):
    with pytest.raises(SystemExit):
        main(["search", "x", "--from", "yesterday", "--index", str(index_dir)])
    assert "not a day" in capsys.readouterr().err


@pytest.mark.parametrize("query", ['place:""', 'person:" "', 'source:""', "person:-"])
def test_an_empty_facet_value_is_an_answer_not_a_traceback(index_dir, capsys, query):
    assert main(["search", query, "--json", "--index", str(index_dir)]) == 0
    assert "total" in orjson.loads(capsys.readouterr().out)


def test_undated_counts_and_lists_the_articles_without_a_date(index_dir, capsys):
    assert main(["search", "rocket", "--index", str(index_dir)]) == 0
    assert "undated: 1 (--undated lists them)" in capsys.readouterr().out
    assert main(["search", "rocket", "--undated", "--json", "--index", str(index_dir)]) == 0
    data = orjson.loads(capsys.readouterr().out)
    assert [hit["id"] for hit in data["results"]] == ["a7"] and data["dates"]["undated"] == 1
    assert main(["search", "rocket", "--undated", "--from", "2023-01-01", "--index", str(index_dir)]) == 1
    assert capsys.readouterr().err.startswith(
        "dateline search: --undated: undated (articles without a date) cannot be combined with from or to"
    )


def test_undecodable_bytes_in_a_long_question_are_an_answer_not_a_traceback(index_dir, capsys):
    # Bytes that are not UTF-8 on a command line reach Python as lone surrogates; read as any word,
    # the question's words are tagged (search.query.content_words), which must not fail on them.
    question = "\udcff which rockets hit the harbour while nobody was looking"
    assert main(["search", *question.split(), "--json", "--index", str(index_dir)]) == 0
    data = orjson.loads(capsys.readouterr().out)
    assert data["total"] >= 1 and "any of them" in data["notice"]
    assert data["query"].startswith("\ufffd which")  # the undecodable byte, as a web request would show it
