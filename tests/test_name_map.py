"""The corpus-level name map on a real index: Reuters-21578 stories of 1987 that name Reagan or Baker,
indexed with the real spaCy model. The stories are a fixed selection of real data; the tests check
the rules (join, non-join, not a person, proportional reindex), not the size of any statistic.
"""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
import whoosh.index

from helpers import shared_path
from search.article import Article
from search.engine.searcher import Searcher
from search.entities.name_map import join_partial_names
from search.index import store
from search.index.indexer import reindex
from search.index.schema import stored_values
from search.readers import read_file
from search.results import SearchRequest

pytestmark = pytest.mark.shared

FILES = ("reut2-000.sgm", "reut2-001.sgm", "reut2-002.sgm", "reut2-003.sgm")


def _stories() -> list[Article]:
    stories = []
    for name in FILES:
        for item in read_file(shared_path("corpus", "reuters21578", name)):
            if isinstance(item, Article) and ("Reagan" in item.text or "Baker" in item.text):
                stories.append(item)
    return stories


def _write(path: Path, stories: list[Article]) -> None:
    path.write_bytes(
        b"".join(
            orjson.dumps(
                {
                    "id": s.id,
                    "title": s.title,
                    "body": list(s.body),
                    "source": s.source,
                    "published": s.published.isoformat() if s.published else None,
                }
            )
            + b"\n"
            for s in stories
        )
    )


@pytest.fixture(scope="module")
def indexed(tmp_path_factory):
    stories = _stories()
    root = tmp_path_factory.mktemp("names")
    corpus = root / "corpus.jsonl"
    _write(corpus, stories[1:])  # the first story is added later, incrementally
    report = reindex([corpus], root / "index", workers=1)
    assert report.added == len(stories) - 1
    return root, corpus, stories


def _stored_people(root: Path) -> dict[str, list[str]]:
    """id -> the people each article stores itself (before the corpus-level map), with its single
    names too weak to show alone."""
    ix = whoosh.index.open_dir(str(store.current_generation(root / "index").path))
    with ix.reader() as reader:
        return {
            fields["id"]: stored_values(fields, "person") + (fields.get("person_partial") or "").split("\n")
            for _, fields in reader.iter_docs()
        }


def _ids(searcher: Searcher, **selection) -> set[str]:
    """Every article the search finds: wire copies unfolded, so each one is listed."""
    selection["collapse"] = False
    result = searcher.search(SearchRequest(page_size=100, snippets=False, **selection))
    ids = {hit.id for hit in result.results}
    for page in range(2, result.pages + 1):
        ids |= {
            hit.id
            for hit in searcher.search(SearchRequest(page=page, page_size=100, snippets=False, **selection)).results
        }
    return ids


def _person_values(searcher: Searcher) -> dict[str, int]:
    result = searcher.search(SearchRequest(facet_limit=0, page_size=1, snippets=False))
    return {value.value: value.count for value in result.facets["person"]}


@pytest.mark.slow
def test_a_surname_joins_the_full_name_that_has_nearly_all_its_uses(indexed):
    root, _, _ = indexed
    searcher = Searcher.open(root / "index")
    stored = _stored_people(root)
    only_surname = {doc for doc, people in stored.items() if "Reagan" in people}
    named = {doc for doc, people in stored.items() if "Reagan" in people or "Ronald Reagan" in people}
    assert only_surname  # articles that say only "President Reagan"
    values = _person_values(searcher)
    assert "Reagan" not in values and values["Ronald Reagan"] == len(named)
    assert _ids(searcher, filters={"person": ("Ronald Reagan",)}) == named
    assert _ids(searcher, q='person:"Ronald Reagan"') == named
    assert _ids(searcher, q="person:Reagan") >= named  # the surname typed finds the same articles
    assert searcher.article(sorted(only_surname)[0]).people.count("Ronald Reagan") == 1


@pytest.mark.slow
def test_a_surname_shared_by_two_full_names_stays_apart(indexed):
    root, _, _ = indexed
    searcher = Searcher.open(root / "index")
    stored = _stored_people(root)
    values = _person_values(searcher)
    assert "James Baker" in values and "Howard Baker" in values
    assert "Baker" in values  # joined to neither
    only_surname = {
        doc for doc, people in stored.items() if "Baker" in people and not {"James Baker", "Howard Baker"} & set(people)
    }
    assert only_surname and not only_surname & _ids(searcher, filters={"person": ("James Baker",)})
    assert not only_surname & _ids(searcher, filters={"person": ("Howard Baker",)})


