"""A search cluster described by one file, cluster.toml: a coordinator, shards and their replicas.

    [cluster]
    max_matches = 200000        # >= distinct values of any facet and distinct days: exact counts
    ha_strategy = "nodeads"     # how a distributed index picks among a shard's replicas (dead ones avoided)
    agent_retry_count = 2

    [coordinator]
    name = "coord"
    host = "127.0.0.1"
    port = 9306                 # SphinxQL (MySQL protocol): Dateline talks to this
    api_port = 9312             # Sphinx API: what distributed indexes use between nodes

    [[shard]]                   # one per shard; the first replica is the primary
    replicas = [{name = "s0r0", host = "127.0.0.1", port = 9308, api_port = 9309}, ...]

Each node's searchd config (`searchd_config`) holds every index Dateline uses: on data nodes two
generation slots of RT indexes (articles, facet names and terms, "a" and "b"); on every node the
distributed indexes over the shards' replicas and the `dateline_meta` index that names the live
slot (the coordinator's is the pointer every search reads, the others copies: search.cluster.pointer). Any node can therefore answer a search; Dateline asks the coordinator first.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from search.facet_registry import FACET_FIELDS

SLOTS = ("a", "b")  # generation slots: a rebuild fills the one that is not live
ARTICLES = "dateline_{slot}"  # RT index of a shard's articles
NAMES = "names_{slot}"  # RT index of a shard's facet values as written
DIST_ARTICLES = "dist_{slot}"  # distributed index over all shards
DIST_NAMES = "dist_names_{slot}"
VOCAB = "vocab_{slot}"  # RT index of a shard's terms and their document frequencies (spelling suggestions)
DIST_VOCAB = "dist_vocab_{slot}"
META = "dateline_meta"  # the live slot and what it holds, on every node
STOPWORDS_FILE = "stopwords.txt"
# Dateline's stop words are removed by its analyzer; this token stands in their position so that
# phrases keep their gaps. The engine declares it a stop word (positions advance, nothing indexed).
GAP_TOKEN = "_"
# Any script: digits, Latin lower case (Dateline's tokens are case-folded), _, the apostrophe and
# every code point from U+0080 (2.2.11 accepts ranges up to U+2FFFF; it clamps beyond).
CHARSET_TABLE = "0..9, a..z, _, U+27, U+80..U+2FFFF"


class ClusterSpecError(ValueError):
    """cluster.toml is missing or malformed; the message names the file."""


@dataclass(frozen=True)
class Node:
    name: str
    role: str  # "coordinator", "primary" or "mirror"
    host: str
    port: int  # SphinxQL
    api_port: int  # agents
    shard: int | None = None  # None for the coordinator

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def label(self) -> str:
        return self.name if self.shard is None else f"shard {self.shard} {self.role} {self.name}"


@dataclass(frozen=True)
class ClusterSpec:
    path: Path
    coordinator: Node
    shards: tuple[tuple[Node, ...], ...]  # per shard: primary first, then mirrors
    max_matches: int = 200_000
    ha_strategy: str = "nodeads"
    agent_retry_count: int = 2

    @property
    def nodes(self) -> tuple[Node, ...]:
        return (self.coordinator, *(node for replicas in self.shards for node in replicas))

    @property
    def entry_points(self) -> tuple[Node, ...]:
        """Nodes that answer searches, in the order Dateline tries them."""
        return self.nodes

    @property
    def folder(self) -> Path:
        return self.path.parent

    @classmethod
    def load(cls, path: Path | str) -> ClusterSpec:
        path = Path(path)
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ClusterSpecError(f"no cluster file at {path} (dateline cluster init DIR writes one)") from None
        except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
            raise ClusterSpecError(f"cannot read {path}: {error}") from None
        try:
            options = data.get("cluster", {})
            c = data["coordinator"]
            coordinator = Node(str(c["name"]), "coordinator", str(c["host"]), int(c["port"]), int(c["api_port"]))
            shards = []
            for number, shard in enumerate(data["shard"]):
                replicas = tuple(
                    Node(
                        str(r["name"]),
                        "primary" if i == 0 else "mirror",
                        str(r["host"]),
                        int(r["port"]),
                        int(r["api_port"]),
                        number,
                    )
                    for i, r in enumerate(shard["replicas"])
                )
                if not replicas:
                    raise ValueError(f"shard {number} has no replicas")
                shards.append(replicas)
            if not shards:
                raise ValueError("no [[shard]]")
            return cls(
                path,
                coordinator,
                tuple(shards),
                int(options.get("max_matches", 200_000)),
                str(options.get("ha_strategy", "nodeads")),
                int(options.get("agent_retry_count", 2)),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise ClusterSpecError(f"{path}: malformed cluster file ({error!r})") from None

    def to_toml(self) -> str:
        lines = [
            "# A Dateline search cluster (search/cluster/spec.py explains the fields).",
            "[cluster]",
            f"max_matches = {self.max_matches}",
            f'ha_strategy = "{self.ha_strategy}"',
            f"agent_retry_count = {self.agent_retry_count}",
            "",
            "[coordinator]",
            f'name = "{self.coordinator.name}"',
            f'host = "{self.coordinator.host}"',
            f"port = {self.coordinator.port}",
            f"api_port = {self.coordinator.api_port}",
        ]
        for replicas in self.shards:
            lines += ["", "[[shard]]", "replicas = ["]
            lines += [
                f'  {{name = "{n.name}", host = "{n.host}", port = {n.port}, api_port = {n.api_port}}},'
                for n in replicas
            ]
            lines.append("]")
        return "\n".join(lines) + "\n"


def local_spec(folder: Path, shards: int, mirrors: int, base_port: int, host: str = "127.0.0.1") -> ClusterSpec:
    """A cluster on this machine: ports base_port, base_port+1 for the coordinator, then two per node."""
    ports = iter(range(base_port, base_port + 2 * (1 + shards * (1 + mirrors))))
    coordinator = Node("coord", "coordinator", host, next(ports), next(ports))
    layout = tuple(
        tuple(
            Node(f"s{s}r{r}", "primary" if r == 0 else "mirror", host, next(ports), next(ports), s)
            for r in range(1 + mirrors)
        )
        for s in range(shards)
    )
    return ClusterSpec(Path(folder) / "cluster.toml", coordinator, layout)


def _rt_index(
    name: str, data: Path, fields: tuple[str, ...], attributes: tuple[str, ...], stopwords: Path, prefixes: bool = False
) -> str:
    lines = [f"index {name}", "{", "    type = rt", f"    path = {data / name}"]
    lines += [f"    rt_field = {f}" for f in fields]
    lines += [f"    {a}" for a in attributes]
    lines += [
        f"    charset_table = {CHARSET_TABLE}",
        "    dict = keywords",
        "    morphology = none",
        "    min_word_len = 1",
        f"    stopwords = {stopwords}",
        "    rt_mem_limit = 256M",
    ]
    if prefixes:
        lines.append("    min_prefix_len = 2")
    return "\n".join(lines + ["}", ""])


ARTICLE_FIELDS = ("title", "subtitle", "body", "facets", "every")
# Each facet of the registry is an MVA of value hashes (search.cluster.documents).
ARTICLE_ATTRIBUTES = (
    "rt_attr_string = aid",
    "rt_attr_string = doc",
    "rt_attr_bigint = ts",
    "rt_attr_uint = dated",
    "rt_attr_bigint = day",
    "rt_attr_bigint = grp",
    "rt_attr_uint = copies",
    "rt_attr_bigint = seq",
    *(f"rt_attr_multi_64 = {name}" for name in FACET_FIELDS),
)
NAME_FIELDS = ("words",)
NAME_ATTRIBUTES = ("rt_attr_uint = kind", "rt_attr_string = label")
# A term's row per shard (search.cluster.vocabulary): `initial` holds one word, its first letter.
VOCAB_FIELDS = ("initial",)
VOCAB_ATTRIBUTES = (
    "rt_attr_bigint = sid",
    "rt_attr_string = term",
    "rt_attr_uint = length",
    "rt_attr_uint = title_df",
    "rt_attr_uint = body_df",
)


def searchd_config(spec: ClusterSpec, node: Node, folder: Path) -> str:
    """The searchd config of one node whose files live in `folder`."""
    stopwords = spec.folder / STOPWORDS_FILE
    parts = []
    if node.shard is not None:
        for slot in SLOTS:
            parts.append(
                _rt_index(
                    ARTICLES.format(slot=slot), folder, ARTICLE_FIELDS, ARTICLE_ATTRIBUTES, stopwords, prefixes=True
                )
            )
            parts.append(
                _rt_index(NAMES.format(slot=slot), folder, NAME_FIELDS, NAME_ATTRIBUTES, stopwords, prefixes=True)
            )
            parts.append(_rt_index(VOCAB.format(slot=slot), folder, VOCAB_FIELDS, VOCAB_ATTRIBUTES, stopwords))
    parts.append(
        _rt_index(
            META,
            folder,
            ("note",),
            (
                "rt_attr_string = live",
                "rt_attr_bigint = generation",
                "rt_attr_string = counts",
                "rt_attr_bigint = switched",
            ),
            stopwords,
        )
    )
    for slot in SLOTS:
        for dist, local in ((DIST_ARTICLES, ARTICLES), (DIST_NAMES, NAMES), (DIST_VOCAB, VOCAB)):
            agents = [
                "    agent = " + "|".join(f"{n.host}:{n.api_port}:{local.format(slot=slot)}" for n in replicas)
                for replicas in spec.shards
            ]
            parts.append(
                "\n".join(
                    [
                        f"index {dist.format(slot=slot)}",
                        "{",
                        "    type = distributed",
                        *agents,
                        f"    ha_strategy = {spec.ha_strategy}",
                        "    agent_connect_timeout = 300",
                        "    agent_query_timeout = 10000",
                        "}",
                        "",
                    ]
                )
            )
    parts.append(
        "\n".join(
            [
                "searchd",
                "{",
                f"    listen = {node.host}:{node.port}:mysql41",
                f"    listen = {node.host}:{node.api_port}",
                f"    log = {folder / 'searchd.log'}",
                f"    query_log = {folder / 'query.log'}",
                f"    pid_file = {folder / 'searchd.pid'}",
                f"    binlog_path = {folder}",
                "    workers = threads",
                "    max_packet_size = 64M",
                "    seamless_rotate = 1",
                "    ha_ping_interval = 500",
                f"    agent_retry_count = {spec.agent_retry_count}",
                "    agent_retry_delay = 100",
                "}",
                "",
            ]
        )
    )
    return "\n".join(parts)
