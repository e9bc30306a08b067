"""How hits are ranked: the BM25F weighting, and when words typed side by side are read as
alternatives. (The text fields and their weights are the schema's, search.index.schema; the
free-text "any words" query is search.query.natural; the proximity bonus that reorders the best
hits is search.engine.proximity; the feedback that rescores a long question's matches by the
words of its best hits is search.engine.feedback.)

The searcher asks for every word first; when that finds fewer than ANY_WORD_BELOW articles,
it falls back to the any-words query, which ORs the analyzed words over the text fields so that
documents matching more (and rarer) words rank first. The parameters were tuned on the TIME
test collection (bench/relevance.py prints the figures and the grid).
"""

from __future__ import annotations

from math import log

from whoosh.scoring import BM25F, WeightingModel

# Words typed side by side must all match; when that finds fewer articles than this (a
# page), the words are read as alternatives, ranked by BM25F alone: articles with all
# the words usually still lead, and a long natural-language question (where no article
# has every word) still finds what it asks about. bench/relevance.py measures it.
ANY_WORD_BELOW = 10

# Tuned on TIME (body only; bench/relevance.py --grid). MAP stays within 0.01 for
# K1 1.2-2.4 and B 0.6-0.9; K1=1.5, B=0.75 sits in the middle of that plateau (and
# is the textbook Okapi setting), so no single query decides it. The IDF below is
# worth more than any of it (+0.026 MAP over Whoosh's own at the same K1 and B).
K1 = 1.5
B = 0.75
# Titles and subtitles are short and of similar length: normalising their length
# would punish a long headline for being long, so they get less of it. (TIME has
# no titles: this is a judgement, not a measurement.)
TITLE_B = 0.5
SUBTITLE_B = 0.5
# Words typed side by side that stand side by side: search.engine.proximity reranks the best
# hits (an earlier try, extra phrase clauses in this query, peaked too narrowly on TIME to trust).

# Not used: Whoosh's coordination bonus (Or(..., scale=s)) adds a per-matched-word constant that
# ignores how rare the words are. It lowered MAP to 0.694 for any s before question words were
# weighed (search.query.content_words); with them it gives 0.723 for s = 0.5 and 0.9 against
# 0.7186 (bench/relevance.py --grid, grid 2): two settings seen after the fact, not adopted.


class NewsBM25F(BM25F):
    """Whoosh's BM25F with the Robertson/Lucene IDF, log(1 + (N - df + 0.5) / (df + 0.5)).

    Whoosh's own IDF, log(N / (df + 1)) + 1, adds 1 to every term, so a word in
    half the archive still weighs a sizeable fraction of a rare name; with
    long natural-language queries that lets common words drown the rare ones.
    """

    def idf(self, searcher, fieldname, text):
        parent = searcher.get_parent()
        df = parent.doc_frequency(fieldname, text)
        n = parent.doc_count_all()
        return log(1.0 + (n - df + 0.5) / (df + 0.5))


def weighting() -> WeightingModel:
    """The weighting model every product search uses."""
    return NewsBM25F(B=B, K1=K1, title_B=TITLE_B, subtitle_B=SUBTITLE_B)
