"""Hostile corpora (issue 10): one bad file or record costs at most itself, is reported with its
path, record and reason, and the run goes on; reading any file takes bounded memory; nothing is
silent and nothing is deleted unasked. Real files on disk, the real readers and the real CLI."""

from __future__ import annotations

import bz2
import gzip
import lzma
import os
import tracemalloc
from pathlib import Path

import orjson
import pytest
import zstandard

from helpers import write_jsonl
from search.article import Article, Problem
from search.cli import main
from search.engine.searcher import Searcher
from search.index import store as index_store
from search.index.indexer import load_manifest
from search.readers import ReadOptions, read_corpus

GOOD = [
    {
        "id": "g1",
        "title": "Harbour reopens after storm",
        "source": "Dateline Wire",
        "published": "2021-03-04T09:00:00+06:00",
        "body": ["The port of Mongla reopened on Thursday."],
    },
    {
        "id": "g2",
        "title": "Rice prices ease in Dhaka",
        "source": "Dateline Wire",
        "published": "2021-03-05T09:00:00+06:00",
        "body": ["Coarse rice fell by two taka a kilogram."],
    },
]


def split(items) -> tuple[list[Article], list[Problem]]:
    items = list(items)
    return [i for i in items if isinstance(i, Article)], [i for i in items if isinstance(i, Problem)]


def reindex_cli(capsys, corpus: Path, index_dir: Path, *extra: str) -> tuple[int, str, str]:
    status = main(["reindex", "--corpus", str(corpus), "--index", str(index_dir), "--workers", "1", *extra])
    out, err = capsys.readouterr()
    return status, out, err


def live_ids(index_dir: Path) -> set[str]:
    ix = index_store.open_live_index(index_dir)
    with ix.searcher() as searcher:
        return {doc["id"] for doc in searcher.all_stored_fields()}


# --- 1. one bad file or record never aborts the reindex ------------------------------------


def test_a_file_name_that_is_not_utf8_is_indexed_and_every_later_run_works(tmp_path, capsys):
    corpus = tmp_path / "c"
    write_jsonl(corpus / "good.jsonl", GOOD)
    bad_name = os.path.join(os.fsencode(corpus), b"bad-\xff.txt")
    with open(bad_name, "wb") as file:
        file.write(b"T\n\nBody.\n")
    index_dir = tmp_path / "index"

    for run in range(2):
        status, out, err = reindex_cli(capsys, corpus, index_dir)
        assert status == 0, err
        assert ("3 read, 3 added" if run == 0 else "3 read, 0 added, 0 updated, 0 removed, 3 unchanged") in out
        assert not list(index_dir.rglob("*.tmp")), "no temporary manifest left behind"
    live = index_store.current_generation(index_dir)
    manifest, fresh = load_manifest(live)
    assert fresh and os.fsdecode(bad_name) in {a.path for a in manifest.values()}  # the exact name, bytes and all
    ix = index_store.open_live_index(index_dir)
    with ix.searcher() as searcher:
        stored = next(d for d in searcher.all_stored_fields() if d["title"] == "T")
    stored["id"].encode("utf-8")  # a plain string the web can route
    with Searcher.open(index_dir) as searcher:
        view = searcher.article(stored["id"])
    assert view.origin.endswith("bad-\\xff.txt (line 1)")  # shown escaped
    orjson.dumps(view.to_dict())  # the article's JSON can be written


