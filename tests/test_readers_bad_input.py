"""Bad input never stops a read: each problem is reported with its path and reason, the rest is read."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from search.article import Article, Problem
from search.readers import ReadOptions, ReadReport, read_corpus

GOOD_PAGE = (
    " date 2022-08-14     বাংলা\n\n    Floodwater recedes in Sunamganj\n\n"
    "    Thousands return home as rivers fall\n\n    Staff Correspondent\n"
    "    Published : 14 August 2022, 09:30 AM\n\n    Water levels fell on Sunday.\n\n"
    "    Schools will reopen next week.\n"
)


def corpus_with(tmp_path: Path, name: str, content: bytes | None = None) -> tuple[Path, Path]:
    """A corpus folder holding one good page and one bad entry `name`."""
    folder = tmp_path / "corpus"
    folder.mkdir(exist_ok=True)
    (folder / "good.txt").write_text(GOOD_PAGE, encoding="utf-8")
    bad = folder / name
    if content is not None:
        bad.write_bytes(content)
    return folder, bad


def read(*paths, options: ReadOptions | None = None) -> tuple[list[Article], list[Problem]]:
    items = list(read_corpus(paths, options))
    return [i for i in items if isinstance(i, Article)], [i for i in items if isinstance(i, Problem)]


def assert_good_page_read(articles: list[Article]) -> None:
    assert [a.title for a in articles] == ["Floodwater recedes in Sunamganj"]
    assert articles[0].published.isoformat() == "2022-08-14T09:30:00+06:00"


def test_empty_file(tmp_path):
    folder, bad = corpus_with(tmp_path, "empty.txt", b"")
    articles, problems = read(folder)
    assert_good_page_read(articles)
    assert [(p.path, p.reason, p.severity) for p in problems] == [(str(bad), "empty file", "error")]


def test_blank_only_file(tmp_path):
    folder, bad = corpus_with(tmp_path, "blank.txt", b"\n \n\t\n")
    articles, problems = read(folder)
    assert_good_page_read(articles)
    assert [(p.path, p.reason) for p in problems] == [(str(bad), "no text (only blank space)")]


def test_binary_file(tmp_path):
    folder, bad = corpus_with(tmp_path, "image.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    articles, problems = read(folder)
    assert_good_page_read(articles)
    assert [(p.path, p.reason) for p in problems] == [(str(bad), "binary file, not text; not read")]


def test_unsupported_format_is_skipped_with_a_warning(tmp_path):
    folder, bad = corpus_with(tmp_path, "sheet.xlsx", b"PK\x03\x04 not really a workbook")
    articles, problems = read(folder)
    assert_good_page_read(articles)
    assert [(p.path, p.severity) for p in problems] == [(str(bad), "warning")]
    assert "Excel workbook" in problems[0].reason


def test_meta_files_are_skipped_quietly(tmp_path):
    folder, _ = corpus_with(tmp_path, "README.txt", b"About this corpus\n\nIt holds one page.\n")
    for name in ("SOURCE.md", "LICENSE", "gold.jsonl", ".hidden.txt"):
        (folder / name).write_text("Not an article\n\nat all\n", encoding="utf-8")
    articles, problems = read(folder)
    assert_good_page_read(articles)
    assert problems == []
    # named explicitly, a meta-looking file is read
    explicit, _ = read(folder / "README.txt")
    assert [a.title for a in explicit] == ["About this corpus"]


def test_truncated_jsonl(tmp_path):
    content = (
        b'{"title": "Osaka heat record", "body": ["Osaka hit 39C."]}\n'
        b'{"title": "Cut here", "body": ["This line never en'
    )
    folder, bad = corpus_with(tmp_path, "feed.jsonl", content)
    articles, problems = read(folder)
    assert [a.title for a in articles] == ["Osaka heat record", "Floodwater recedes in Sunamganj"]
    assert [(p.path, p.record) for p in problems] == [(str(bad), 2)]
    assert "not valid JSON" in problems[0].reason and "truncated" in problems[0].reason


def test_jsonl_bad_lines_do_not_stop_the_file(tmp_path):
    content = b'[1, 2]\n{"title": 5, "body": "Text only."}\nnot json\n{"title": "Last", "published": "soon"}\n'
    folder, bad = corpus_with(tmp_path, "feed.jsonl", content)
    articles, problems = read(folder)
    assert [a.title for a in articles] == ["Text only.", "Last", "Floodwater recedes in Sunamganj"]
    assert articles[1].published is None
    assert [(p.record, p.severity) for p in problems] == [
        (1, "error"),
        (2, "warning"),
        (2, "warning"),
        (3, "error"),
        (4, "warning"),
    ]
    assert problems[0].reason == "line 1 is a JSON list, not an object"
    assert problems[4].reason == "unreadable published date 'soon'; left empty"


def test_truncated_sgml(tmp_path):
    content = (
        b'<!DOCTYPE lewis SYSTEM "lewis.dtd">\n<REUTERS NEWID="1">\n<DATE>2-MAR-1987 10:00:00.00</DATE>\n'
        b"<TEXT>&#2;\n<TITLE>WHOLE STORY</TITLE>\n<BODY>Complete.\n Reuter\n&#3;</BODY></TEXT>\n</REUTERS>\n"
        b'<REUTERS NEWID="2">\n<DATE>2-MAR-1987 11:00:00.00</DATE>\n<TEXT>&#2;\n<TITLE>HALF STO'
    )
    folder, bad = corpus_with(tmp_path, "reut2-500.sgm", content)
    articles, problems = read(folder)
    assert [a.title for a in articles] == ["Floodwater recedes in Sunamganj", "WHOLE STORY", "HALF STO"]
    assert articles[1].body == ("Complete.",)
    assert [(p.path, p.record, p.severity) for p in problems] == [(str(bad), 2, "error")]


def test_sgml_with_no_stories(tmp_path):
    folder, bad = corpus_with(tmp_path, "empty.sgm", b'<!DOCTYPE lewis SYSTEM "lewis.dtd">\n')
    articles, problems = read(folder)
    assert_good_page_read(articles)
    assert [(p.path, p.reason) for p in problems] == [
        (str(bad), "no <REUTERS> stories found (not Reuters-21578 SGML?)")
    ]


def test_mis_encoded_file(tmp_path):
    page = GOOD_PAGE.replace("Floodwater recedes in Sunamganj", "Café owners in Dhaka count losses")
    folder, bad = corpus_with(tmp_path, "latin.txt", page.replace("বাংলা", "").encode("cp1252"))
    articles, problems = read(folder)
    assert [a.title for a in articles] == ["Floodwater recedes in Sunamganj", "Café owners in Dhaka count losses"]
    assert [(p.path, p.severity) for p in problems] == [(str(bad), "warning")]
    assert problems[0].reason == "not valid UTF-8 (byte 0xE9 at offset 30); read as Windows-1252"


def test_mojibake_is_repaired(tmp_path):
    page = GOOD_PAGE.replace("Water levels fell on Sunday.", "“Let’s go home,” one farmer said.")
    import ftfy.bad_codecs  # noqa: F401 - registers "sloppy-windows-1252", how such mojibake is made

    folder, bad = corpus_with(
        tmp_path, "mojibake.txt", page.encode("utf-8").decode("sloppy-windows-1252").encode("utf-8")
    )
    assert "â€™" in bad.read_text("utf-8")
    articles, _ = read(bad)
    assert articles[0].body[0] == "“Let’s go home,” one farmer said."


def test_oversized_file(tmp_path):
    folder, bad = corpus_with(tmp_path, "big.jsonl", b'{"title": "x", "body": ["' + b"y" * 5000 + b'"]}\n')
    articles, problems = read(folder, options=ReadOptions(max_file_bytes=4096))
    assert_good_page_read(articles)
    assert [p.path for p in problems] == [str(bad)]
    assert problems[0].reason.startswith("file too large: 5,029 bytes, over the limit of 4,096")


def test_record_without_title_is_kept_with_a_derived_title(tmp_path):
    folder, bad = corpus_with(
        tmp_path, "feed.jsonl", b'{"body": ["Rain flooded Lima on Monday. More is due."]}\n{"body": []}\n'
    )
    articles, problems = read(folder)
    assert [a.title for a in articles] == ["Rain flooded Lima on Monday.", "Floodwater recedes in Sunamganj"]
    assert [(p.record, p.severity, p.reason) for p in problems] == [
        (1, "warning", "no title; title taken from the first sentence of the body"),
        (2, "error", "no title and no body text; record skipped"),
    ]


def test_unparseable_date_keeps_the_article(tmp_path):
    folder, bad = corpus_with(
        tmp_path, "odd-date.txt", GOOD_PAGE.replace("14 August 2022, 09:30 AM", "the 32nd of Smarch").encode()
    )
    articles, problems = read(folder)
    assert [a.published for a in articles][1:] == [None]
    assert articles[1].title == "Floodwater recedes in Sunamganj"
    assert [(p.path, p.severity, p.reason) for p in problems] == [
        (str(bad), "warning", "unreadable published date 'the 32nd of Smarch'; left empty")
    ]


def test_directory_loop_via_symlink(tmp_path):
    folder, _ = corpus_with(tmp_path, "sub")
    (folder / "sub").mkdir()
    (folder / "sub" / "loop").symlink_to(folder, target_is_directory=True)
    (folder / "alias").symlink_to(folder / "sub", target_is_directory=True)  # reached twice, read once
    articles, problems = read(folder)
    assert_good_page_read(articles)
    # "alias" sorts first, so the loop is met (and reported) under it; sub/ is not read again
    assert [(p.path, p.severity) for p in problems] == [(str(folder / "alias" / "loop"), "warning")]
    assert problems[0].reason == f"directory loop: leads back to {folder}; not followed"


def test_missing_path(tmp_path):
    folder, _ = corpus_with(tmp_path, "x")
    articles, problems = read(tmp_path / "nowhere", folder)
    assert_good_page_read(articles)
    assert [(p.path, p.reason) for p in problems] == [(str(tmp_path / "nowhere"), "no such file or directory")]


def test_broken_symlink(tmp_path):
    folder, bad = corpus_with(tmp_path, "dangling.txt")
    bad.symlink_to(tmp_path / "gone.txt")
    articles, problems = read(folder)
    assert_good_page_read(articles)
    assert [(p.path, p.reason) for p in problems] == [
        (str(bad), f"broken symbolic link (points to {tmp_path / 'gone.txt'})")
    ]


def test_fifo_is_not_opened(tmp_path):
    folder, bad = corpus_with(tmp_path, "pipe.txt")
    os.mkfifo(bad)
    articles, problems = read(folder)  # opening a FIFO would block forever
    assert_good_page_read(articles)
    assert [(p.path, p.reason) for p in problems] == [(str(bad), "skipped: a FIFO (named pipe), not a file")]


@pytest.mark.skipif(
    os.geteuid() == 0,
    reason="running as root: chmod 000 does not stop root reading; "
    "unreadable paths are covered by the FIFO and broken-link tests",
)
def test_permission_denied(tmp_path):
    folder, bad = corpus_with(tmp_path, "secret.txt", GOOD_PAGE.encode())
    locked = folder / "locked"
    locked.mkdir()
    bad.chmod(0)
    locked.chmod(0)
    try:
        articles, problems = read(folder)
    finally:
        bad.chmod(0o644)
        locked.chmod(0o755)
    assert_good_page_read(articles)
    assert sorted((p.path, p.reason) for p in problems) == [
        (str(locked), "permission denied (cannot list the directory)"),
        (str(bad), "permission denied"),
    ]


def test_a_reader_crash_is_contained(tmp_path, monkeypatch):
    import search.readers as readers

    def broken(*args, **kwargs):
        raise RuntimeError("boom")
        yield  # pragma: no cover

    folder, bad = corpus_with(tmp_path, "feed.jsonl", b'{"title": "t", "body": ["b"]}\n')
    monkeypatch.setattr(readers, "read_jsonl", broken)
    articles, problems = read(folder)
    assert_good_page_read(articles)
    assert [(p.path, p.reason) for p in problems] == [(str(bad), "could not be read (RuntimeError: boom)")]


def test_everything_at_once_is_counted(tmp_path):
    folder, _ = corpus_with(tmp_path, "empty.txt", b"")
    (folder / "bin.txt").write_bytes(b"\x00\x01\x02")
    (folder / "loop").symlink_to(folder, target_is_directory=True)
    report = ReadReport()
    list(report.track(read_corpus([folder, tmp_path / "missing"])))
    assert (report.articles, report.errors, report.warnings) == (1, 3, 1)


def test_permission_denied_reported_even_as_root(tmp_path, monkeypatch):
    """Root reads through chmod 000, so the refusal is simulated where the readers meet it."""
    import pathlib

    folder, bad = corpus_with(tmp_path, "secret.txt", GOOD_PAGE.encode())
    locked = folder / "locked"
    locked.mkdir()
    real_open, real_scandir = pathlib.Path.open, os.scandir

    def refusing_open(self, *args, **kwargs):
        if self == bad:
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)

    def refusing_scandir(path="."):
        if Path(path) == locked:
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(pathlib.Path, "open", refusing_open)
    monkeypatch.setattr(os, "scandir", refusing_scandir)
    articles, problems = read(folder)
    assert_good_page_read(articles)
    assert [(p.path, p.reason) for p in problems] == [
        (str(locked), "permission denied (cannot list the directory)"),
        (str(bad), "permission denied"),
    ]


def test_json_array_and_html_are_reported(tmp_path):
    folder, array = corpus_with(tmp_path, "export.json", b'[{"title": "a"}]')
    (folder / "page.html").write_bytes(b"<!DOCTYPE html><html><title>x</title></html>")
    articles, problems = read(folder)
    assert_good_page_read(articles)
    assert [(p.path, p.severity) for p in problems] == [(str(array), "error"), (str(folder / "page.html"), "warning")]
    assert "JSON Lines" in problems[0].reason and "HTML page" in problems[1].reason
