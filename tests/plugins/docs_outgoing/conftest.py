"""A small bureau for the 局发文 tests, one site shared by all of them (building a site takes seconds; the
tests do not interfere: each makes its own documents and asserts only about those).

局 (root, 局长 juzhang) → 办公室 (doc_office clerk wenshu), 人事处 (drafter nigao, leader renchu, 分管领导
fenguan), 财务处 (leader caiwu), 科技处 (leader keji).
"""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import pytest

from officium import hookimpl
from officium.core.db import write_transaction
from officium.core.identity.models import User
from officium.testing import (
    FakeClock,
    add_unit,
    add_user,
    app_client,
    close_site,
    login,
    make_plugin,
    make_site,
)


class Away:
    """外出授权 stand-in: the work of 副局长 zhengfu (away) goes to 局长 juzhang, who signs as 代; the seal
    custodian yinzhang is away too, but seal custody is never delegated."""

    @hookimpl
    def workflow_assignee(self, app, user, plugin):
        if user.username == "zhengfu":
            return User.get(User.username == "juzhang")
        if user.username == "yinzhang":
            return User.get(User.username == "wenshu")
        return None


#: The one site this folder's tests share, once made (see pytest_runtest_setup below).
_SHARED_SITE: list = []


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    """Point the global database proxy back at the shared site before each test here.

    The site lives for the whole session, but under ``pytest -n`` other test files run in the same worker
    between this folder's files, and each of their sites re-points the proxy at its own database; the
    shared clients would then find no session and be sent to the login page.
    """
    if _SHARED_SITE:
        from officium.core.db import database

        database.initialize(_SHARED_SITE[0].db)


@pytest.fixture(scope="session")
def bureau(tmp_path_factory):
    from argon2 import PasswordHasher

    import officium.core.identity.passwords as passwords

    # the accounts are hashed cheaply once; the real hasher is back before any test runs
    saved = passwords._HASHER
    passwords._HASHER = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    try:
        app, people, units = _populate(tmp_path_factory)
    finally:
        passwords._HASHER = saved
    _SHARED_SITE.append(app)
    ju, clock = units.ju, app.clock
    with write_transaction(app.db):
        from officium.plugins.docs_outgoing.models import Prefix

        Prefix.create(code="X检发", description="局发文", created_at=clock.now)
        Prefix.create(code="X检", description="上行文", direction="up", created_at=clock.now)
        from officium.plugins.seals import service as seals

        seal = seals.create_seal(
            app,
            seals.SealInput(
                unit=ju,
                name="江南出入境检验检疫局公章",
                kind="公章",
                custodian=people.yinzhang,
                valid_from=date(2026, 1, 1),
                valid_until=date(2030, 12, 31),
            ),
            people.juzhang,
        )
    site = SimpleNamespace(
        app=app,
        clock=clock,
        seal=seal,
        units=units,
        people=people,
    )
    yield site
    close_site(app)


def _populate(tmp_path_factory):
    """The site, its units and people (the accounts are hashed by whatever hasher is current)."""
    clock = FakeClock()
    app = make_site(
        tmp_path_factory.mktemp("docs_outgoing") / "site",
        plugins=["docs_outgoing", "docs_incoming", "seals"],
        clock=clock,
        extra_plugins=[make_plugin("away", Away())],
    )
    ju = add_unit(app, "JYJ", "江南出入境检验检疫局", kind="bureau")
    bgs = add_unit(app, "BGS", "办公室", parent=ju)
    rsc = add_unit(app, "RSC", "人事处", parent=ju)
    cwc = add_unit(app, "CWC", "财务处", parent=ju)
    kjc = add_unit(app, "KJC", "科技处", parent=ju)
    people = SimpleNamespace(
        juzhang=add_user(app, "juzhang", name="局长甲", unit=ju, roles=["leader"]),
        wenshu=add_user(app, "wenshu", name="文书乙", unit=bgs, roles=[("doc_office", None)]),
        nigao=add_user(app, "nigao", name="拟稿丙", unit=rsc),
        renchu=add_user(app, "renchu", name="处长丁", unit=rsc, roles=["leader"]),
        fenguan=add_user(app, "fenguan", name="副局长戊", unit=ju, roles=[("supervising_leader", rsc)]),
        caiwu=add_user(app, "caiwu", name="处长己", unit=cwc, roles=["leader"]),
        keji=add_user(app, "keji", name="处长庚", unit=kjc, roles=["leader"]),
        outsider=add_user(app, "outsider", name="旁人辛", unit=kjc),
        zhengfu=add_user(app, "zhengfu", name="副局长壬", unit=ju, roles=["deputy_leader"]),
        yinzhang=add_user(app, "yinzhang", name="印章保管人癸", unit=bgs),
    )
    return app, people, SimpleNamespace(ju=ju, bgs=bgs, rsc=rsc, cwc=cwc, kjc=kjc)