@pytest.mark.slow
def test_what_the_model_usually_calls_something_else_is_not_a_person(indexed):
    root, _, _ = indexed
    searcher = Searcher.open(root / "index")
    stored = _stored_people(root)
    assert any("White House" in people for people in stored.values())  # read as a person here and there
    assert "White House" not in _person_values(searcher)
    assert _ids(searcher, filters={"person": ("White House",)}) == set()


@pytest.mark.slow
def test_a_new_article_rewrites_no_unchanged_article(indexed):
    root, corpus, stories = indexed
    _write(corpus, stories)
    report = reindex([corpus], root / "index", workers=1)
    assert (report.added, report.updated, report.unchanged, report.extracted) == (1, 0, len(stories) - 1, 1)
    searcher = Searcher.open(root / "index")
    assert stories[0].id in _ids(searcher)


def test_join_needs_one_full_name_with_nearly_all_uses():
    # The rule itself, on counts: (name key -> articles of one year).
    assert join_partial_names({"reagan": 85, "ronald reagan": 24, "nancy reagan": 1})["reagan"] == "ronald reagan"
    assert join_partial_names({"baker": 13, "james baker": 19, "howard baker": 13})["baker"] == "baker"
    assert join_partial_names({"amm nasir": 2, "amm nasir uddin": 5})["amm nasir"] == "amm nasir uddin"


def test_a_stray_word_before_or_after_a_far_more_common_name_is_that_name():
    from search.entities.name_map import stray_word_variants

    counts = {
        "sheikh hasina": 50,
        "hpm sheikh hasina": 1,
        "donald trump": 100,
        "donald trump jr": 5,
        "george w bush": 40,
        "george w bush administration": 1,
        "abul kalam azad": 2,
        "kalam azad": 1,
    }
    assert stray_word_variants(counts) == {
        "hpm sheikh hasina": "sheikh hasina",
        "george w bush administration": "george w bush",
    }


def test_a_rival_named_once_or_twice_is_noise_not_a_rival():
    # Headlines read as names ("Blames Obama", "Watch Obama") must not keep "Obama" from Barack Obama;
    # two real full names still keep a surname apart.
    counts = {
        "obama": 70,
        "barack obama": 79,
        "michelle obama": 3,
        "blames obama": 1,
        "watch obama": 2,
        "slams obama": 1,
    }
    counts |= {"top obama": 1, "team obama": 2, "romney assails obama": 1, "romney hits obama": 1, "will obama": 2}
    assert join_partial_names(counts)["obama"] == "barack obama"
    assert (
        join_partial_names({"baker": 13, "james baker": 19, "howard baker": 13, "gimme baker": 1})["baker"] == "baker"
    )


def test_a_middle_initial_is_the_same_name_unless_initials_tell_people_apart():
    from search.entities.name_map import initial_variants

    counts = {"donald trump": 158, "donald j trump": 22, "george w bush": 30, "george h w bush": 3, "george bush": 40}
    assert initial_variants(counts) == {"donald j trump": "donald trump"}


def test_a_weak_mention_shows_only_as_the_full_name_it_joins():
    import numpy as np

    from search.entities.name_map import NameEvidence, canonical_people

    # Stored values: 0 "Donald Trump" in docs 0-3, 1 "Jamaat-e-Islami" (read as a person) in doc 4;
    # weak mentions: "Trump" in doc 5, "Jamaat-e-Islami" in doc 6, "Apple" in doc 7.
    labels = ["Donald Trump", "Jamaat-e-Islami"]
    doc_of = np.array([0, 1, 2, 3, 4], dtype=np.int32)
    value_of = np.array([0, 0, 0, 0, 1], dtype=np.int32)
    evidence = NameEvidence()
    for doc, weak in ((5, "Trump"), (6, "Jamaat-e-Islami"), (7, "Apple")):
        evidence.add_article(doc, None, weak)
    years = np.full(8, 2017, dtype=np.int64)
    new_labels, _, new_doc_of, new_value_of, _ = canonical_people(labels, doc_of, value_of, years, evidence)
    docs_of = {label: set(new_doc_of[new_value_of == i].tolist()) for i, label in enumerate(new_labels)}
    assert docs_of == {"Donald Trump": {0, 1, 2, 3, 5}, "Jamaat-e-Islami": {4}}


