"""待办中心: a user's 待办 / 已办 / 待阅 / 已阅 / 我发起的 across every plugin, the overdue lights and the badge.

Each box is one query on one core table — ``core_work_item`` through its index on
``(assignee, kind, state, created_at)``, or ``core_wf_instance`` through ``(drafter, started_at)`` for
我发起的 — whatever plugins the documents belong to.  The pages and the JSON API share
:func:`parse_filters`, :func:`box_query` and the row helpers (:func:`item_row`, :func:`instance_rows`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any

from peewee import JOIN, Case, ModelSelect, fn
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from officium.core.identity.models import User
from officium.core.registry import TodoCount
from officium.core.web.api import ApiError, page_params, paginate
from officium.core.workcalendar import add_working_days
from officium.core.workflow import engine
from officium.core.workflow.definition import DRAFTER_STEP
from officium.core.workflow.models import (
    ACTIONS,
    INSTANCE_STATES,
    ITEM_STATES,
    URGENCIES,
    Instance,
    WorkItem,
)

if TYPE_CHECKING:
    from officium.core.app import OfficiumApp

#: The boxes of the 待办中心: key → (title, page path).
BOXES = {
    "todo": ("待办", "/todo/"),
    "done": ("已办", "/todo/done"),
    "read": ("待阅", "/todo/read"),
    "readdone": ("已阅", "/todo/read-done"),
    "mine": ("我发起的", "/todo/mine"),
}
#: Which work items each box lists: (kind, states).
ITEM_BOXES = {
    "todo": ("todo", ("open",)),
    "done": ("todo", ("done", "transferred")),
    "read": ("read", ("open",)),
    "readdone": ("read", ("done",)),
}
SORTS = {"received": "收到时间", "due": "办理期限"}
#: A deadline later than every real one, so that items without a deadline sort after those with one.
NO_DEADLINE = datetime(9999, 12, 31)


# ------------------------------------------------------------------------------------ overdue lights


@dataclass(frozen=True)
class Lights:
    """The overdue light of a deadline at one moment: 红灯 when it has passed, 黄灯 when it falls by ``soon``
    (the end of the next working day by default), else 正常.  Build it once per page with :meth:`for_app`
    (the working-day calendar is read then); looking a deadline up afterwards costs no query."""

    now: datetime
    soon: datetime

    @classmethod
    def at(cls, now: datetime, days: int = 1) -> Lights:
        """The lights as of ``now``: yellow for deadlines within ``days`` working days (a calendar look-up
        or two, once)."""
        return cls(now, add_working_days(now, days))

    @classmethod
    def for_app(cls, app: OfficiumApp) -> Lights:
        """The lights of the site now, with the 黄灯 span of the reminders (``remind_before_days`` in
        ``[plugins.core]``, one working day by default), so that the lists agree with the reminder job."""
        return cls.at(app.clock(), int(app.settings("core").get("remind_before_days", 1)))

    def of(self, due_at: datetime | None) -> str | None:
        """``"red"``, ``"yellow"``, ``"green"``, or None for no deadline."""
        if due_at is None:
            return None
        if due_at < self.now:
            return "red"
        if due_at <= self.soon:
            return "yellow"
        return "green"

    def label(self, due_at: datetime | None) -> str:
        """The words beside the light (never colour alone)."""
        state = self.of(due_at)
        if state == "red":
            return "已超期"
        if state == "yellow":
            return "即将到期"
        return ""


# ------------------------------------------------------------------------------------------ filters


@dataclass(frozen=True)
class Filters:
    """What a box is narrowed to: module (plugin), overdue only, urgency, and a date range."""

    plugin: str = ""
    overdue: bool = False
    urgency: str = ""
    since: date | None = None
    until: date | None = None


def workflow_plugins(app: OfficiumApp) -> list[tuple[str, str]]:
    """(name, title) of the enabled plugins that declare workflows, in load order."""
    owners = {key.split(".", 1)[0] for key in app.registry.workflows}
    return [(p.name, p.info.title) for p in app.plugins if p.name in owners]


def parse_filters(app: OfficiumApp, params: Mapping[str, str]) -> tuple[Filters, dict[str, str]]:
    """Read the filters from query parameters; return them and a field → message map of bad values."""
    errors: dict[str, str] = {}
    plugin = params.get("plugin", "").strip()
    if plugin and plugin not in {p.name for p in app.plugins}:
        errors["plugin"] = "没有这个模块。"
        plugin = ""
    urgency = params.get("urgency", "").strip()
    if urgency and urgency not in URGENCIES:
        errors["urgency"] = f"紧急程度应为 {'、'.join(URGENCIES)} 之一。"
        urgency = ""
    dates: dict[str, date | None] = {}
    for key in ("since", "until"):
        raw = params.get(key, "").strip()
        dates[key] = None
        if raw:
            try:
                dates[key] = date.fromisoformat(raw)
            except ValueError:
                errors[key] = "日期格式应为 YYYY-MM-DD。"
    if dates["since"] and dates["until"] and dates["since"] > dates["until"]:
        errors["until"] = "结束日期不能早于开始日期。"
    overdue = params.get("overdue", "") in ("1", "true", "on", "yes")
    return Filters(plugin, overdue, urgency, dates["since"], dates["until"]), errors


def _day_range(column: Any, filters: Filters) -> list[Any]:
    conditions = []
    if filters.since:
        conditions.append(column >= datetime.combine(filters.since, time.min))
    if filters.until:
        conditions.append(column <= datetime.combine(filters.until, time.max))
    return conditions


# ------------------------------------------------------------------------------------------- queries

Principal = User.alias("principal")
Holder = User.alias("holder")
#: The boxes of finished items, which also list what a delegate did on the user's behalf.
FINISHED_BOXES = ("done", "readdone")
Drafter = User.alias("drafter")


def box_query(box: str, user: User, filters: Filters, now: datetime) -> ModelSelect:
    """The one query behind a box, unordered (callers sort and paginate it).

    Work-item boxes select the item with its instance and its principal (the person a delegate holds it
    for) joined in, so that a page of rows needs no further query.
    """
    if box == "mine":
        return _mine_query(user, filters, now)
    kind, states = ITEM_BOXES[box]
    state_match = WorkItem.state == states[0] if len(states) == 1 else WorkItem.state.in_(states)
    holder = (WorkItem.assignee == user.id) & (WorkItem.kind == kind) & state_match
    if box in FINISHED_BOXES:
        # What a delegate (外出授权) finished for the user shows in the user's own 已办/已阅 too.  Each side of
        # the OR names a whole index prefix, so both databases combine two index searches (SQLite's
        # multi-index OR, PostgreSQL's BitmapOr) instead of scanning.
        holder = holder | ((WorkItem.principal == user.id) & (WorkItem.kind == kind) & state_match)
    # Outer joins although every item has a document and a holder: SQLite never reorders a LEFT JOIN, so
    # the work items (found through the index) drive the query instead of a scan of the documents.
    query = (
        WorkItem.select(WorkItem, Instance, Principal, Holder)
        .join(Instance, JOIN.LEFT_OUTER, on=(WorkItem.instance == Instance.id))
        .switch(WorkItem)
        .join(Principal, JOIN.LEFT_OUTER, on=(WorkItem.principal == Principal.id))
        .switch(WorkItem)
        .join(Holder, JOIN.LEFT_OUTER, on=(WorkItem.assignee == Holder.id))
        .where(holder)
    )
    conditions = _day_range(WorkItem.created_at, filters)
    if filters.plugin:
        conditions.append(WorkItem.plugin == filters.plugin)
    if filters.urgency:
        conditions.append(WorkItem.urgency == filters.urgency)
    if filters.overdue:
        if box == "done":  # finished after the deadline
            conditions.append(WorkItem.due_at.is_null(False) & (WorkItem.done_at > WorkItem.due_at))
        else:
            conditions.append(WorkItem.due_at.is_null(False) & (WorkItem.due_at < now))
    for condition in conditions:
        query = query.where(condition)
    return query


def _mine_query(user: User, filters: Filters, now: datetime) -> ModelSelect:
    query = (
        Instance.select(Instance, Drafter)
        .join(Drafter, on=(Instance.drafter == Drafter.id))
        .where(Instance.drafter == user.id)
    )
    conditions = _day_range(Instance.started_at, filters)
    if filters.plugin:
        conditions.append(Instance.plugin == filters.plugin)
    if filters.urgency:
        conditions.append(Instance.urgency == filters.urgency)
    if filters.overdue:
        late = WorkItem.select(WorkItem.instance).where(
            (WorkItem.state == "open") & WorkItem.due_at.is_null(False) & (WorkItem.due_at < now)
        )
        conditions.append((Instance.state == "running") & Instance.id.in_(late))
    for condition in conditions:
        query = query.where(condition)
    return query


def sort_columns(box: str) -> dict[str, Any]:
    """The columns ``?sort=`` may name for a box."""
    if box == "mine":
        return {"received": Instance.started_at}
    return {"received": WorkItem.created_at, "due": fn.COALESCE(WorkItem.due_at, NO_DEADLINE)}


def order(query: ModelSelect, box: str, sort: str, direction: str) -> ModelSelect:
    """Order a box's query by ``sort`` (received or due) and ``direction``; the id breaks ties."""
    columns = sort_columns(box)
    column = columns.get(sort, columns["received"])
    key = Instance.id if box == "mine" else WorkItem.id
    if direction == "asc":
        return query.order_by(column.asc(), key.asc())
    return query.order_by(column.desc(), key.desc())


