"""The README's examples work: each query in its syntax table and each `dateline search` line
finds articles in the sample corpus (docs that drift from the product fail here)."""

from __future__ import annotations

import re
import shlex

import pytest

from search.cli import main
from search.engine.searcher import Searcher
from search.index.indexer import reindex
from search.results import SearchRequest
from search.settings import PROJECT_ROOT

README = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")


def syntax_examples() -> list[str]:
    section = README.split("### Query syntax", 1)[1].split("###", 1)[0]
    examples = []
    for row in section.splitlines():
        if row.startswith("| `"):
            first_cell = row.split(" | ", 1)[0]
            examples += [e for e in re.findall(r"`([^`]+)`", first_cell) if e not in ("( … )",)]
    return examples


def search_command_lines() -> list[list[str]]:
    lines = re.findall(r"^\.venv/bin/dateline (search .+)$", README, flags=re.MULTILINE)
    return [shlex.split(line.split("#", 1)[0]) for line in lines]


@pytest.fixture(scope="module")
def sample_index(tmp_path_factory):
    index_dir = tmp_path_factory.mktemp("readme") / "index"
    report = reindex([PROJECT_ROOT / "corpus"], index_dir, workers=1)
    assert report.added >= 20
    return index_dir


def test_the_readme_has_examples_to_check():
    assert len(syntax_examples()) >= 12
    assert len(search_command_lines()) >= 2


@pytest.mark.parametrize("query", syntax_examples())
def test_every_query_syntax_example_finds_articles(sample_index, query):
    with Searcher.open(sample_index) as searcher:
        result = searcher.search(SearchRequest(q=query))
    assert result.total > 0, f"README example {query!r} finds nothing in the sample corpus"
    assert result.notice is None or "plain words" not in result.notice


@pytest.mark.parametrize("argv", search_command_lines(), ids=lambda argv: " ".join(argv))
def test_every_search_command_in_the_readme_runs(sample_index, argv, capsys):
    assert main([*argv, "--index", str(sample_index)]) == 0
    out = capsys.readouterr().out
    assert "no articles found" not in out
    assert out.strip()