def test_an_article_of_20_mb_is_indexed_cut_to_the_limit_with_a_warning(tmp_path, capsys):
    corpus = tmp_path / "c"
    huge_body = "Floodwater rose again in Sylhet. " * 650_000  # ~21 MB, one paragraph
    write_jsonl(
        corpus / "a.jsonl", [GOOD[0], {"id": "huge", "title": "A very long report", "body": huge_body}, GOOD[1]]
    )
    story = "Grain exports rose in March. " * 650_000
    (corpus / "reut2-cut.sgm").write_text(
        '<REUTERS NEWID="7"><DATE>26-FEB-1987 15:01:01.79</DATE><TEXT><TITLE>Long wire</TITLE><BODY>' + story
    )
    index_dir = tmp_path / "index"

    status, out, err = reindex_cli(capsys, corpus, index_dir)

    assert status == 0, err
    assert "4 read, 4 added" in out
    assert out.count("longer than 5,000,000 characters") == 2
    assert "a.jsonl (record 2)" in out and "reut2-cut.sgm (record 1)" in out
    ix = index_store.open_live_index(index_dir)
    with ix.searcher() as searcher:
        huge = searcher.document(id="huge")
    assert 4_900_000 < len(huge["body"]) <= 5_000_000


@pytest.mark.parametrize("date", ["0001-01-01T00:00:00+06:00", "9999-12-31T23:59:59-12:00", "1 January 0001 12:00 AM"])
def test_a_date_with_no_utc_time_costs_only_that_date(tmp_path, date):
    # No id: the article id is then made from the title and the publication minute in UTC.
    undated = {key: value for key, value in GOOD[1].items() if key != "id"}
    path = write_jsonl(
        tmp_path / "dates.jsonl",
        [GOOD[0], {**undated, "published": date}, {**GOOD[1], "id": "g3", "title": "Later record"}],
    )
    articles, problems = split(read_corpus([path]))
    assert [a.id for a in articles][::2] == ["g1", "g3"] and len(articles) == 3
    assert articles[1].published is None
    assert [(p.record, p.severity) for p in problems] == [(2, "warning")]
    assert date in problems[0].reason


def test_a_reuters_date_with_no_utc_time_costs_only_that_date(tmp_path):
    path = tmp_path / "reut2-x.sgm"
    path.write_text(
        '<REUTERS NEWID="1"><DATE>31-DEC-9999 23:59:59.00</DATE><TEXT><TITLE>A</TITLE>'
        '<BODY>First.</BODY></TEXT></REUTERS>\n<REUTERS NEWID="2"><DATE>26-FEB-1987 15:01:01.79</DATE>'
        "<TEXT><TITLE>B</TITLE><BODY>Second.</BODY></TEXT></REUTERS>\n"
    )
    articles, problems = split(read_corpus([path]))
    assert [(a.title, a.published is None) for a in articles] == [("A", True), ("B", False)]
    assert [p.record for p in problems] == [1]


def test_a_nul_byte_costs_one_jsonl_record_or_csv_row_not_the_file(tmp_path):
    lines = [orjson.dumps(GOOD[0]), b'{"title": "Damaged\x00 record", "body": "x"}', orjson.dumps(GOOD[1])]
    jsonl = tmp_path / "a.jsonl"
    jsonl.write_bytes(b"\n".join(lines) + b"\n")
    csv_file = tmp_path / "b.csv"
    csv_file.write_bytes(b"title,content\nFirst row,Text one.\nBroken\x00 row,Text two.\nThird row,Text three.\n")
    articles, problems = split(read_corpus([tmp_path]))
    assert sorted(a.title for a in articles) == sorted([GOOD[0]["title"], GOOD[1]["title"], "First row", "Third row"])
    assert sorted((Path(p.path).name, p.record) for p in problems) == [("a.jsonl", 2), ("b.csv", 2)]
    # A file that really is binary is still refused whole.
    (tmp_path / "c.jsonl").write_bytes(gzip.compress(b'{"title": "x"}\n' * 2000))
    _, problems = split(read_corpus([tmp_path / "c.jsonl"]))
    assert [p.reason for p in problems] == ["binary file, not text; not read"]


# --- 2. memory is bounded ----------------------------------------------------------------


def _peak_while_reading(path: Path, options: ReadOptions) -> tuple[list[Article], list[Problem], int]:
    tracemalloc.start()
    try:
        articles, problems = split(read_corpus([path], options))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return articles, problems, peak


