"""The suggester's banded term scan finds exactly what Whoosh's terms_within finds, on a real index."""

from __future__ import annotations

import pytest

from helpers import shared_index
from search.engine.suggest import terms_within
from search.index.store import open_live_index


@pytest.mark.parametrize(
    "stem", ["quaysid", "quaysde", "rotterdm", "cargo", "carg", "shipp", "london", "dok", "thatcher", "x"]
)
@pytest.mark.parametrize("distance", [1, 2])
def test_the_same_terms_as_whoosh(stem, distance):
    with open_live_index(shared_index()).reader() as reader:
        for field in ("body", "title"):
            ours = sorted(terms_within(reader, field, stem, distance))
            whoosh = sorted(reader.terms_within(field, stem, distance, prefix=1))
            assert ours == whoosh
            assert sorted(terms_within(reader, field, stem, distance)) == ours  # cached the second time
