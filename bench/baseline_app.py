"""The baseline every bench run measures beside Officium: bare Starlette + Jinja2 + Peewee, nothing else.

Same database file, same SQLite pragmas, same ORM, same uvicorn settings as ``officium serve`` (factory
mode, ``--workers N``, loop and HTTP parser left on ``auto``, access log off), handlers ``async def``
calling Peewee inline on the event loop's thread, exactly as Officium's routing engine runs its views.
What is left out is everything Officium adds: plugins, sessions, permissions, CSRF, the shell's
navigation and widgets, security headers, audit.

* ``GET /page``: the 50-row HTML table (core_user joined to core_unit, ordered by id) plus the count,
  rendered with autoescaping through a Jinja2 template of about the dashboard's size.
* ``GET /api/units?per_page=20``: the same 20 units, count and JSON shape as ``/api/v1/core/units``.
* ``GET /api/todo?assignee=<user id>&per_page=20``: one user's open 待办, 20 rows, the query shape of
  ``/api/v1/core/todo`` (core_work_item by the (assignee, kind, state, created_at) index, its document and
  both people joined in, newest first, plus the count).
* ``GET /api/leave?user=<user id>&scope=mine&per_page=20``: 20 leave requests (the user's own, those the user
  filed for others, or all), newest first, with the person, unit, type and filer joined in, plus the count.
* ``GET /health``: ``SELECT 1`` and a small JSON answer, like Officium's ``/health``.

Run: ``python bench/baseline_app.py --db SITE/data/officium.db --port 8100 --workers 1``.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from peewee import (
    JOIN,
    BooleanField,
    CharField,
    DateField,
    DateTimeField,
    FloatField,
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


class Instance(Model):
    plugin = CharField()
    state = CharField()
    title = CharField()
    url = CharField()

    class Meta:
        database = db
        table_name = "core_wf_instance"


class WorkItem(Model):
    instance = ForeignKeyField(Instance)
    plugin = CharField()
    kind = CharField()
    step = CharField()
    assignee = ForeignKeyField(User)
    principal = ForeignKeyField(User, null=True)
    state = CharField()
    title = CharField()
    url = CharField()
    urgency = CharField()
    created_at = DateTimeField()
    due_at = DateTimeField(null=True)
    done_at = DateTimeField(null=True)
    action = CharField()

    class Meta:
        database = db
        table_name = "core_work_item"


class LeaveType(Model):
    code = CharField()
    name = CharField()

    class Meta:
        database = db
        table_name = "leave_type"


class LeaveRequest(Model):
    user = ForeignKeyField(User)
    unit = ForeignKeyField(Unit, null=True)
    leave_type = ForeignKeyField(LeaveType)
    start_date = DateField()
    end_date = DateField()
    days = FloatField()
    year = IntegerField()
    reason = CharField()
    status = CharField()
    filed_by = ForeignKeyField(User)
    created_at = DateTimeField()

    class Meta:
        database = db
        table_name = "leave_request"


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def _person(user: User | None) -> dict | None:
    return {"username": user.username, "name": user.name} if user is not None and user.id else None


def todo_rows(assignee: int, per_page: int) -> tuple[list[dict], int]:
    """One user's open 待办, newest first: the query shape of Officium's ``box_query("todo")``."""
    principal, holder = User.alias(), User.alias()
    query = (
        WorkItem.select(WorkItem, Instance, principal, holder)
        .join(Instance, JOIN.LEFT_OUTER, on=(WorkItem.instance == Instance.id))
        .switch(WorkItem)
        .join(principal, JOIN.LEFT_OUTER, on=(WorkItem.principal == principal.id))
        .switch(WorkItem)
        .join(holder, JOIN.LEFT_OUTER, on=(WorkItem.assignee == holder.id))
        .where((WorkItem.assignee == assignee) & (WorkItem.kind == "todo") & (WorkItem.state == "open"))
        .order_by(WorkItem.created_at.desc(), WorkItem.id.desc())
    )
    items = [
        {
            "id": w.id,
            "instance_id": w.instance_id,
            "plugin": w.plugin,
            "title": w.title,
            "url": w.url,
            "kind": w.kind,
            "step": w.step,
            "state": w.state,
            "urgency": w.urgency,
            "action": w.action,
            "suspended": w.instance.state == "suspended",
            "received_at": _iso(w.created_at),
            "due_at": _iso(w.due_at),
            "done_at": _iso(w.done_at),
            "on_behalf_of": _person(w.principal) if w.principal_id else None,
            "holder": _person(w.assignee),
        }
        for w in query.paginate(1, per_page)
    ]
    return items, query.count()


def leave_rows(user: int, scope: str, per_page: int) -> tuple[list[dict], int]:
    """20 leave requests with their person, unit, type and filer joined in, newest first."""
    person, filer = User.alias(), User.alias()
    query = (
        LeaveRequest.select(LeaveRequest, person, Unit, LeaveType, filer)
        .join(person, on=(LeaveRequest.user == person.id))
        .switch(LeaveRequest)
        .join(Unit, JOIN.LEFT_OUTER, on=(LeaveRequest.unit == Unit.id))
        .switch(LeaveRequest)
        .join(LeaveType, on=(LeaveRequest.leave_type == LeaveType.id))
        .switch(LeaveRequest)
        .join(filer, on=(LeaveRequest.filed_by == filer.id))
    )
    if scope == "mine":
        query = query.where(LeaveRequest.user == user)
    elif scope == "filed":
        query = query.where((LeaveRequest.filed_by == user) & (LeaveRequest.user != user))
    query = query.order_by(LeaveRequest.start_date.desc(), LeaveRequest.id.desc())
    items = [
        {
            "id": r.id,
            "user": r.user.username,
            "name": r.user.name,
            "unit": r.unit.code if r.unit_id else None,
            "type": r.leave_type.code,
            "type_name": r.leave_type.name,
            "start_date": r.start_date.isoformat(),
            "end_date": r.end_date.isoformat(),
            "days": r.days,
            "year": r.year,
            "reason": r.reason,
            "status": r.status,
            "filed_by": r.filed_by.username,
            "created_at": _iso(r.created_at),
        }
        for r in query.paginate(1, per_page)
    ]
    return items, query.count()


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

    async def todo(request: Request) -> JSONResponse:
        per_page = int(request.query_params.get("per_page", "20"))
        items, total = todo_rows(int(request.query_params["assignee"]), per_page)
        return JSONResponse({"items": items, "page": 1, "per_page": per_page, "total": total})

    async def leave(request: Request) -> JSONResponse:
        per_page = int(request.query_params.get("per_page", "20"))
        scope = request.query_params.get("scope", "mine")
        items, total = leave_rows(int(request.query_params.get("user", "0")), scope, per_page)
        return JSONResponse({"items": items, "page": 1, "per_page": per_page, "total": total})

    async def health(request: Request) -> JSONResponse:
        db.execute_sql("SELECT 1")
        return JSONResponse({"status": "ok", "version": "baseline"})

    routes = [
        Route("/page", page),
        Route("/api/units", units),
        Route("/api/todo", todo),
        Route("/api/leave", leave),
        Route("/health", health),
    ]
    return Starlette(routes=routes)


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