LIMIT = ReadOptions(max_record_bytes=1024 * 1024)  # 1 MB records: the bound, scaled down for a test


def test_a_jsonl_line_over_the_record_limit_is_skipped_and_never_held_whole(tmp_path):
    path = tmp_path / "one-line.jsonl"
    with path.open("wb") as file:
        file.write(orjson.dumps(GOOD[0]) + b"\n")
        file.write(b'{"title": "Endless", "body": "' + b"word " * 6_000_000 + b'"}\n')  # 30 MB
        file.write(orjson.dumps(GOOD[1]) + b"\n")
    articles, problems, peak = _peak_while_reading(path, LIMIT)
    assert [a.id for a in articles] == ["g1", "g2"]
    assert [(p.record, p.severity) for p in problems] == [(2, "warning")]
    assert "over 1,048,576 bytes" in problems[0].reason
    assert peak < 8 * 1024 * 1024, f"reading held {peak:,} bytes"


def test_a_csv_row_over_the_record_limit_is_skipped_others_kept(tmp_path):
    path = tmp_path / "big.csv"
    with path.open("wb") as file:
        file.write(b"title,content\nFirst row,Text one.\n")
        file.write(b"Huge row," + b"x" * 30_000_000 + b"\n")
        file.write(b"Third row,Text three.\n")
    articles, problems, peak = _peak_while_reading(path, LIMIT)
    assert [a.title for a in articles] == ["First row", "Third row"]
    assert [(p.record, p.severity) for p in problems] == [(2, "warning")]
    assert peak < 8 * 1024 * 1024, f"reading held {peak:,} bytes"


def test_an_unterminated_sgml_story_over_the_limit_is_skipped_in_bounded_memory(tmp_path):
    path = tmp_path / "reut2-cut.sgm"
    with path.open("wb") as file:
        file.write(
            b'<REUTERS NEWID="1"><DATE>26-FEB-1987 15:01:01.79</DATE><TEXT><TITLE>Fine</TITLE>'
            b"<BODY>Short.</BODY></TEXT></REUTERS>\n"
        )
        file.write(b'<REUTERS NEWID="2"><DATE>26-FEB-1987 15:01:01.79</DATE><TEXT><TITLE>Cut</TITLE><BODY>')
        file.write(b"Grain exports rose. " * 1_500_000)  # 30 MB, never closed
    articles, problems, peak = _peak_while_reading(path, LIMIT)
    assert [a.title for a in articles] == ["Fine"]
    assert [(p.record, p.severity) for p in problems] == [(2, "warning")]
    assert "the file ends inside it" in problems[0].reason
    assert peak < 8 * 1024 * 1024, f"reading held {peak:,} bytes"


def test_a_one_article_text_file_over_the_limit_is_skipped_with_a_warning(tmp_path):
    path = tmp_path / "huge.txt"
    path.write_bytes(b"Title\n\n" + b"Body text. " * 200_000)
    articles, problems, _ = _peak_while_reading(path, LIMIT)
    assert articles == [] and [p.severity for p in problems] == ["warning"]


# --- compressed files ----------------------------------------------------------------------


def test_compressed_files_are_read_streaming_in_every_format(tmp_path):
    data = b"".join(orjson.dumps(r) + b"\n" for r in GOOD)
    (tmp_path / "a.jsonl.gz").write_bytes(gzip.compress(data))
    (tmp_path / "b.jsonl.bz2").write_bytes(bz2.compress(data.replace(b'"g', b'"b')))
    (tmp_path / "c.jsonl.xz").write_bytes(lzma.compress(data.replace(b'"g', b'"x')))
    (tmp_path / "d.csv.zst").write_bytes(
        zstandard.ZstdCompressor().compress(
            b"url,title,content\nhttps://www.dhakatribune.com/a,Ferry resumes,Service resumed.\n"
        )
    )
    (tmp_path / "e.jsonl.gz").write_bytes(gzip.compress(data)[:-20])  # cut short
    articles, problems = split(read_corpus([tmp_path]))
    assert len(articles) == 7
    assert {"b1", "b2", "g1", "g2", "x1", "x2"} < {a.id for a in articles}
    assert [(a.title, a.source) for a in articles if a.url] == [("Ferry resumes", "Dhaka Tribune")]
    assert [Path(p.path).name for p in problems] == ["e.jsonl.gz"]


