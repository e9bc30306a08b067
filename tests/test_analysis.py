"""The analyzer: NLTK spans, NFKC, case folding, stop words and Snowball stems, offsets into the text as written."""

from __future__ import annotations

import pickle

from nltk.stem.porter import PorterStemmer
from whoosh.highlight import ContextFragmenter, HtmlFormatter, highlight
from whoosh.index import create_in
from whoosh.qparser import QueryParser

from search.analysis import ENGLISH_STOP_WORDS, NewsTokenizer, TermNormalizer, analyze, news_analyzer
from search.article import Article, Entities, Origin
from search.index.schema import build_schema, to_document


def test_words_are_case_folded_stemmed_and_stop_words_dropped():
    assert analyze("The Rockets were FIRED at the Russians") == ["rocket", "fire", "russian"]
    assert analyze("rocket rockets Rocket's") == ["rocket", "rocket", "rocket"]


def test_offsets_point_at_the_words_as_written():
    text = "Ukrainian soldiers used\u00a0North\u00a0Korean\u00a0rockets."
    tokens = [(t.text, text[t.startchar : t.endchar]) for t in news_analyzer()(text, chars=True)]
    assert ("rocket", "rockets") in tokens
    assert ("korean", "Korean") in tokens  # a non-breaking space separates words like a space
    assert all(original.strip() == original for _, original in tokens)


def test_compatibility_forms_are_normalised_without_moving_offsets():
    text = "ﬁnancial ｍarkets"  # a ligature and a full-width letter (NFKC)
    tokens = [(t.text, t.startchar, t.endchar) for t in news_analyzer()(text, chars=True)]
    assert tokens == [("financi", 0, 8), ("market", 9, 16)]


def test_country_acronyms_are_one_term_and_never_stop_words():
    assert analyze("U.S. US U.S the U.N. UN ＵＳ") == ["us", "us", "us", "un", "un", "us"]
    assert analyze("tell us") == ["tell"]  # the pronoun stays a stop word
    assert "may" not in ENGLISH_STOP_WORDS and analyze("in May") == ["may"]


def test_stop_words_keep_their_positions_so_phrases_keep_gaps():
    tokens = [(t.text, t.pos) for t in news_analyzer()("bank of japan", positions=True)]
    assert tokens == [("bank", 0), ("japan", 2)]
    kept = [(t.text, t.stopped) for t in news_analyzer()("bank of japan", removestops=False)]
    assert kept == [("bank", False), ("of", True), ("japan", False)]


def test_term_positions_fast_path_matches_the_token_stream():
    text = "Russia's Defence Minister Sergei Shoigu visited Pyongyang; Shoigu met Kim Jong Un in the U.S. capital."
    analyzer = news_analyzer()
    expected: dict[str, list[int]] = {}
    for token in analyzer(text, positions=True):
        expected.setdefault(token.text, []).append(token.pos)
    assert analyzer.term_positions(text) == expected


def test_stems_are_cached_and_the_analyzer_survives_pickling():
    normalizer = TermNormalizer()
    assert normalizer("Running") == ("run", False)
    assert "Running" in normalizer._cache
    copy = pickle.loads(pickle.dumps(news_analyzer()))
    assert [t.text for t in copy("Running rockets")] == ["run", "rocket"]
    # The index's table of contents pickles the analyzer: Snowball's is stored as before, by its stop
    # words alone, so indexes built earlier open unchanged.
    assert news_analyzer().__getstate__() == {"stop_words": ENGLISH_STOP_WORDS}


def test_another_stemmer_is_kept_through_pickling():
    # bench/relevance.py compares stemmers on indexes it builds and reopens: the stemmer must survive.
    analyzer = NewsTokenizer(TermNormalizer(stem=PorterStemmer().stem))
    copy = pickle.loads(pickle.dumps(analyzer))
    assert [t.text for t in copy("generously")] == ["gener"]
    assert analyze("generously") == ["generous"]  # Snowball's stem differs


def test_highlights_mark_the_original_words_never_a_stem(tmp_path):
    article = Article(
        id="a1",
        title="Rockets",
        origin=Origin("test"),
        body=("Ukraine used North Korean rockets; one rocket missed the articles' target.",),
    )
    ix = create_in(tmp_path, build_schema())
    with ix.writer() as writer:
        writer.add_document(**to_document(article, Entities()))
    with ix.searcher() as searcher:
        query = QueryParser("body", ix.schema).parse("rockets")
        hit = searcher.search(query)[0]
        terms = {text for _, text in query.all_terms()}
        marked = highlight(
            hit["body"],
            terms,
            ix.schema["body"].analyzer,
            ContextFragmenter(),
            HtmlFormatter(tagname="mark", between=" … "),
        )
    assert ">rockets</mark>" in marked and ">rocket</mark>" in marked
    assert "articl" not in marked.replace("articles", "")