def box_counts(user: User) -> dict[str, int]:
    """Open 待办 and 待阅 of the user, for the tabs: one grouped query."""
    rows = (
        WorkItem.select(WorkItem.kind, fn.COUNT(WorkItem.id).alias("n"))
        .where(
            (WorkItem.assignee == user.id) & WorkItem.kind.in_(("todo", "read")) & (WorkItem.state == "open")
        )
        .group_by(WorkItem.kind)
        .tuples()
    )
    found = dict(rows)
    return {"todo": found.get("todo", 0), "read": found.get("read", 0)}


def todo_counts(app: OfficiumApp, user: User) -> list[TodoCount]:
    """Per-module counts of the user's open 待办 and 待阅 for the shell's badge: ONE grouped query.

    An entry is urgent when one of its items is 加急/特急 or past its deadline.
    """
    now = app.clock()
    pressing = (WorkItem.urgency != "normal") | (WorkItem.due_at.is_null(False) & (WorkItem.due_at < now))
    rows = (
        WorkItem.select(
            WorkItem.plugin,
            WorkItem.kind,
            fn.COUNT(WorkItem.id).alias("n"),
            fn.SUM(Case(None, [(pressing, 1)], 0)).alias("hot"),
        )
        .where(
            (WorkItem.assignee == user.id) & WorkItem.kind.in_(("todo", "read")) & (WorkItem.state == "open")
        )
        .group_by(WorkItem.plugin, WorkItem.kind)
        .tuples()
    )
    position = {p.name: i for i, p in enumerate(app.plugins)}
    titles = {p.name: p.info.title for p in app.plugins}
    counts = []
    for plugin, kind, n, hot in sorted(rows, key=lambda r: (r[1] != "todo", position.get(r[0], 999), r[0])):
        box = "todo" if kind == "todo" else "read"
        counts.append(
            TodoCount(
                f"{titles.get(plugin, plugin)} · {BOXES[box][0]}",
                int(n),
                f"{BOXES[box][1]}?plugin={plugin}",
                urgent=bool(hot),
            )
        )
    return counts