def test_a_middle_name_left_out_is_the_same_name():
    from search.entities.name_map import stray_word_variants

    counts = {"hillary clinton": 300, "hillary rodham clinton": 12, "donald trump": 900, "donald john trump": 3}
    counts |= {"donald trump jr": 40}  # his son, not a variant
    assert stray_word_variants(counts) == {
        "hillary rodham clinton": "hillary clinton",
        "donald john trump": "donald trump",
    }


def test_two_names_glued_together_are_two_people():
    import numpy as np

    from search.entities.name_map import NameEvidence, canonical_people, glued_names

    # AllSides: "Top aide to Donald Trump Kellyanne Conway told ..." (no comma between them).
    counts = {"donald trump": 900, "kellyanne conway": 40, "donald trump kellyanne conway": 1, "ray lee hunt": 3}
    counts |= {"ray": 50, "lee hunt": 1}
    assert glued_names(counts) == {"donald trump kellyanne conway": ("donald trump", "kellyanne conway")}
    labels = ["Donald Trump", "Kellyanne Conway", "Donald Trump Kellyanne Conway"]
    doc_of = np.arange(21, dtype=np.int32)  # ten articles each name one of them, one names both glued
    value_of = np.array([0] * 10 + [1] * 10 + [2], dtype=np.int32)
    years = np.full(21, 2017, dtype=np.int64)
    new_labels, _, new_doc_of, new_value_of, _ = canonical_people(labels, doc_of, value_of, years, NameEvidence())
    docs_of = {label: set(new_doc_of[new_value_of == i].tolist()) for i, label in enumerate(new_labels)}
    assert docs_of == {"Donald Trump": {*range(10), 20}, "Kellyanne Conway": {*range(10, 21)}}


def test_a_well_known_full_name_the_model_missed_shows_as_that_person():
    import numpy as np

    from search.entities.name_map import KNOWN_NAME_DOCS, NameEvidence, canonical_people

    # Stored: "Sheikh Hasina" named as a person in KNOWN_NAME_DOCS articles, "Rashed Khan" in two.
    # Weak (capitalised runs the model gave no span): "Sheikh Hasina" in the next article, "Rashed
    # Khan" and "Election Commission" in the one after it.
    labels = ["Sheikh Hasina", "Rashed Khan"]
    hasina_docs = list(range(KNOWN_NAME_DOCS))
    doc_of = np.array([*hasina_docs, KNOWN_NAME_DOCS, KNOWN_NAME_DOCS + 1], dtype=np.int32)
    value_of = np.array([0] * KNOWN_NAME_DOCS + [1, 1], dtype=np.int32)
    weak_hasina, weak_others = KNOWN_NAME_DOCS + 2, KNOWN_NAME_DOCS + 3
    evidence = NameEvidence()
    evidence.add_article(weak_hasina, None, "Sheikh Hasina")
    evidence.add_article(weak_others, None, "Rashed Khan\nElection Commission")
    years = np.full(weak_others + 1, 2025, dtype=np.int64)
    new_labels, _, new_doc_of, new_value_of, _ = canonical_people(labels, doc_of, value_of, years, evidence)
    docs_of = {label: set(new_doc_of[new_value_of == i].tolist()) for i, label in enumerate(new_labels)}
    assert docs_of == {
        "Sheikh Hasina": {*hasina_docs, weak_hasina},
        "Rashed Khan": {KNOWN_NAME_DOCS, KNOWN_NAME_DOCS + 1},
    }
    # Another year's articles are no evidence.
    years[:KNOWN_NAME_DOCS] = 2024
    new_labels, _, new_doc_of, new_value_of, _ = canonical_people(labels, doc_of, value_of, years, evidence)
    docs_of = {label: set(new_doc_of[new_value_of == i].tolist()) for i, label in enumerate(new_labels)}
    assert docs_of["Sheikh Hasina"] == set(hasina_docs)