class Session:
    """A signed-in browser of one person: ``post`` adds the CSRF token; ``api`` posts JSON."""

    def __init__(self, client, token):
        self.client = client
        self.token = token

    def get(self, url, **kwargs):
        return self.client.get(url, **kwargs)

    def post(self, url, data=None, files=None, **kwargs):
        data = dict(data or {})
        data["csrf_token"] = self.token
        kwargs.setdefault("follow_redirects", False)
        return self.client.post(url, data=data, files=files, **kwargs)

    def api(self, url, payload=None):
        return self.client.post(url, json=payload or {}, headers={"X-CSRF-Token": self.token})


@pytest.fixture(scope="session")
def browsers(bureau):
    """``browsers("nigao")`` → a signed-in Session, one per person, kept for the session."""
    opened = {}
    contexts = []

    def open_for(username):
        if username not in opened:
            context = app_client(bureau.app)
            client = context.__enter__()
            contexts.append(context)
            opened[username] = Session(client, login(client, username))
        return opened[username]

    yield open_for
    for context in contexts:
        context.__exit__(None, None, None)


DRAFT = {
    "doc_type": "通知",
    "direction": "down",
    "urgency": "normal",
    "title": "江南出入境检验检疫局关于做好年度考核工作的通知",
    "main_to": "各处室、各分支局",
    "body": "一、总体要求\n做好考核工作。\n（一）考核范围\n全体在编人员。\n1.时间安排\n12月底前完成。",
    "issuer_name": "江南出入境检验检疫局",
    "countersign_mode": "none",
}


def draft(session, **changes):
    """Create a draft through the page; returns its id."""
    data = dict(DRAFT) | changes
    response = session.post("/docs_outgoing/new", data=data)
    assert response.status_code == 303, response.text[:2000]
    return int(response.headers["location"].rstrip("/").split("/")[-1])


def item_of(doc_id, username):
    """The open 待办 item of ``username`` on document ``doc_id`` (None when there is none)."""
    from officium.core.workflow.models import WorkItem
    from officium.plugins.docs_outgoing import service
    from officium.plugins.docs_outgoing.models import Document

    instance = service.instance_of(Document.get_by_id(doc_id))
    if instance is None:
        return None
    return (
        WorkItem.select()
        .join(User, on=(WorkItem.assignee == User.id))
        .where(
            (WorkItem.instance == instance)
            & (User.username == username)
            & (WorkItem.state == "open")
            & (WorkItem.kind == "todo")
        )
        .first()
    )


def approve(session, doc_id, username, opinion="同意。", expect=303):
    """``username`` approves their open item on the document through the core's action route."""
    item = item_of(doc_id, username)
    assert item is not None, f"{username} has no open item"
    response = session.post(f"/workflow/items/{item.id}/approve", data={"opinion": opinion})
    assert response.status_code == expect, response.text[:3000]
    return response


def step_of(doc_id):
    from officium.plugins.docs_outgoing import service
    from officium.plugins.docs_outgoing.models import Document

    instance = service.instance_of(Document.get_by_id(doc_id))
    return instance.step if instance is not None and instance.state == "running" else instance.state


def to_number(bureau, browsers, **changes):
    """A document drafted, checked, signed and reviewed, with its 文号 taken: it waits at 编号登记."""
    nigao, wenshu = browsers("nigao"), browsers("wenshu")
    doc_id = draft(nigao, **changes)
    assert nigao.post(f"/docs_outgoing/{doc_id}/submit").status_code == 303
    approve(browsers("renchu"), doc_id, "renchu")
    approve(wenshu, doc_id, "wenshu")
    approve(browsers("fenguan"), doc_id, "fenguan", "同意。")
    approve(wenshu, doc_id, "wenshu")
    assert wenshu.post(f"/docs_outgoing/{doc_id}/number", data={"prefix": "X检发"}).status_code == 303
    return doc_id


def to_issue(bureau, browsers, **changes):
    """... then 用印 applied by the custodian (rendering the PDF takes seconds): it waits at 核发/分发."""
    doc_id = to_number(bureau, browsers, **changes)
    wenshu = browsers("wenshu")
    requested = wenshu.post(f"/docs_outgoing/{doc_id}/seal-request", data={"seal": str(bureau.seal.id)})
    assert requested.status_code == 303
    approve(wenshu, doc_id, "wenshu")
    assert step_of(doc_id) == "seal"
    yinzhang = browsers("yinzhang")
    assert yinzhang.post(f"/docs_outgoing/{doc_id}/seal").status_code == 303
    approve(yinzhang, doc_id, "yinzhang", "已用印。")
    assert step_of(doc_id) == "issue"
    return doc_id