# -------------------------------------------------------------------------------- rows and serialising


def module_title(app: OfficiumApp, plugin: str) -> str:
    """The Chinese title of a plugin (its name when it is no longer enabled)."""
    for loaded in app.plugins:
        if loaded.name == plugin:
            return loaded.info.title
    return plugin


def drafter_title(app: OfficiumApp, instance: Instance) -> str:
    """What the document's workflow calls its drafter (拟稿人, 登记人, 申请人…)."""
    workflow = app.registry.workflows.get(f"{instance.plugin}.{instance.workflow}")
    return workflow.drafter_title if workflow is not None else "拟稿人"


def step_title(app: OfficiumApp, instance: Instance, step: str) -> str:
    """The title of one of an instance's steps, including the engine's pseudo-steps."""
    if not step:
        return ""
    if step == DRAFTER_STEP:
        return f"{drafter_title(app, instance)}修改"
    if step == "circulate":
        return "传阅"
    workflow = app.registry.workflows.get(f"{instance.plugin}.{instance.workflow}")
    if workflow is None or step not in workflow.step_index:
        return step
    return workflow.step(step).title


def workflow_title(app: OfficiumApp, instance: Instance) -> str:
    """The title of the workflow an instance follows."""
    workflow = app.registry.workflows.get(f"{instance.plugin}.{instance.workflow}")
    return workflow.title if workflow is not None else instance.workflow


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def item_row(app: OfficiumApp, item: WorkItem, lights: Lights) -> dict[str, Any]:
    """What a list shows of one work item (fetched by :func:`box_query`: no further query)."""
    instance = item.instance
    suspended = instance.state == "suspended"
    is_open = item.state == "open"
    light = lights.of(item.due_at) if is_open and not suspended else None
    principal = item.principal
    return {
        "id": item.id,
        "instance_id": instance.id,
        "plugin": item.plugin,
        "module": module_title(app, item.plugin),
        "title": item.title,
        "url": item.url,
        "kind": item.kind,
        "step": item.step,
        "step_title": step_title(app, instance, item.step),
        "state": item.state,
        "state_label": ITEM_STATES.get(item.state, item.state),
        "urgency": item.urgency,
        "urgency_label": URGENCIES.get(item.urgency, item.urgency),
        "received_at": item.created_at,
        "due_at": item.due_at,
        "done_at": item.done_at,
        "action": item.action,
        "action_label": ACTIONS.get(item.action, item.action),
        "on_behalf_of": principal,
        "holder": item.assignee,
        "suspended": suspended,
        "instance_state": instance.state,
        "light": light,
        "light_label": lights.label(item.due_at) if light else "",
        "late": bool(item.due_at and item.done_at and item.done_at > item.due_at),
    }


