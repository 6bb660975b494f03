"""Floor (a): what the SQL of one request costs on its own.

The statements a request sent (as recorded by the bench middleware, or by `Recorder`
in this process) are replayed under EXPLAIN (ANALYZE, FORMAT JSON) in one transaction
that is rolled back at the end, each in its own savepoint; the floor is the sum of their
Execution Times. Reads are run three times and their median taken; a write runs once (a
second run could collide with the first on a unique key). Transaction control
(SAVEPOINT, RELEASE, ...) is not a query and is left out. The slowest statement's plan is
kept as text (EXPLAIN ANALYZE, BUFFERS, SETTINGS: the settings that differ from the
server's defaults) for the report.

Runs in the benchmark's own Django process, on its connection to the private cluster.
"""

from __future__ import annotations

import json
import re
import statistics
from collections.abc import Callable

from django.db import DatabaseError, connection, transaction

EXPLAINABLE = ("SELECT", "INSERT", "UPDATE", "DELETE", "WITH")
WRITES = ("INSERT", "UPDATE", "DELETE")
KEEP_SQL = 4000  # characters of a statement kept in the report


class Recorder:
    """An execute wrapper that counts the statements of this process's connection and
    keeps them with their parameters bound (as the bench middleware does)."""

    def __init__(self) -> None:
        self.statements: list[str] = []

    def __call__(self, execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if many:
            self.statements.append(sql)
        else:
            raw = context["cursor"].cursor
            self.statements.append(connection.ops.last_executed_query(raw, sql, params))
        return result

    @property
    def count(self) -> int:
        return len(self.statements)


def gist(sql: str) -> str:
    """The start of a statement and the table its outer query reads from (not a
    subquery's): enough to tell one request's statements apart."""
    head = " ".join(sql.split())[:60]
    depth = 0
    for match in re.finditer(r'[()]|\bFROM "(\w+)"', sql):
        if match.group(0) == "(":
            depth += 1
        elif match.group(0) == ")":
            depth -= 1
        elif depth == 0:
            return head if match.start() <= 60 else f"{head}… FROM {match.group(1)}"
    return head


# A statement may lead with settings for itself (reports' `SET LOCAL work_mem = '32MB'; `,
# sent in the same message): they are applied before the rest is explained.
SETTING = re.compile(r"\s*SET LOCAL (\w+) = ('[^']*');")


def _settings(sql: str) -> tuple[list[tuple[str, str]], str]:
    """([(name, value), ...], the statement) of `sql`'s leading SET LOCAL settings."""
    found = []
    while match := SETTING.match(sql):
        found.append((match.group(1), match.group(2)))
        sql = sql[match.end() :].lstrip()
    return found, sql


def _apply(cursor, settings: list[tuple[str, str]], *, undo: bool = False) -> None:
    for name, value in settings:
        cursor.execute(f"SET LOCAL {name} TO DEFAULT" if undo else f"SET LOCAL {name} = {value}")


def _verb(sql: str) -> str:
    return sql.lstrip(" (\n").split(None, 1)[0].upper() if sql.strip() else ""


def _explain(cursor, sql: str) -> tuple[float, float]:
    cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql)
    value = cursor.fetchone()[0]
    plan = (json.loads(value) if isinstance(value, str) else value)[0]
    return plan["Execution Time"], plan["Planning Time"]


def _plan_text(cursor, sql: str) -> str:
    settings, sql = _settings(sql)
    sid = transaction.savepoint_create()
    _apply(cursor, settings)  # undone with the savepoint
    try:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS, SETTINGS) " + sql)
        text = "\n".join(row[0] for row in cursor.fetchall())
    except DatabaseError:
        transaction.savepoint_rollback(sid)
        sid = transaction.savepoint_create()
        _apply(cursor, settings)
        cursor.execute("EXPLAIN " + sql)
        text = "(not re-runnable; plan without ANALYZE)\n" + "\n".join(
            row[0] for row in cursor.fetchall()
        )
    transaction.savepoint_rollback(sid)
    return text


def sql_floor(statements: list[str], *, undo: Callable[[], None] | None = None) -> dict:
    """Replay `statements` under EXPLAIN ANALYZE and sum their execution times.

    `undo` runs first, inside the rolled-back transaction: a write request's own rows
    (the issue a create made) would otherwise collide with their replay."""
    explained: list[dict] = []
    failed: list[dict] = []
    skipped = 0
    with transaction.atomic(), connection.cursor() as cursor:
        if undo is not None:
            undo()
        for sql in statements:
            settings, body = _settings(sql)
            verb = _verb(body)
            if verb not in EXPLAINABLE:
                skipped += 1
                continue
            runs = 1 if verb in WRITES else 3
            sid = transaction.savepoint_create()
            try:
                _apply(cursor, settings)
                times = [_explain(cursor, body) for _ in range(runs)]
                _apply(cursor, settings, undo=True)  # for this statement only, as sent
            except DatabaseError as error:
                transaction.savepoint_rollback(sid)
                failed.append({"sql": sql[:KEEP_SQL], "error": str(error).strip()[:300]})
                continue
            transaction.savepoint_commit(sid)
            explained.append(
                {
                    "sql": sql,
                    "exec_ms": statistics.median(t[0] for t in times),
                    "plan_ms": statistics.median(t[1] for t in times),
                }
            )
        slowest = max(explained, key=lambda s: s["exec_ms"], default=None)
        plan = _plan_text(cursor, slowest["sql"]) if slowest else ""
        transaction.set_rollback(True)
    return {
        "statements": len(statements),
        "explained": len(explained),
        "skipped": skipped,
        "failed": failed,
        "exec_ms": sum(s["exec_ms"] for s in explained),
        "plan_ms": sum(s["plan_ms"] for s in explained),
        "each": [
            {"exec_ms": s["exec_ms"], "plan_ms": s["plan_ms"], "sql": gist(s["sql"])}
            for s in explained
        ],
        "slowest": None
        if slowest is None
        else {"sql": slowest["sql"][:KEEP_SQL], "exec_ms": slowest["exec_ms"], "plan": plan},
    }
