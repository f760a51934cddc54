"""Driver-level SQL for the write path: statements compiled once per dialect, rows as tuples.

At a few hundred rows per executemany, SQLAlchemy's per-row work (construct_params and one
bind processor per value) costs more CPU than SQLite's own. The write path therefore compiles
its statements to SQL text once per dialect (`compile_sql`), converts values exactly the way
the column types would (`Binds`), and hands plain tuples to the driver. Either way the rows
stored and the errors raised (IntegrityError and friends) are the ones SQLAlchemy's own
execution of the same statements gives.

A write is a *plan*: a generator that yields `Many` and `Query` steps and is sent back
what each returned. The plan holds the logic once; `run_plan` drives it on an AsyncConnection
(exec_driver_sql on PostgreSQL, aiosqlite directly on SQLite) and `run_plan_sync` on a plain
sqlite3 connection, which is how the SQLite writer thread runs a whole batch in one hop.
"""

import json
import re
import sqlite3
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import chain
from typing import Any, Final, NoReturn, TypeVar

import aiosqlite
from sqlalchemy import Dialect
from sqlalchemy.exc import DBAPIError, StatementError
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import ClauseElement, ColumnElement, Select
from sqlalchemy.sql.compiler import SQLCompiler

from storage.errors import NaiveDatetime, StorageError

Row = tuple[Any, ...]
When = Callable[[datetime], Any]
Json = Callable[[Any], str]
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Many:
    """One executemany of plain tuples (skipped when there are none); sends back None."""

    sql: str
    rows: Sequence[Row]


@dataclass(frozen=True, slots=True)
class Query:
    """One statement; sends back the rows it returns, as tuples of driver values."""

    sql: str
    params: Row


Step = Many | Query
Plan = Generator[Step, Any, T]

# Rows per multi-row INSERT ... RETURNING: SQLAlchemy's insertmanyvalues page size.
PAGE_ROWS: Final = 1000
_DOLLAR: Final = re.compile(r"\$\d+")


def compile_sql(dialect: Dialect, statement: ClauseElement, names: Sequence[str]) -> str:
    """SQL text of `statement` in the driver's paramstyle, its parameters in `names` order.

    For an INSERT, `names` are the columns it sets (the others are left out, as SQLAlchemy
    leaves out the keys a call does not pass); for other statements, their bind names.
    """
    compiled = statement.compile(dialect=dialect, column_keys=list(names))
    if not isinstance(compiled, SQLCompiler):
        raise StorageError(f"not a SQL statement: {statement!r}")
    order = tuple(compiled.positiontup or ())
    if order != tuple(names):
        raise StorageError(f"parameters come in the order {order}, not {tuple(names)}")
    return compiled.string


class Executor:
    """Runs driver-level SQL in the connection's transaction; SQLAlchemy's execution underneath.

    Errors come out as SQLAlchemy raises them (IntegrityError and friends, statement attached).
    """

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def many(self, sql: str, rows: Sequence[Row]) -> None:
        """One executemany of plain tuples; nothing when there are no rows."""
        if rows:
            await self._conn.exec_driver_sql(sql, list(rows))

    async def query(self, sql: str, params: Row) -> list[Row]:
        """One statement; the rows it returns, as tuples of driver values."""
        return [tuple(row) for row in (await self._conn.exec_driver_sql(sql, params)).all()]


class _AiosqliteExecutor(Executor):
    """One hop to aiosqlite's thread per statement, where exec_driver_sql takes three or four.

    Each hop wakes the thread and then the event loop (30-60 µs of CPU on a 2-vCPU VM), and
    SQLAlchemy's cursor lifecycle (open, execute, fetch, close) makes a hop of every step: for
    small batches that costs more than the writes themselves. The statements run on the same
    sqlite3 connection, inside the transaction the caller began.
    """

    def __init__(self, conn: AsyncConnection, driver: aiosqlite.Connection) -> None:
        super().__init__(conn)
        self._driver = driver

    async def many(self, sql: str, rows: Sequence[Row]) -> None:
        if not rows:
            return
        try:
            await self._driver.executemany(sql, rows)
        except sqlite3.Error as error:
            raise sqlalchemy_error(error, Many(sql, rows), self._conn.dialect) from error

    async def query(self, sql: str, params: Row) -> list[Row]:
        try:
            rows = await self._driver.execute_fetchall(sql, params)
        except sqlite3.Error as error:
            raise sqlalchemy_error(error, Query(sql, params), self._conn.dialect) from error
        return [tuple(row) for row in rows]