def instance_rows(app: OfficiumApp, instances: list[Instance], lights: Lights) -> list[dict[str, Any]]:
    """What 我发起的 and 流程监控 show of instances, with their current handlers (one more query per page)."""
    ids = [i.id for i in instances]
    holders: dict[int, list[WorkItem]] = {i: [] for i in ids}
    if ids:
        Assignee = User.alias("assignee")
        for item in (
            WorkItem.select(WorkItem, Assignee, Principal)
            .join(Assignee, on=(WorkItem.assignee == Assignee.id))
            .switch(WorkItem)
            .join(Principal, JOIN.LEFT_OUTER, on=(WorkItem.principal == Principal.id))
            .where(
                WorkItem.instance.in_(ids)
                & (WorkItem.kind == "todo")
                & WorkItem.state.in_(("open", "waiting"))
            )
            .order_by(WorkItem.seq, WorkItem.id)
        ):
            holders[item.instance_id].append(item)
    rows = []
    for instance in instances:
        items = holders.get(instance.id, [])
        running = instance.state == "running"
        worst = None
        for item in items:
            state = lights.of(item.due_at) if running and item.state == "open" else None
            if state == "red" or (state == "yellow" and worst != "red") or (state and worst is None):
                worst = state
        rows.append(
            {
                "id": instance.id,
                "plugin": instance.plugin,
                "module": module_title(app, instance.plugin),
                "workflow": workflow_title(app, instance),
                "title": instance.title,
                "url": instance.url,
                "state": instance.state,
                "state_label": INSTANCE_STATES.get(instance.state, instance.state),
                "step": instance.step,
                "step_title": step_title(app, instance, instance.step),
                "urgency": instance.urgency,
                "urgency_label": URGENCIES.get(instance.urgency, instance.urgency),
                "started_at": instance.started_at,
                "finished_at": instance.finished_at,
                "drafter": instance.drafter.name,
                "handlers": [
                    {
                        "item_id": i.id,
                        "name": i.assignee.name,
                        "username": i.assignee.username,
                        "on_behalf_of": i.principal.name if i.principal is not None else "",
                        "state": i.state,
                    }
                    for i in items
                ],
                "light": worst,
                "light_label": lights.label(min((i.due_at for i in items if i.due_at), default=None))
                if worst
                else "",
            }
        )
    return rows