# --- 7. nothing silent, nothing deleted unasked ----------------------------------------------


def test_files_and_rows_that_give_nothing_are_each_reported(tmp_path):
    (tmp_path / "a-empty-row.csv").write_text("url,title,date,content\nhttps://x.org/1,,01 Apr 2024,\n")
    (tmp_path / "b-header-only.csv").write_text("url,title,date,content\n")
    (tmp_path / "c-blank.jsonl").write_text("   \n\n \t\n")
    (tmp_path / "d-one-byte.txt").write_bytes(b"x")
    _, problems = split(read_corpus([tmp_path]))
    assert sorted(Path(p.path).name for p in problems) == [
        "a-empty-row.csv",
        "b-header-only.csv",
        "c-blank.jsonl",
        "d-one-byte.txt",
    ]


def test_reindex_with_another_corpus_keeps_the_index_unless_told_to_prune(tmp_path, capsys):
    first, other = tmp_path / "first", tmp_path / "other"
    write_jsonl(first / "a.jsonl", GOOD)
    write_jsonl(other / "b.jsonl", [{**GOOD[0], "id": "o1"}])
    index_dir = tmp_path / "index"
    assert reindex_cli(capsys, first, index_dir)[0] == 0
    version = index_store.live_version(index_dir)

    for flags in ((), ("--full",)):
        status, out, err = reindex_cli(capsys, other, index_dir, *flags)
        assert status == 1
        assert err.count("\n") == 1 and "2 indexed articles come from files outside the corpus" in err
        assert str(first) in err and "--prune" in err
        assert index_store.live_version(index_dir) == version and live_ids(index_dir) == {"g1", "g2"}

    status, out, err = reindex_cli(capsys, other, index_dir, "--prune")
    assert status == 0, err
    assert "1 read, 1 added, 0 updated, 2 removed" in out
    assert live_ids(index_dir) == {"o1"}


def test_reindex_prints_file_names_escaped_one_problem_per_line(tmp_path, capsys):
    corpus = tmp_path / "c"
    write_jsonl(corpus / "good.jsonl", GOOD)
    (corpus / "evil\x1b[31m\nname.jsonl").write_text("not json\n")
    status, out, err = reindex_cli(capsys, corpus, tmp_path / "index")
    assert status == 0, err
    assert "\x1b" not in out + err
    line = next(line for line in out.splitlines() if "evil" in line)
    assert "evil\\x1b[31m\\x0aname.jsonl (record 1): line 1 is not valid JSON" in line


# --- 3. nested metadata ----------------------------------------------------------------------


def test_inspect_json_survives_metadata_nested_300_levels(tmp_path, capsys):
    nested = b'{"x": ' * 300 + b'"deep"' + b"}" * 300  # written by hand: JSON writers stop at ~250 levels
    path = tmp_path / "nested.jsonl"
    path.write_bytes(orjson.dumps(GOOD[0])[:-1] + b', "metadata": ' + nested + b"}\n" + orjson.dumps(GOOD[1]) + b"\n")
    status = main(["inspect", "--json", str(path)])
    out, err = capsys.readouterr()
    assert status == 0, err
    records = [orjson.loads(line) for line in out.splitlines()]
    assert [r.get("id") for r in records if "problem" not in r] == ["g1", "g2"]
    assert any("nests deeper than" in r["problem"]["reason"] for r in records if "problem" in r)


# --- 9. progress that informs ------------------------------------------------------------------


