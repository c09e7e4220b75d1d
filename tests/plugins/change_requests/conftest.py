"""A small bureau for the change-request tests: 局 → 办公室, 人事处, 财务处, 信息化处; clerks, leaders, the
system administrator, and a test workflow ("flows") whose work items can be held by the people who change."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from officium import hookimpl
from officium.core.db import write_transaction
from officium.core.identity.models import Unit, User
from officium.core.workflow import engine
from officium.core.workflow.definition import Step, Workflow, role, unit_leader, users
from officium.core.workflow.models import Instance, WorkItem
from officium.testing import add_unit, add_user, login, make_plugin

#: A test module with work for the people of 人事处: a fixed person, the unit's clerk, then the leader.
MEMO = Workflow(
    "memo",
    "内部事项",
    steps=(
        Step("check", "经办人核对", users("qian")),
        Step("clerk", "综合人员登记", role("clerk")),
        Step("lead", "负责人审批", unit_leader()),
    ),
)


class FlowHooks:
    @hookimpl
    def register_workflows(self, app):
        return [MEMO]


@dataclass
class Bureau:
    ju: Unit
    bgs: Unit
    rsc: Unit
    cwc: Unit
    xxh: Unit
    admin: User  # 系统管理员 (信息化处 carries requests out)
    zhou: User  # 综合人员 of 人事处
    wang: User  # 单位负责人 of 人事处
    qian: User  # 工作人员 of 人事处
    sun: User  # 工作人员 of 人事处, 单位副职
    li: User  # 综合人员 of 财务处
    zhao: User  # 单位负责人 of 财务处
    liu: User  # 单位负责人 of 办公室
    wu: User  # 综合人员 of 办公室
    fan: User  # 单位负责人 of 信息化处


@pytest.fixture
def app(site_factory):
    return site_factory(plugins=["change_requests"], extra_plugins=[make_plugin("flows", FlowHooks())])


@pytest.fixture
def bureau(app) -> Bureau:
    return build_bureau(app)


@pytest.fixture
def core_app(site_factory):
    """A site without the change_requests plugin: only the core and the test workflow."""
    return site_factory(extra_plugins=[make_plugin("flows", FlowHooks())])


@pytest.fixture
def core_bureau(core_app) -> Bureau:
    return build_bureau(core_app)


def build_bureau(app) -> Bureau:
    ju = add_unit(app, "JU", "江南局", kind="bureau")
    bgs = add_unit(app, "BGS", "办公室", parent=ju)
    rsc = add_unit(app, "RSC", "人事处", parent=ju)
    cwc = add_unit(app, "CWC", "财务处", parent=ju)
    xxh = add_unit(app, "XXH", "信息化处", parent=ju)
    return Bureau(
        ju=ju,
        bgs=bgs,
        rsc=rsc,
        cwc=cwc,
        xxh=xxh,
        admin=add_user(app, "itadmin", name="系统管理员", roles=[("sysadmin", None)]),
        zhou=add_user(app, "zhou", name="周静", unit=rsc, roles=["clerk"]),
        wang=add_user(app, "wang", name="王处长", unit=rsc, roles=["leader"]),
        qian=add_user(app, "qian", name="钱程", unit=rsc),
        sun=add_user(app, "sun", name="孙立", unit=rsc, roles=["deputy_leader"]),
        li=add_user(app, "li", name="李会计", unit=cwc, roles=["clerk"]),
        zhao=add_user(app, "zhao", name="赵处长", unit=cwc, roles=["leader"]),
        liu=add_user(app, "liu", name="刘主任", unit=bgs, roles=["leader"]),
        wu=add_user(app, "wu", name="吴芳", unit=bgs, roles=["clerk"]),
        fan=add_user(app, "fan", name="范处长", unit=xxh, roles=["leader"]),
    )


def start_memo(app, drafter: User, object_id: int = 1) -> Instance:
    """A 内部事项 of 人事处 whose first step is with 钱程."""
    with write_transaction(app.db):
        return engine.start(
            app,
            "flows.memo",
            object_type="memo",
            object_id=object_id,
            title=f"内部事项 {object_id}",
            url=f"/flows/{object_id}",
            drafter=drafter,
        )


def open_items(instance: Instance) -> dict[str, WorkItem]:
    query = WorkItem.select().where(
        (WorkItem.instance == instance) & (WorkItem.kind == "todo") & WorkItem.state.in_(("open", "waiting"))
    )
    return {i.assignee.username: i for i in query}


class Desk:
    """One browser that signs in as whoever acts next and posts the request pages' forms."""

    def __init__(self, client):
        self.client = client
        self.who = ""
        self.token = ""

    def as_(self, username: str) -> Desk:
        if self.who != username:
            self.client.cookies.clear()
            self.token = login(self.client, username)
            self.who = username
        return self

    def get(self, url: str, **kwargs):
        return self.client.get(url, **kwargs)

    def post(self, url: str, data: dict | None = None, **kwargs):
        kwargs.setdefault("follow_redirects", False)
        return self.client.post(url, data={**(data or {}), "csrf_token": self.token}, **kwargs)

    def api(self, method: str, url: str, json: dict | None = None):
        return self.client.request(method, url, json=json, headers={"X-CSRF-Token": self.token})

    def file(self, **fields) -> int:
        """File a request through the form; return its id."""
        response = self.post("/change_requests/new", fields)
        assert response.status_code == 303, response.text
        return int(response.headers["location"].split("/")[-1].split("?")[0])

    def approve(self, change_id: int, opinion: str = "同意。"):
        response = self.post(f"/change_requests/{change_id}/approve", {"opinion": opinion})
        assert response.status_code == 303, response.text
        return response

    def carry_out(self, change_id: int, opinion: str = ""):
        return self.post(f"/change_requests/{change_id}/carry-out", {"opinion": opinion})


@pytest.fixture
def desk(app, bureau):
    from officium.testing import app_client

    with app_client(app) as client:
        yield Desk(client)


def through(desk: Desk, leader: str = "wang", clerk: str = "zhou", **fields):
    """File as ``clerk``, approve as ``leader``, carry out as the system administrator; return (id, response)."""
    change_id = desk.as_(clerk).file(**fields)
    desk.as_(leader).approve(change_id)
    response = desk.as_("itadmin").carry_out(change_id)
    assert response.status_code == 200, response.text
    return change_id, response
