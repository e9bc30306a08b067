"""Dateline's codec: Whoosh's W3 layout, its posting blocks pickled with a newer protocol."""

from __future__ import annotations

import pickle
import zlib
from array import array
from itertools import chain
from operator import sub

from whoosh.codec.whoosh3 import (
    WHOOSH3_HEADER_MAGIC,
    W3Codec,
    W3PostingsWriter,
)
from whoosh.util.numeric import length_to_byte

# Whoosh pickles a block's (ids, weights, values) with protocol 2, which writes each bytes value
# (a posting's positions) as a call of codecs.encode on its text: at a million articles, reading
# the blocks of a common word cost a quarter of a second. Protocol 3 writes bytes as they are:
# blocks a third smaller, six times faster to pickle and to unpickle. The ids (deltas) and the
# weights are written as arrays, not tuples: their machine bytes, which numpy takes as they are,
# not a Python int or float each. Whoosh's own reader reads such blocks too (pickle.loads reads any
# protocol; it iterates the ids and keeps the weights as the array it makes itself), so an index
# mixing both kinds of block is sound.

BLOCK_PROTOCOL = 3


class DatelineCodec(W3Codec):
    """Whoosh's W3 codec whose posting blocks are pickled with BLOCK_PROTOCOL."""

    def postings_writer(self, dbfile, byteids=False):
        return _PostingsWriter(
            dbfile,
            blocklimit=self._blocklimit,
            byteids=byteids,
            compression=self._compression,
            inlinelimit=self._inlinelimit,
        )


class _PostingsWriter(W3PostingsWriter):
    def _mini_ids(self):
        if self._byteids:
            return super()._mini_ids()
        ids = self._ids
        return array("I", map(sub, ids, chain((0,), ids)))  # each id less the one before

    def _mini_weights(self):
        found = super()._mini_weights()  # None (every weight 1), one float (all equal) or a tuple
        return array("f", self._weights) if isinstance(found, tuple) else found

    def _write_block(self, last: bool = False) -> None:
        """The buffered block as Whoosh lays one out (its byte length, negative for the term's last
        block; its header; its data), the data pickled with BLOCK_PROTOCOL."""
        postfile = self._postfile
        if not self._blockcount:
            postfile.write(WHOOSH3_HEADER_MAGIC)  # a term's postings start with it
        self._terminfo.add_block(self)
        data = pickle.dumps((self._mini_ids(), self._mini_weights(), self._mini_values()), BLOCK_PROTOCOL)
        compression = self._compression
        if compression:
            data = zlib.compress(data, compression)
        ids = self._ids
        header = pickle.dumps(
            (
                len(ids),
                ids[-1],
                self._maxweight,
                compression,
                length_to_byte(self._minlength),
                length_to_byte(self._maxlength),
            ),
            2,
        )
        size = len(header) + len(data)
        postfile.write_int(-size if last else size)
        postfile.write(header)
        postfile.write(data)
        self._blockcount += 1
        self._new_block()
