"""Database engine, the declarative base and the request-scoped session.

One transaction per request or job: operations flush, never commit; the request handler commits
once at the end (see :func:`init_db`), or rolls back on any error.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask import Flask, current_app, g, has_request_context, request
from sqlalchemy import Connection, DateTime, Engine, MetaData, Select, String, create_engine, event
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import DeclarativeBase, Session, scoped_session, sessionmaker
from sqlalchemy.pool import StaticPool
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class iso_utc(FunctionElement[str]):  # noqa: N801 - a SQL function, named as one
    """A :class:`UTCDateTime` column as the text orjson writes for its value (RFC 3339 in UTC, the microseconds
    only when there are any: ``2026-12-02T10:00:00.123456+00:00``, ``2026-12-02T10:00:00+00:00``), computed by
    the database: a list of 50 files has 150 of them, and Python's datetimes cost more than the rest of a row."""

    type = String()
    inherit_cache = True
    name = "iso_utc"


@compiles(iso_utc, "sqlite")
def _iso_utc_sqlite(element: iso_utc, compiler: SQLCompiler, **kw: Any) -> str:
    # SQLite holds UTCDateTime as "YYYY-MM-DD HH:MM:SS.ffffff" (SQLAlchemy's storage format, naive UTC); two
    # replace() cost less than a CASE on the microseconds.
    value = compiler.process(element.clauses, **kw)
    return f"replace(replace({value}, ' ', 'T') || '+00:00', '.000000+', '+')"


@compiles(iso_utc, "postgresql")
def _iso_utc_postgresql(element: iso_utc, compiler: SQLCompiler, **kw: Any) -> str:
    value = f"({compiler.process(element.clauses, **kw)} AT TIME ZONE 'UTC')"
    return (
        f"""to_char({value}, 'YYYY-MM-DD"T"HH24:MI:SS') || CASE WHEN date_trunc('second', {value}) = {value}"""
        f" THEN '' ELSE to_char({value}, '.US') END || '+00:00'"
    )


class Prepared:
    """A fixed select compiled once per dialect and run on the DBAPI cursor of the request's connection, for
    the API's hottest reads (a call's token, its list): SQLAlchemy's cache key, execution context and result
    rows cost more than the database's own work for them (docs/benchmarks-pages.md). Values are bound and
    columns read through their types as ``execute`` does; the rows are plain tuples. Engine events
    (``echo``, the tests' statement counters) do not see these statements."""

    def __init__(self, statement: Select[Any]) -> None:
        self.statement = statement
        #: The names of the selected columns, in their order.
        self.keys = tuple(statement.selected_columns.keys())
        self._compiled: dict[str, _Compiled] = {}

    def rows(self, connection: Connection, values: dict[str, Any]) -> list[tuple[Any, ...]]:
        compiled = self._compiled.get(connection.dialect.name) or self._compile(connection.dialect)
        bound = compiled.statement.construct_params(values)
        for name, process in compiled.binds.items():
            if bound[name] is not None:
                bound[name] = process(bound[name])
        cursor = connection.connection.cursor()
        try:
            positions = compiled.statement.positiontup
            cursor.execute(compiled.sql, bound if positions is None else tuple(bound[name] for name in positions))
            rows = cursor.fetchall()
        finally:
            cursor.close()
        if not compiled.columns:
            return rows
        processors = compiled.columns
        return [tuple(v if p is None or v is None else p(v) for p, v in zip(processors, r, strict=True)) for r in rows]

    def _compile(self, dialect: Any) -> _Compiled:
        statement = self.statement.compile(dialect=dialect, compile_kwargs={"render_postcompile": True})
        binds = {
            name: process
            for bind, name in statement.bind_names.items()  # type: ignore[attr-defined]
            if (process := bind.type.dialect_impl(dialect).bind_processor(dialect)) is not None
        }
        selected = self.statement.selected_columns
        columns = [c.type.dialect_impl(dialect).result_processor(dialect, None) for c in selected]
        compiled = _Compiled(statement, statement.string, binds, columns if any(columns) else [])
        self._compiled[dialect.name] = compiled
        return compiled


@dataclass(frozen=True, slots=True)
class _Compiled:
    statement: Any
    sql: str
    binds: dict[str, Any]
    #: Each column's result processor (None: as the driver gives it); empty when no column has one.
    columns: list[Any]


#: SQLite's memory map and page cache per connection (the defaults are no map and 2 MB).
SQLITE_MMAP_BYTES = 1 << 30
SQLITE_CACHE_KIB = 64 * 1024


