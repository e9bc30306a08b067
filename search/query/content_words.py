"""Which words of a question name its subject, and which only phrase it.

A long question read as any of its words ("What issues are involved in the arrears of the United
Nations?") names its subject in nouns, names, adjectives and numbers; its verbs, adverbs and
function words mostly make it a question. BM25F weighs every word by its rarity alone, so a rare
verb weighs like a rare name. The any-words query (search.query.natural) gives each word that is
none of CONTENT the weight OTHER_WORD_WEIGHT (a content word weighs 1), as spaCy's part-of-speech
tagger reads the question in context: the tagger of the model installed for entities
(search.spacy_model), loaded on the first question, about 1.5 ms a question.

Measured on TIME's 83 questions (bench/relevance.py): against BM25F alone, weighing the other
words by any of 0.3 to 0.8 ranks three to five times as many queries better as worse (paired
randomisation p < 0.02 for each); 0.5, the even split, is shipped without choosing it on TIME
(MAP 0.7027 -> 0.7173, 21 queries better and 4 worse; with feedback, 0.7162 -> 0.7186).
"""

from __future__ import annotations

from collections.abc import Callable

from search import spacy_model

# Universal part-of-speech tags of the words that name a subject.
CONTENT = frozenset({"NOUN", "PROPN", "ADJ", "NUM"})
OTHER_WORD_WEIGHT = 0.5
# The tagger needs tok2vec, tagger and attribute_ruler (which maps tags to universal parts of speech).
_NOT_NEEDED = ("ner", "parser", "lemmatizer", "senter")


def term_weights(text: str, analyze: Callable[[str], list[str]], other: float = OTHER_WORD_WEIGHT) -> dict[str, float]:
    """Each index term of `text` (as `analyze` makes them from a word) with its weight: 1 where the
    word is a content word, `other` where it is not; a term written both ways counts as content."""
    weights: dict[str, float] = {}
    # spaCy takes only text that encodes as UTF-8: a lone surrogate (undecodable bytes of a command
    # line, kept by Python) becomes "?", which names no term; the words around it are tagged as typed.
    taggable = text.encode("utf-8", "replace").decode("utf-8")
    for token in spacy_model.load(_NOT_NEEDED)(taggable):
        weight = 1.0 if token.pos_ in CONTENT else other
        for term in analyze(token.text):
            weights[term] = max(weights.get(term, 0.0), weight)
    return weights