def test_progress_on_a_terminal_shows_the_total_and_a_percentage_and_the_writing_step(tmp_path):
    import fcntl
    import pty
    import struct
    import subprocess
    import sys
    import termios

    from search.settings import PROJECT_ROOT

    corpus = tmp_path / "c"
    write_jsonl(corpus / "a.jsonl", GOOD)
    write_jsonl(corpus / "b.jsonl", [{**GOOD[0], "id": "b1"}])
    total = sum(p.stat().st_size for p in corpus.iterdir())
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 120, 0, 0))  # a terminal has a size
    command = "import sys; from search.cli import main; sys.exit(main(sys.argv[1:]))"
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            command,
            "reindex",
            "--corpus",
            str(corpus),
            "--index",
            str(tmp_path / "index"),
            "--workers",
            "1",
        ],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=slave,
        text=True,
    )
    os.close(slave)
    out, _ = process.communicate(timeout=300)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # the terminal is closed once the process is gone
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    terminal = b"".join(chunks).decode("utf-8", "replace")
    assert process.returncode == 0, terminal
    assert "reading 2 files" in terminal and "100%" in terminal
    assert f"{total}/{total}" in terminal  # the total, counted before reading
    assert "writing the index: 3 articles to add" in terminal  # no silent tail after the bar
    assert "3 read, 3 added" in out


def test_inspect_json_shows_a_non_utf8_file_name_escaped(tmp_path, capsys):
    with open(os.path.join(os.fsencode(tmp_path), b"bad-\xff.txt"), "wb") as file:
        file.write(b"T\n\nBody.\n")
    assert main(["inspect", "--json", str(tmp_path)]) == 0
    out, _ = capsys.readouterr()
    (record,) = [orjson.loads(line) for line in out.splitlines()]
    assert record["origin"]["path"].endswith("bad-\\xff.txt") and record["title"] == "T"


def test_a_million_bad_records_are_counted_exactly_but_kept_only_in_part(tmp_path, capsys):
    corpus = tmp_path / "c"
    corpus.mkdir()
    (corpus / "bad.jsonl").write_bytes(orjson.dumps(GOOD[0]) + b"\n" + b"not json\n" * 1500)
    status, out, err = reindex_cli(capsys, corpus, tmp_path / "index")
    assert status == 0, err
    assert "1 read, 1 added, 0 updated, 0 removed, 0 unchanged, 1500 skipped" in out
    assert "... and 1,480 more" in out  # 20 shown; the report itself keeps at most 1,000


def test_a_damaged_compressed_file_is_one_problem_naming_it(tmp_path):
    write_jsonl(tmp_path / "good.jsonl", GOOD)
    for name in ("a.jsonl.zst", "b.jsonl.gz", "c.csv.xz", "d.jsonl.bz2"):
        (tmp_path / name).write_bytes(b"not compressed at all\n" * 10)
    articles, problems = split(read_corpus([tmp_path]))
    assert [a.id for a in articles] == ["g1", "g2"]
    assert [(Path(p.path).name, p.reason.startswith("cannot read")) for p in problems] == [
        ("a.jsonl.zst", True),
        ("b.jsonl.gz", True),
        ("c.csv.xz", True),
        ("d.jsonl.bz2", True),
    ]


def test_inspect_text_escapes_file_names_like_reindex(tmp_path, capsys):
    with open(os.path.join(os.fsencode(tmp_path), b"bad-\xff.txt"), "wb") as file:
        file.write(b"T\n\nBody.\n")
    (tmp_path / "evil\x1b[31m\nname.jsonl").write_text("not json\n")
    assert main(["inspect", str(tmp_path)]) == 0
    out, _ = capsys.readouterr()
    assert "\x1b" not in out and "bad-\\xff.txt (line 1)" in out
    assert "evil\\x1b[31m\\x0aname.jsonl (record 1): line 1 is not valid JSON" in out
