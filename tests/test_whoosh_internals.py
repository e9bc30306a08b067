"""The one module that touches Whoosh's private API: its version check and its readers."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from helpers import ARTICLES, index_articles, shared_path
from search.index.store import open_live_index
from search.index.whoosh_internals import WHOOSH_VERSION, check_whoosh_version
from search.index.whoosh_internals.reading import field_lengths, posting_blocks


def test_another_whoosh_version_is_refused_with_a_clear_message():
    check_whoosh_version(WHOOSH_VERSION)
    with pytest.raises(ImportError, match=r"Dateline needs Whoosh 2\.7\.4 .* but Whoosh 2\.7\.5 is installed"):
        check_whoosh_version((2, 7, 5))


def test_posting_blocks_and_field_lengths_agree_with_whooshs_public_api(tmp_path):
    # Every other article has a subtitle: the others have no length in that field.
    articles = [
        (replace(a, subtitle="A standfirst of six words here"), e) if i % 2 else (a, e)
        for i, (a, e) in enumerate(ARTICLES)
    ]
    ix = open_live_index(index_articles(tmp_path / "index", articles))
    with ix.searcher() as searcher:
        reader = searcher.reader()
        for fieldname, text in (("body", "rocket"), ("title", "launch"), ("place", "seoul")):
            blocks = list(posting_blocks(reader, fieldname, text, weights=True))
            ids = np.concatenate([b[0] for b in blocks]).tolist()
            weights = np.concatenate([b[1] for b in blocks]).tolist()
            public = reader.postings(fieldname, text)
            assert ids == list(public.all_ids())
            assert weights == [w for _, w in reader.postings(fieldname, text).items_as("weight")]
        assert type(reader._perdoc).__name__ == "W3PerDocReader"  # the path that reads a column at once
        for fieldname in ("body", "title", "subtitle"):
            lengths = field_lengths(reader, fieldname, default=1.0)
            expected = [reader.doc_field_length(d, fieldname) or 1.0 for d in range(reader.doc_count_all())]
            assert lengths.tolist() == expected, fieldname


def test_term_positions_and_weights_agree_with_whooshs_skip_to_across_blocks(tmp_path):
    """A term in 800 documents spans several posting blocks; asking for scattered ones (and some
    without the term) gives what Whoosh's public matcher gives, blocks found by their headers or
    by the term's block index."""
    from whoosh import fields, index

    from search.index.whoosh_internals.reading import block_index, term_positions, term_weights

    schema = fields.Schema(body=fields.TEXT(phrase=True))
    ix = index.create_in(str(tmp_path), schema)
    with ix.writer() as writer:
        for n in range(900):
            words = ["filler"] * (n % 7) + (["rocket", "launch"] if n % 9 else ["launch"]) + ["rocket"] * (n % 3)
            writer.add_document(body=" ".join(words))
    with ix.searcher() as searcher:
        reader = searcher.reader()
        wanted = sorted({0, 1, 9, 130, 131, 260, 261, 400, 513, 640, 641, 777, 899})
        expected = {}
        for docnum, positions in reader.postings("body", "rocket").items_as("positions"):
            if docnum in wanted:
                expected[docnum] = list(positions)
        assert len(expected) < len(wanted)  # some asked for do not have the word
        assert term_positions(reader, "body", "rocket", wanted) == expected
        weights = {d: w for d, w in reader.postings("body", "rocket").items_as("weight") if d in wanted}
        assert set(weights) == set(expected) and len(set(weights.values())) > 1
        blocks = block_index(reader, "body", "rocket")
        assert blocks is not None
        last_ids, offsets = blocks
        every = list(reader.postings("body", "rocket").all_ids())
        assert len(last_ids) == len(offsets) == -(-len(every) // 128) > 5  # Whoosh's blocks of 128
        assert last_ids.tolist() == [every[min(i + 127, len(every) - 1)] for i in range(0, len(every), 128)]
        assert term_weights(reader, "body", "rocket", wanted) == weights
        assert term_weights(reader, "body", "rocket", wanted, blocks) == weights
        assert term_positions(reader, "body", "rocket", wanted, blocks) == expected


@pytest.mark.parametrize("codec", ["whoosh", "dateline"])
def test_a_terms_postings_read_at_once_equal_whooshs_blocks_with_deletions(tmp_path, codec):
    """posting_blocks reads a term's blocks in one piece (ids and weights, not their positions): it
    gives every posting Whoosh's own block reading gives, the deleted documents' too (from the
    first, though deletions at the start move Whoosh's wrapped matcher past them), for terms whose
    weights Whoosh stores as one per posting, as one for all (every weight 1 or all equal) and for
    blocks of three postings or fewer (pickled without a MARK); blocks as Whoosh's codec writes
    them (zlib, protocol 2) or as Dateline's does (raw, protocol 3, which Whoosh reads too)."""
    from whoosh import fields, index

    from search.index.whoosh_internals.codec import BLOCK_PROTOCOL
    from search.index.whoosh_internals.reading import _leaf_postings, posting_blocks
    from search.index.writer import index_codec

    schema = fields.Schema(body=fields.TEXT(phrase=True))
    ix = index.create_in(str(tmp_path), schema)
    with ix.writer(**({"codec": index_codec()} if codec == "dateline" else {})) as writer:
        for n in range(900):
            words = ["rocket"] * (1 + n % 3) + ["launch"] + ["twice", "twice"] * (n % 2) + ["rare"] * (n in (5, 700))
            writer.add_document(body=" ".join(words))
    with ix.writer() as writer:  # deletions, several at the start of the postings
        for docnum in [*range(0, 300), 450, 899]:
            writer.delete_document(docnum)
    with ix.searcher() as searcher:
        reader = searcher.reader()
        assert reader.has_deletions()
        for text in ("rocket", "launch", "twice", "rare"):
            blocks = list(posting_blocks(reader, "body", text, weights=True))
            assert len(blocks) == 1, "one piece for the whole term"
            ids, weights = blocks[0]
            matcher = _leaf_postings(reader, "body", text)
            expected_ids, expected_weights = [], []
            while matcher.is_active():  # Whoosh's own block reading, from the first block
                matcher._read_ids()
                matcher._read_weights()
                expected_ids.extend(matcher._ids)
                expected_weights.extend(matcher._weights)
                matcher._next_block()
            assert ids.tolist() == expected_ids and weights.tolist() == expected_weights, text
            live = [d for d in ids.tolist() if not reader.is_deleted(d)]
            assert live == list(reader.postings("body", text).all_ids())
            assert 0 in ids.tolist() or text in ("twice", "rare")  # deleted documents are included
        rocket = posting_blocks(reader, "body", "rocket", weights=True)
        assert set(next(rocket)[1].tolist()) == {1.0, 2.0, 3.0}
        matcher = _leaf_postings(reader, "body", "rocket")
        head = matcher._postfile.get(matcher._dataoffset, 2)
        assert (head == bytes([0x80, BLOCK_PROTOCOL])) == (codec == "dateline")
        matcher._read_data()  # Dateline's blocks hold their ids (deltas) and weights as arrays
        assert [type(part).__name__ for part in matcher._data[:2]] == (
            ["array", "array"] if codec == "dateline" else ["tuple", "tuple"]
        )
        assert matcher.weight() == 1.0 and list(matcher.all_ids())[:2] == [0, 1]  # Whoosh reads them
        positions = dict(reader.postings("body", "rocket").items_as("positions"))  # Whoosh's reading
        assert positions[300] == [0] and positions[302] == [0, 1, 2]


@pytest.mark.shared
@pytest.mark.parametrize(
    ("limitmb", "run_terms", "run_postings"),
    [(0, 4096, 65_536), (1, 7, 50)],
    ids=["a run per posting", "runs in chunks cut by terms and by postings"],
)
def test_writer_process_postings_equal_whooshs_when_its_pool_spills(
    tmp_path, monkeypatch, limitmb, run_terms, run_postings
):
    """The writer processes' posting pool (grouped by term, spilled to runs a chunk of terms at a
    time, merged at the end) and their block writer give every term the postings, values, block
    statistics and field lengths Whoosh's own SegmentWriter gives: real pages, a pool limit of 0
    (a run per posting) or of 1 MB with small chunks (a chunk ends by its number of terms or of
    postings, the pool still in memory at the end is spilled before the merge), terms in more
    documents than a posting block holds."""
    from whoosh import index
    from whoosh.writing import SegmentWriter

    from search.article import Article, Entities
    from search.index.schema import build_schema, to_document
    from search.index.whoosh_internals import writing
    from search.index.whoosh_internals.writing import _FastSegmentWriter
    from search.index.writer import index_codec
    from search.readers import read_corpus

    monkeypatch.setattr(writing, "_RUN_TERMS", run_terms)
    monkeypatch.setattr(writing, "_RUN_POSTINGS", run_postings)

    articles = [a for a in read_corpus([shared_path("corpus", "pages")]) if isinstance(a, Article)]
    documents = [to_document(a, Entities(people=("Sheikh Hasina",) * (i % 2)), "hash") for i, a in enumerate(articles)]

    def written(writer_class, folder):
        folder.mkdir()
        ix = index.create_in(str(folder), build_schema())
        writer = writer_class(ix, limitmb=limitmb, codec=index_codec(), compound=False)
        for document in documents:
            writer.add_document(**{k: v for k, v in document.items() if k != "indexed_iso"})
        writer.commit()
        with ix.searcher() as searcher:
            reader = searcher.reader()
            postings = {}
            for fieldname, term in reader.all_terms():
                info = reader.term_info(fieldname, term)
                matcher = reader.postings(fieldname, term)
                entries = []
                while matcher.is_active():
                    entries.append((matcher.id(), matcher.weight(), matcher.value()))
                    matcher.next()
                stats = (info.weight(), info.doc_frequency(), info.min_length(), info.max_length(), info.max_weight())
                postings[fieldname, term] = (stats, entries)
            lengths = {
                f: [reader.doc_field_length(d, f) for d in range(reader.doc_count_all())] for f in ("title", "body")
            }
            return postings, lengths, list(reader.all_stored_fields())

    ours, whooshs = written(_FastSegmentWriter, tmp_path / "ours"), written(SegmentWriter, tmp_path / "whoosh")
    assert max(len(entries) for _, entries in ours[0].values()) > 128  # several posting blocks
    assert ours == whooshs


def test_positions_of_values_read_every_delta_width_as_whoosh_does():
    """Positions-format values whose deltas all fit a byte are read by numpy from their layout, the
    others (deltas of 256 and more, of 65,536 and more) by walking their opcodes, values laid out
    otherwise (lists pickled in parts, another protocol) by unpickling: in any mix, every position
    is Whoosh's, in order, with the index of its value."""
    import pickle
    import struct

    from whoosh.formats import Positions

    from search.index.whoosh_internals.reading import positions_of_values

    rng = np.random.default_rng(3)
    lists = [[0], [5], [0, 1], [3, 7, 255], [2, 300], [1, 70_000, 70_001], [9] + list(range(10, 400, 3))]
    lists += [
        sorted(set(rng.integers(0, n, size=int(rng.integers(1, 30))).tolist())) for n in (200, 2_000, 90_000) * 30
    ]
    lists.append(list(range(0, 4500, 3)))  # pickle appends a long list a thousand items at a time
    encode = Positions().encode
    values = [encode(found) for found in lists]
    # Laid out otherwise (a newer pickle protocol): read by Whoosh's own decoding.
    lists.append([4, 9, 300])
    values.append(struct.pack("!I", 3) + pickle.dumps([4, 5, 291], 3))
    assert len(values) == len(lists)
    order = rng.permutation(len(values))
    for chosen in (order, order[:1], [0, 1, 2, 3], [4, 5], [len(values) - 2, 0], [len(values) - 1, 3]):
        picked = [values[i] for i in chosen]
        index, positions = positions_of_values(picked)
        expected = [(n, p) for n, i in enumerate(chosen) for p in lists[i]]
        assert list(zip(index.tolist(), positions.tolist())) == expected
    assert positions_of_values([])[0].size == 0


def test_a_blocks_last_id_and_count_are_read_in_place_from_its_pickled_header():
    import pickle

    from search.index.whoosh_internals.reading import _block_count, _last_id

    for count, last in ((128, 5), (128, 300), (3, 70_000), (128, 2**31 - 1), (300, 9), (128, 2**40)):
        header = pickle.dumps((count, last, 2.0, 0, 12, 200), 2)
        data = b"\x00" * 7 + header + b"data after the header"
        assert _last_id(memoryview(data), 7) == last, (count, last)
        assert _block_count(data, 7, 7 + len(header)) == count, (count, last)


def test_indexes_written_before_the_sub_package_still_find_their_codec():
    """A table of contents pickles its segments' codec by module path; indexes written when the
    codec lived in search/index/whoosh_internals.py name it there."""
    import pickle

    from search.index.whoosh_internals.codec import DatelineCodec

    legacy = b"\x80\x02csearch.index.whoosh_internals\nDatelineCodec\nq\x00)\x81q\x01."
    assert type(pickle.loads(legacy)) is DatelineCodec
    assert b"search.index.whoosh_internals.codec" in pickle.dumps(DatelineCodec(), 2)