async def executor(conn: AsyncConnection) -> Executor:
    """The executor for this connection; on aiosqlite, one that talks to the driver directly."""
    if conn.dialect.driver != "aiosqlite":
        return Executor(conn)
    if not conn.in_transaction():
        # What the first SQLAlchemy execute would do (autobegin): the driver must not autocommit.
        await conn.begin()
    driver = (await conn.get_raw_connection()).driver_connection
    if not isinstance(driver, aiosqlite.Connection):
        return Executor(conn)
    return _AiosqliteExecutor(conn, driver)


async def run_plan(plan: Plan[T], run: Executor) -> T:
    """Drive a plan on an async connection's executor; what the plan returns."""
    result: Any = None
    try:
        while True:
            step = plan.send(result)
            if isinstance(step, Many):
                await run.many(step.sql, step.rows)
                result = None
            else:
                result = await run.query(step.sql, step.params)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]


def run_plan_sync(plan: Plan[T], conn: sqlite3.Connection, dialect: Dialect) -> T:
    """Drive a plan on a plain sqlite3 connection, in the caller's transaction."""
    result: Any = None
    try:
        while True:
            step = plan.send(result)
            try:
                if isinstance(step, Many):
                    if step.rows:
                        conn.executemany(step.sql, step.rows)
                    result = None
                else:
                    result = conn.execute(step.sql, step.params).fetchall()
            except sqlite3.Error as error:
                raise sqlalchemy_error(error, step, dialect) from error
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]


def sqlalchemy_error(error: sqlite3.Error, step: Step, dialect: Dialect) -> Exception:
    """What SQLAlchemy's execution raises for the same driver error (IntegrityError, ...)."""
    many = isinstance(step, Many)
    params = step.rows if isinstance(step, Many) else step.params
    wrapped = DBAPIError.instance(
        step.sql,
        params,
        error,
        sqlite3.Error,
        hide_parameters=True,  # as the engine: no prospect data in errors and logs
        dialect=dialect,
        ismulti=many,
    )
    return wrapped if isinstance(wrapped, Exception) else error


class ManyRowInsert:
    """An INSERT ... RETURNING of many rows as one statement per page: VALUES (...), (...).

    The sqlite3 module cannot return rows from an executemany and asyncpg's executemany
    returns none, so SQLAlchemy renders multi-row VALUES for these ("insertmanyvalues");
    this does the same, with the SQL of each row count built once.
    """

    def __init__(self, dialect: Dialect, statement: ClauseElement, names: Sequence[str]) -> None:
        sql = compile_sql(dialect, statement, names)
        head, values = sql.split(" VALUES ", 1)
        end = values.index(")") + 1  # the row holds no parentheses: placeholders and casts
        self._head, self._row, self._tail = f"{head} VALUES ", values[:end], values[end:]
        self._width = len(names)
        numbered = len(_DOLLAR.findall(self._row))  # asyncpg's $1, $2, ...
        if max(numbered, self._row.count("?")) != self._width:
            raise StorageError(f"cannot repeat the VALUES row of {sql!r}")
        self._numbered = numbered > 0
        self._sql: dict[int, str] = {}

    def sql(self, rows: int) -> str:
        """The statement for `rows` rows."""
        found = self._sql.get(rows)
        if found is None:
            found = self._sql[rows] = self._render(rows)
        return found

    def _render(self, rows: int) -> str:
        if not self._numbered:
            return self._head + ", ".join([self._row] * rows) + self._tail
        template = _DOLLAR.sub("${}", self._row.replace("{", "{{").replace("}", "}}"))
        width = self._width
        values = ", ".join(
            template.format(*range(start + 1, start + width + 1))
            for start in range(0, rows * width, width)
        )
        return self._head + values + self._tail

    def returning(self, rows: Sequence[Row]) -> Plan[list[Any]]:
        """Insert `rows` in order; the first RETURNING column of every row that went in."""
        returned: list[Any] = []
        for start in range(0, len(rows), PAGE_ROWS):
            page = rows[start : start + PAGE_ROWS]
            rows_in = yield Query(self.sql(len(page)), tuple(chain(*page)))
            returned.extend(row[0] for row in rows_in)
        return returned


