"""SphinxQL connections: pymysql to a node, trying the cluster's entry points in order."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import pymysql

from search.cluster.spec import Node

Error = pymysql.MySQLError


class NodeDown(ConnectionError):
    """A node (or every entry point) cannot be reached; the message names it."""


def connect(node: Node, timeout: float = 2.0) -> pymysql.connections.Connection:
    try:
        return pymysql.connect(
            host=node.host,
            port=node.port,
            autocommit=True,
            connect_timeout=timeout,
            read_timeout=60,
            write_timeout=60,
            charset="utf8",
        )
    except pymysql.MySQLError as error:
        raise NodeDown(f"{node.label} at {node.address} cannot be reached ({_reason(error)})") from None


def _reason(error: BaseException) -> str:
    args: tuple = tuple(getattr(error, "args", ()))
    return str(args[1] if len(args) > 1 else error).strip().rstrip("\x00")


def is_connection_error(error: BaseException) -> bool:
    """Lost or refused connections (pymysql error codes 2003, 2006, 2013), not query errors."""
    return isinstance(error, pymysql.err.OperationalError) and bool(error.args) and error.args[0] in (2003, 2006, 2013)


def mva(value: object) -> list[int]:
    """A multi-value attribute as SphinxQL returns it ("1,2,3", str or bytes)."""
    text = value.decode() if isinstance(value, bytes) else str(value or "")
    return [int(v) for v in text.split(",") if v]


def run(connection: Any, sql: str, args: Sequence[object] | None = None) -> list[tuple]:
    """Rows of every result set of one statement (a FACET query returns several, concatenated
    into a list of result sets by `run_sets`)."""
    with connection.cursor() as cursor:
        cursor.execute(sql, args)
        return list(cursor.fetchall())


def run_sets(connection: Any, sql: str, args: Sequence[object] | None = None) -> list[list[tuple]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, args)
        sets = [list(cursor.fetchall())]
        while cursor.nextset():
            sets.append(list(cursor.fetchall()))
        return sets


class EntryPoints:
    """One connection per thread to the first entry point that answers; on a lost connection the
    next call tries the entry points again from the first."""

    def __init__(self, nodes: Sequence[Node]) -> None:
        self.nodes = tuple(nodes)
        self._local = threading.local()

    def connection(self) -> tuple[Node, Any]:
        current = getattr(self._local, "current", None)
        if current is not None:
            return current
        reasons = []
        for node in self.nodes:
            try:
                current = (node, connect(node))
            except NodeDown as error:
                reasons.append(str(error))
                continue
            self._local.current = current
            return current
        raise NodeDown("no node of the search cluster answers: " + "; ".join(reasons))

    def drop(self) -> None:
        current = getattr(self._local, "current", None)
        self._local.current = None
        if current is not None:
            try:
                current[1].close()
            except Exception:  # already broken: nothing to close
                pass

    def query_sets(self, sql: str, args: Sequence[object] | None = None) -> tuple[list[list[tuple]], list[str]]:
        """Result sets and SHOW WARNINGS of one statement; retried once on another entry point
        when the connection was lost."""
        for attempt in (1, 2):
            node, connection = self.connection()
            try:
                sets = run_sets(connection, sql, args)
                warnings = [str(row[2]) for row in run(connection, "SHOW WARNINGS")]
                return sets, warnings
            except pymysql.MySQLError as error:
                if is_connection_error(error) and attempt == 1:
                    self.drop()
                    continue
                raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        self.drop()
