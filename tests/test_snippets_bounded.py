"""Snippets of a huge article cost what the regions around its matches cost, not what the article does."""

from __future__ import annotations

from search.analysis import analyze, news_analyzer
from search.snippets import LOCATE_WINDOWS, SCAN_CHARS, snippets

FILLER = "Shipping volumes at the port were steady this week according to officials. "


class CountingAnalyzer:
    """The real analyzer, counting the characters it is given."""

    def __init__(self) -> None:
        self.analyzer = news_analyzer()
        self.characters = 0

    def term_spans(self, text: str, terms):
        self.characters += len(text)
        return self.analyzer.term_spans(text, terms)


def huge(middle: str = "", end: str = "") -> str:
    """About 10 MB of text with a sentence in its middle and one at its end."""
    half = FILLER * (5_000_000 // len(FILLER))
    return half + middle + half + end


def terms(query: str) -> set[str]:
    return set(analyze(query))


def test_a_word_near_the_start_reads_only_the_start():
    text = "The harbour strike began on Monday. " + huge()
    analyzer = CountingAnalyzer()
    found = snippets(text, terms("harbour strike"), analyzer)
    assert "<mark>harbour</mark>" in found[0] and "<mark>strike</mark>" in found[0]
    assert analyzer.characters <= SCAN_CHARS


def test_a_word_deep_inside_is_found_by_reading_around_it():
    text = huge(middle="Dockers in Zanzibar walked out. ")
    analyzer = CountingAnalyzer()
    found = snippets(text, terms("zanzibar"), analyzer)
    assert len(found) == 1 and "<mark>Zanzibar</mark>" in found[0] and "Dockers" in found[0]
    assert analyzer.characters <= SCAN_CHARS + LOCATE_WINDOWS * 1_000


def test_inflected_forms_deep_inside_are_found():
    text = huge(middle="Happiness returned as the ferries kept sailing. ")
    found = snippets(text, terms("happy ferry"), CountingAnalyzer())
    assert "<mark>Happiness</mark>" in found[0] and "<mark>ferries</mark>" in found[0]


def test_no_match_is_the_lead_at_a_bounded_cost():
    text = huge()
    analyzer = CountingAnalyzer()
    found = snippets(text, terms("zanzibar"), analyzer)
    assert found and found[0].startswith("Shipping volumes") and "<mark>" not in found[0]
    assert analyzer.characters <= SCAN_CHARS


def test_common_likely_words_read_a_bounded_number_of_windows():
    # "ship" begins many words that are not the stem "ship" (shipping): the search stops after a few windows.
    text = huge()
    analyzer = CountingAnalyzer()
    snippets(text, terms("shipment"), analyzer)
    assert analyzer.characters <= SCAN_CHARS + LOCATE_WINDOWS * 1_000


def test_term_spans_are_the_analyzers_character_spans():
    analyzer = news_analyzer()
    text = "The U.S. said Ukraine's ＯＩＬ exports, and the oil-price break-up, were flying; flies flew. US oil"
    wanted = {t.text for t in analyzer(text)}
    expected = [(t.startchar, t.endchar, t.text) for t in analyzer(text, chars=True)]
    assert list(analyzer.term_spans(text, wanted)) == expected
    assert list(analyzer.term_spans(text, {"oil"})) == [s for s in expected if s[2] == "oil"]
