"""Dateline on a sharded SphinxQL cluster (Debian's sphinxsearch 2.2.11 here, Manticore in production).

`spec` reads and writes cluster.toml and the searchd configs; `local` runs a cluster of searchd
processes on this machine; `documents` turns articles into rows of Dateline's own tokens;
`people`, `copies` and `vocabulary` are what a rebuild decides over the whole corpus (the person
name map, the groups of wire copies, the term counts); `match` compiles the query language to
MATCH(); `engine` is the SearchEngine; `pointer` the live generation every search reads; `writer`
the write side (full rebuilds into a new generation, switched in one write); `reindex` the pipeline.
"""