def item_json(row: Mapping[str, Any]) -> dict[str, Any]:
    """The API form of :func:`item_row`."""
    principal = row["on_behalf_of"]
    return {
        **{k: row[k] for k in ("id", "instance_id", "plugin", "module", "title", "url", "kind", "step")},
        **{k: row[k] for k in ("step_title", "state", "urgency", "action", "light", "suspended")},
        "received_at": _iso(row["received_at"]),
        "due_at": _iso(row["due_at"]),
        "done_at": _iso(row["done_at"]),
        "on_behalf_of": {"username": principal.username, "name": principal.name} if principal else None,
        "holder": {"username": row["holder"].username, "name": row["holder"].name},
    }


def instance_json(row: Mapping[str, Any]) -> dict[str, Any]:
    """The API form of one row of :func:`instance_rows`."""
    keys = ("id", "plugin", "module", "workflow", "title", "url", "state", "step", "step_title", "urgency")
    return {
        **{k: row[k] for k in keys},
        "started_at": _iso(row["started_at"]),
        "finished_at": _iso(row["finished_at"]),
        "light": row["light"],
        "handlers": [
            {"username": h["username"], "name": h["name"], "on_behalf_of": h["on_behalf_of"] or None}
            for h in row["handlers"]
        ],
    }


# --------------------------------------------------------------------------------------------- views


def _listing_params(request: Request) -> tuple[str, str]:
    sort = request.query_params.get("sort", "received")
    direction = request.query_params.get("dir", "desc")
    return sort, direction


def box_page(box: str):
    """The page view of one box of the 待办中心."""

    def view(request: Request) -> Response:
        if request.method == "POST":
            return _read_batch_page(request)
        return _render_box(request, box)

    view.__name__ = f"todo_{box}"
    view.__doc__ = f"待办中心 · {BOXES[box][0]}"
    return view


def _render_box(request: Request, box: str) -> Response:
    from officium.core.web.views import page_of, render, sort_query

    app = request.state.app
    user = request.state.user
    now = app.clock()
    filters, errors = parse_filters(app, request.query_params)
    columns = sort_columns(box)
    query, sorting = sort_query(request, box_query(box, user, filters, now), columns, "received", "desc")
    listing = page_of(request, query)
    lights = Lights.for_app(app)
    if box == "mine":
        rows = instance_rows(app, listing.items, lights)
    else:
        rows = [item_row(app, item, lights) for item in listing.items]
    return render(
        request,
        "core/workflow/todo.html",
        status_code=400 if errors else 200,
        box=box,
        boxes=BOXES,
        counts=box_counts(user),
        listing=listing,
        rows=rows,
        sorting=sorting,
        filters=filters,
        params=request.query_params,
        errors=errors,
        plugins=workflow_plugins(app),
        urgencies=list(URGENCIES.items()),
        breadcrumbs=[("待办中心", "/todo/"), (BOXES[box][0], "")] if box != "todo" else [("待办中心", "")],
    )


