"""Hot Core statements compiled once per engine, then sent as the SQL they compile to.

On every execute SQLAlchemy looks a statement up in its compiled cache, builds an
execution context and a result from the compiled form and binds each parameter through
it; for the single PUT's statements (three per new slot) that cost several times what
SQLite takes to run them. A :class:`Prepared` statement is compiled once for each
dialect it meets; each run binds the caller's values through the bind processors
SQLAlchemy itself would use, in the compiled order, and hands the SQL to the driver's
cursor on the connection's transaction: what reaches the driver is what Core would
send. A driver error is raised as SQLAlchemy raises it (``IntegrityError`` …). While
anything watches the connection's statements (an engine event, echo), the SQL is sent
through ``exec_driver_sql`` instead, so the watcher sees it as it would have.

The rows are the driver's values, as ``exec_driver_sql`` gives them (no result types
applied: a SQLite boolean reads 0 or 1). Only statements with positional parameters and
nothing bound at execution time (SQLite's ``?``; no expanding ``IN``, no Python-side
defaults) are sent so; any other (PostgreSQL's named parameters) runs as Core runs it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import Connection, CursorResult, Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.dml import UpdateBase


@dataclass(frozen=True)
class _Param:
    """One positional parameter: the caller's value of ``key`` through ``process``, or
    (``key`` None) the statement's own literal, bound once."""

    key: str | None
    process: Callable[[Any], Any] | None
    literal: Any = None


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: tuple[_Param, ...]
    keys: int  # how many values the caller passes
    sequence: Callable[[list[Any]], Sequence[Any]]  # the dialect's parameter sequence

    def bind(self, values: Mapping[str, Any]) -> Sequence[Any]:
        if len(values) != self.keys:  # each key is looked up: the same set, or a KeyError
            raise ValueError(f"expected {self.keys} values, got {sorted(values)}")
        return self.sequence(
            [
                param.literal
                if param.key is None
                else values[param.key]
                if param.process is None
                else param.process(values[param.key])
                for param in self.params
            ]
        )


class Prepared:
    """``statement`` run with the caller's values (see the module docstring); ``keys``:
    the columns an INSERT is given, as Core compiles it for a row with those keys."""

    def __init__(self, statement: UpdateBase, keys: Sequence[str] | None = None) -> None:
        self.statement = statement
        self._keys = None if keys is None else list(keys)
        self._compiled: WeakKeyDictionary[Dialect, _Compiled | None] = WeakKeyDictionary()

    def rows(self, connection: Connection, values: Mapping[str, Any]) -> list[Sequence[Any]]:
        """Run the statement with ``values`` on ``connection``: the rows it returns (none
        for a statement that returns none)."""
        dialect = connection.dialect
        try:
            compiled = self._compiled[dialect]
        except KeyError:
            compiled = self._compiled[dialect] = self._compile(dialect)
        if compiled is None:
            return _all(connection.execute(self.statement, values))
        params = compiled.bind(values)
        if watched(connection):
            return _all(connection.exec_driver_sql(compiled.sql, params))
        return sent(connection, compiled.sql, params)

    def _compile(self, dialect: Dialect) -> _Compiled | None:
        compiled = self.statement.compile(dialect=dialect, column_keys=self._keys)
        assert isinstance(compiled, SQLCompiler)
        if (
            not compiled.positional
            or compiled.positiontup is None
            or compiled.literal_execute_params
            or compiled.post_compile_params
            or compiled.insert_prefetch
            or compiled.update_prefetch
            or compiled.schema_translate_map
        ):
            return None
        processors = compiled._bind_processors
        params = []
        for name in compiled.positiontup:
            process = processors.get(name)
            if process is not None and not callable(process):  # a tuple's, one per element
                return None
            bind = compiled.binds[name]
            if bind.required:
                params.append(_Param(name, process))
            else:
                value = bind.effective_value
                params.append(_Param(None, None, value if process is None else process(value)))
        keys = len({param.key for param in params if param.key is not None})
        return _Compiled(compiled.string, tuple(params), keys, dialect.execute_sequence_format)


def _all(result: CursorResult[Any]) -> list[Sequence[Any]]:
    return list(result) if result.returns_rows else []


def watched(connection: Connection) -> bool:
    """Something sees this connection's statements as Core sends them."""
    dispatch = connection.dispatch
    return bool(
        dispatch.before_cursor_execute or dispatch.after_cursor_execute
        or connection.engine.echo
    )


def sent(connection: Connection, sql: str, params: Sequence[Any]) -> list[Sequence[Any]]:
    """``sql`` on the driver's cursor of ``connection`` (in its transaction)."""
    driver = connection.connection.dbapi_connection
    assert driver is not None  # a connection in a transaction has its driver's
    cursor = driver.cursor()
    try:
        cursor.execute(sql, params)
        return list(cursor.fetchall()) if cursor.description else []
    except connection.dialect.loaded_dbapi.Error as error:
        raise DBAPIError.instance(
            sql, params, error, connection.dialect.loaded_dbapi.Error,
            dialect=connection.dialect,
        ) from error
    finally:
        cursor.close()