class RowReader:
    """Driver rows converted the way the selected columns' types would (booleans, UTC times)."""

    def __init__(self, dialect: Dialect, columns: Sequence[ColumnElement[Any]]) -> None:
        processors = [
            column.type.dialect_impl(dialect).result_processor(dialect, None) for column in columns
        ]
        self._steps = [(index, p) for index, p in enumerate(processors) if p is not None]

    def __call__(self, row: Row) -> Row:
        values = list(row)
        for index, process in self._steps:
            values[index] = process(values[index])
        return tuple(values)


class DriverStatement:
    """A statement for driver-level execution, compiled once per kind of dialect."""

    def __init__(self, statement: ClauseElement, names: Sequence[str]) -> None:
        self.statement, self._names = statement, tuple(names)
        self._sql: dict[tuple[str, str], str] = {}

    def sql(self, dialect: Dialect) -> str:
        key = (dialect.name, dialect.driver)
        found = self._sql.get(key)
        if found is None:
            found = self._sql[key] = compile_sql(dialect, self.statement, self._names)
        return found


class DriverSelect(DriverStatement):
    """A SELECT for driver-level execution, its rows converted as SQLAlchemy's would be."""

    def __init__(self, statement: Select[Any], names: Sequence[str]) -> None:
        super().__init__(statement, names)
        self._columns = list(statement.selected_columns)
        self._readers: dict[tuple[str, str], RowReader] = {}

    def rows(self, dialect: Dialect, params: Row) -> Plan[list[Row]]:
        """The rows the statement returns for `params` (in `names` order), as a plan."""
        key = (dialect.name, dialect.driver)
        read = self._readers.get(key)
        if read is None:
            read = self._readers[key] = RowReader(dialect, self._columns)
        rows = yield Query(self.sql(dialect), params)
        return [read(row) for row in rows]


_BINDS: dict[tuple[str, str, object], "Binds"] = {}


def binds_for(dialect: Dialect) -> "Binds":
    """The Binds of this kind of dialect (one per engine kind, not per call)."""
    key = (dialect.name, dialect.driver, json_serializer(dialect))
    found = _BINDS.get(key)
    if found is None:
        found = _BINDS[key] = Binds(dialect)
    return found


def _refuse_naive(value: datetime) -> NoReturn:
    # The error UtcDateTime's bind processor raised through SQLAlchemy's execution.
    error = NaiveDatetime(value)
    raise StatementError(f"({NaiveDatetime.__module__}.NaiveDatetime) {error}", None, None, error)


class Binds:
    """Values as the column types bind them on one dialect, for driver-level execution.

    `when` is UtcDateTime's bind step followed by the dialect's own DateTime processing;
    `json` is the JSON type's (the engine's json_serializer; None is stored as JSON null,
    the JSON type's default).
    """

    def __init__(self, dialect: Dialect) -> None:
        self.json: Json = json_serializer(dialect)
        self.when: When = _aware
        if dialect.name == "sqlite":
            self._texts: dict[datetime, str] = {}
            self.when = self._sqlite_when

    def _sqlite_when(self, value: datetime) -> str:
        # Rows of one batch share a few instants: each is formatted once. Only UTC values are
        # remembered: in a zone with DST, equal datetimes can be different instants (fold).
        text = self._texts.get(value) if value.tzinfo is UTC else None
        if text is None:
            text = _sqlite_text(value)
            if value.tzinfo is UTC:
                if len(self._texts) >= _REMEMBERED:
                    self._texts.clear()
                self._texts[value] = text
        return text


_REMEMBERED: Final = 4096


def _sqlite_text(value: datetime) -> str:
    # UTC text without an offset, with microseconds: SQLAlchemy's SQLite DateTime format.
    if value.tzinfo is None:
        _refuse_naive(value)
    utc = value.astimezone(UTC)
    return (
        f"{utc.year:04d}-{utc.month:02d}-{utc.day:02d} "
        f"{utc.hour:02d}:{utc.minute:02d}:{utc.second:02d}.{utc.microsecond:06d}"
    )


def json_serializer(dialect: Dialect) -> Callable[[Any], str]:
    """The engine's json_serializer (Database.from_url sets orjson), or the JSON type's default."""
    serializer: Callable[[Any], str] | None = getattr(dialect, "_json_serializer", None)
    return serializer or json.dumps


def _aware(value: datetime) -> datetime:
    # PostgreSQL's timestamptz takes the aware datetime as it is.
    if value.tzinfo is None:
        _refuse_naive(value)
    return value
