"""Every use of Whoosh's private API, in one sub-package, checked against the one Whoosh version it
was written for (2.7.4, pinned in requirements.in).

Dateline reads Whoosh's posting blocks and field-length columns directly (`reading`: numpy match
sets and scores, search.engine.evaluate; phrases, search.index.phrases), writes posting blocks
with a newer pickle protocol (`codec`) and writes with faster code paths in its writer processes
(`writing`, search.index.writer). A different Whoosh may lay these out differently, so importing
any of them with one fails at once with a clear message instead of giving wrong results.
"""

from __future__ import annotations

import whoosh

WHOOSH_VERSION = (2, 7, 4)


def check_whoosh_version(found: tuple = tuple(whoosh.__version__)) -> None:
    if tuple(found[:3]) != WHOOSH_VERSION:
        raise ImportError(
            f"Dateline needs Whoosh {'.'.join(map(str, WHOOSH_VERSION))} (it reads Whoosh's posting blocks and "
            f"length columns directly), but Whoosh {'.'.join(map(str, found))} is installed; "
            "install the locked versions with scripts/install"
        )


check_whoosh_version()

# An index's table of contents pickles its codec by path: search.index.whoosh_internals.codec.
# DatelineCodec, or, in indexes written before this sub-package, search.index.whoosh_internals.
# DatelineCodec. Both must stay importable, or such an index no longer opens.
from search.index.whoosh_internals.codec import DatelineCodec  # noqa: E402

__all__ = ["WHOOSH_VERSION", "DatelineCodec", "check_whoosh_version"]
