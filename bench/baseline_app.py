"""The baseline every bench run measures beside Officium: bare Starlette + Jinja2 + Peewee, nothing else.

Same database file, same SQLite pragmas, same ORM, same uvicorn settings as ``officium serve`` (factory
mode, ``--workers N``, loop and HTTP parser left on ``auto``, access log off), handlers ``async def``
calling Peewee inline on the event loop's thread, exactly as Officium's routing engine runs its views.
What is left out is everything Officium adds: plugins, sessions, permissions, CSRF, the shell's
navigation and widgets, security headers, audit.

* ``GET /page``: the 50-row HTML table (core_user joined to core_unit, ordered by id) plus the count,
  rendered with autoescaping through a Jinja2 template of about the dashboard's size.
* ``GET /api/units?per_page=20``: the same 20 units, count and JSON shape as ``/api/v1/core/units``.
* ``GET /health``: ``SELECT 1`` and a small JSON answer, like Officium's ``/health``.

Run: ``python bench/baseline_app.py --db SITE/data/officium.db --port 8100 --workers 1``.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from peewee import (
    BooleanField,
    CharField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    Model,
    SqliteDatabase,
)
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse
from starlette.routing import Route

HERE = Path(__file__).resolve().parent
DB_ENV = "BENCH_BASELINE_DB"

# The same pragmas Officium opens SQLite with (officium/core/db.py), copied so the baseline imports nothing
# of Officium.
PRAGMAS = {
    "journal_mode": "wal",
    "synchronous": "full",
    "foreign_keys": 1,
    "busy_timeout": 10000,
    "cache_size": -32000,
}

db = SqliteDatabase(None)


class Unit(Model):
    code = CharField()
    name = CharField()
    parent = ForeignKeyField("self", null=True)
    kind = CharField()
    order = IntegerField()
    active = BooleanField()

    class Meta:
        database = db
        table_name = "core_unit"


class User(Model):
    username = CharField()
    name = CharField()
    unit = ForeignKeyField(Unit, null=True)
    position = CharField()
    status = CharField()
    created_at = DateTimeField()

    class Meta:
        database = db
        table_name = "core_user"


def create_app() -> Starlette:
    """The ASGI app (uvicorn factory: one per worker process)."""
    db.init(os.environ[DB_ENV], pragmas=PRAGMAS, timeout=10)
    db.connect(reuse_if_open=True)
    env = Environment(loader=FileSystemLoader(str(HERE / "templates")), autoescape=select_autoescape())
    template = env.get_template("baseline_table.html")

    async def page(request: Request) -> HTMLResponse:
        query = User.select(User, Unit).join(Unit).order_by(User.id)
        total = query.count()
        users = list(query.limit(50))
        return HTMLResponse(template.render(users=users, total=total, site_name="基准"))

    async def units(request: Request) -> JSONResponse:
        per_page = int(request.query_params.get("per_page", "20"))
        query = Unit.select().where(Unit.active).order_by(Unit.order, Unit.id)
        total = query.count()
        items = [
            {"id": u.id, "code": u.code, "name": u.name, "kind": u.kind, "parent_id": u.parent_id}
            for u in query.paginate(1, per_page)
        ]
        return JSONResponse({"items": items, "page": 1, "per_page": per_page, "total": total})

    async def health(request: Request) -> JSONResponse:
        db.execute_sql("SELECT 1")
        return JSONResponse({"status": "ok", "version": "baseline"})

    return Starlette(routes=[Route("/page", page), Route("/api/units", units), Route("/health", health)])


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    os.environ[DB_ENV] = str(Path(args.db).resolve())
    # Exactly the arguments officium/cli.py passes to uvicorn.run.
    uvicorn.run(
        "baseline_app:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level="info",
        access_log=False,
        app_dir=str(HERE),
    )


if __name__ == "__main__":
    main()