def make_engine(url: str, *, echo: bool = False, pool_size: int = 10) -> Engine:
    """An engine tuned per backend: SQLite gets WAL, foreign keys and a busy timeout."""
    if url.startswith("sqlite"):
        memory = url in ("sqlite://", "sqlite:///:memory:")
        engine = create_engine(
            url,
            echo=echo,
            connect_args={"check_same_thread": False, "timeout": 15},
            **({"poolclass": StaticPool} if memory else {}),
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            # Let SQLAlchemy emit BEGIN itself so transactions and savepoints behave as documented.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            if not memory:
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA synchronous=NORMAL")
                # Read pages through a memory map and keep more of them per connection: with the default 2 MB
                # cache every row a list page touches was a read() system call (see docs/benchmarks.md).
                cursor.execute(f"PRAGMA mmap_size={SQLITE_MMAP_BYTES}")
                cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(connection: Any) -> None:
            # IMMEDIATE takes the write lock at the start: two writers queue instead of deadlocking.
            connection.exec_driver_sql("BEGIN IMMEDIATE" if _may_write() else "BEGIN")

        return engine
    return create_engine(url, echo=echo, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True)


def _may_write() -> bool:
    """A web request that may write (POST...) queues for SQLite's write lock at BEGIN, so two people
    acting at once are serialised instead of failing half-way; reads, jobs and the CLI begin deferred,
    except a :func:`writing_session`."""
    if _WRITING.get():
        return True
    return has_request_context() and request.method not in ("GET", "HEAD", "OPTIONS")


#: Set while a :func:`writing_session` begins its transaction.
_WRITING: ContextVar[bool] = ContextVar("screening_writing", default=False)


@contextmanager
def writing_session() -> Iterator[Session]:
    """A short transaction of its own that writes, committed on leaving (rolled back on an error).

    On SQLite it begins ``IMMEDIATE``, taking the write lock at BEGIN: a deferred transaction that reads
    first (the audit chain's head) and writes afterwards cannot upgrade its snapshot once another writer
    committed, and fails at once instead of waiting; IMMEDIATE waits its turn in the busy handler.
    """
    with own_session(session_factory(current_app), write=True) as session:
        yield session


@contextmanager
def own_session(sessions: sessionmaker[Session], *, write: bool = False) -> Iterator[Session]:
    """A session of its own, apart from the request's or job's: the one way to open one.

    ``sessions`` is the app's factory (:func:`session_factory`, taken while the app context is there),
    so the listeners attached at start-up see this session too. For work outside the request's
    transaction: a response that streams batches after the request committed (outside any request
    context, so it holds no lock while it streams), or a fact that must be written whatever becomes of
    the request (a public check, a late certificate code). With ``write=True`` it is one transaction,
    committed on leaving and rolled back on an error, begun ``IMMEDIATE`` on SQLite (see
    :func:`writing_session`); without, the caller reads and may end each read with ``rollback()``, and
    nothing it did is committed.
    """
    if not write:
        with sessions() as session:
            yield session
        return
    with writer(), sessions() as session, session.begin():
        yield session


def session_factory(app: Flask) -> sessionmaker[Session]:
    """The app's own session factory: every session of a request, job or :func:`writing_session` comes from
    it, so listeners attached to it at start-up (``init_audit``) see all of them."""
    return app.extensions["screening.sessionmaker"]


def write_at_request_end(*rows: Any) -> None:
    """Queue rows (audited reads) that the request writes when it ends, whatever its outcome, in a short
    transaction of its own after the request's own commit or rollback: a read is a fact once it happened,
    and a page that only reads keeps a read transaction while it renders. Outside a request they are
    written at once."""
    if has_request_context():
        g.setdefault("_screening_deferred_rows", []).extend(rows)
        return
    with writing_session() as session:
        session.add_all(rows)


def _write_deferred_rows() -> None:
    rows = g.pop("_screening_deferred_rows", None)
    if rows:
        with writing_session() as session:
            session.add_all(rows)


@contextmanager
def writer() -> Iterator[None]:
    """Every transaction begun inside takes SQLite's write lock at BEGIN (``IMMEDIATE``): for the scheduler's
    jobs and the CLI, which read what is due and then write it, and would otherwise fail at once with
    "database is locked" when a request committed in between, instead of waiting their turn."""
    token = _WRITING.set(True)
    try:
        yield
    finally:
        _WRITING.reset(token)


def _scope() -> int:
    return id(g._get_current_object())  # one session per application context


def _new_session() -> Session:
    return session_factory(current_app)()


#: The session of the current request or job. Use ``db.session`` inside an application context.
class _Database:
    def __init__(self) -> None:
        self.session: scoped_session[Session] = scoped_session(_new_session, scopefunc=_scope)

    @property
    def engine(self) -> Engine:
        return current_app.extensions["screening.engine"]


db = _Database()


_KEEP_REFUSAL = "screening_keep_refusal"


def keep_refusal() -> None:
    """Commit this request's writes although it answers an error: a refusal that must be counted (a
    throttled sign-in's failure), written by the refusing view itself."""
    g.setdefault(_KEEP_REFUSAL, True)


def init_db(app: Flask, url: str, *, echo: bool = False, pool_size: int = 10) -> None:
    """Bind an engine to the app and commit once per request: on success, never on error."""
    engine = app.extensions["screening.engine"] = make_engine(url, echo=echo, pool_size=pool_size)
    app.extensions["screening.sessionmaker"] = sessionmaker(bind=engine, expire_on_commit=False)

    @app.after_request
    def _commit(response: Any) -> Any:
        if response.status_code < 400 or g.get(_KEEP_REFUSAL):
            db.session.commit()
        else:
            db.session.rollback()
        _write_deferred_rows()
        return response

    @app.teardown_appcontext
    def _remove(_exc: BaseException | None) -> None:
        db.session.remove()