def _wanted_ids(raw: Any) -> list[int] | None:
    values = raw if isinstance(raw, list) else [raw] if raw not in (None, "") else []
    ids = []
    for value in values:
        text = str(value).strip()
        if not text.isdigit():
            return None
        ids.append(int(text))
    return list(dict.fromkeys(ids))


def mark_read(request: Request, ids: list[int]) -> int:
    """已阅 for several of the user's own reading items at once; returns how many were still open.

    An id that is not one of the user's reading items refuses the whole batch (404), changing nothing.
    """
    app = request.state.app
    user = request.state.user
    mine = {
        i.id: i
        for i in WorkItem.select().where(
            WorkItem.id.in_(ids) & (WorkItem.assignee == user.id) & (WorkItem.kind == "read")
        )
    }
    if len(mine) != len(ids):
        raise HTTPException(404, "找不到所选的待阅事项，可能已被收回。")
    still_open = [i for i in ids if mine[i].state == "open"]
    for item_id in still_open:
        engine.mark_read(app, item_id, user, request=request)
    return len(still_open)


def _read_batch_page(request: Request) -> Response:
    from officium.core.web.views import flash, redirect

    ids = _wanted_ids(request.state.form.get("ids"))
    back = BOXES["read"][1]
    if ids is None:
        raise HTTPException(400, "所选事项不正确。")
    if not ids:
        flash(request, "请先勾选要标记为已阅的文件。", "warn")
        return redirect(back)
    done = mark_read(request, ids)
    flash(request, f"已将 {done} 件文件标记为已阅。")
    return redirect(back)


def api_todo(request: Request) -> dict[str, Any]:
    """待办中心 lists: ``box`` = todo | done | read | readdone | mine, with ``plugin``, ``overdue=1``,
    ``urgency``, ``since``/``until`` (YYYY-MM-DD), ``sort`` = received | due, ``dir`` = asc | desc."""
    app = request.state.app
    params = request.query_params
    box = params.get("box", "todo")
    filters, errors = parse_filters(app, params)
    sort, direction = _listing_params(request)
    if box not in BOXES:
        errors["box"] = f"box 应为 {'、'.join(BOXES)} 之一。"
    if sort not in SORTS or (box == "mine" and sort != "received"):
        errors["sort"] = "sort 应为 received 或 due（我发起的只能按 received）。"
    if direction not in ("asc", "desc"):
        errors["dir"] = "dir 应为 asc 或 desc。"
    if errors:
        raise ApiError(400, "invalid_query", "查询参数不正确。", errors)
    now = app.clock()
    lights = Lights.for_app(app)
    query = order(box_query(box, request.state.user, filters, now), box, sort, direction)
    if box == "mine":
        # the current handlers of a whole page come in one query, not one per instance
        page, per_page = page_params(request)
        instances = list(query.paginate(page, per_page))
        items = [instance_json(row) for row in instance_rows(app, instances, lights)]
        return {"items": items, "page": page, "per_page": per_page, "total": query.count()}
    return paginate(request, query, lambda i: item_json(item_row(app, i, lights)))


def api_read(request: Request) -> dict[str, Any]:
    """Batch 已阅: ``{"ids": [...]}`` of the user's reading items; answers how many were marked."""
    body = request.state.json
    ids = _wanted_ids(body.get("ids")) if isinstance(body, dict) else None
    if not ids:
        raise ApiError(400, "invalid", "请提交要标记为已阅的事项。", {"ids": "应为待阅事项编号的列表。"})
    return {"marked": mark_read(request, ids)}
