"""A small bureau with the search plugin and a test module ("memo") that feeds the index.

One site is shared by the tests of a module (they only add saved searches of their own and entries with
their own ids), so the suite stays fast on both databases.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from officium import Permission, SearchSource, hookimpl
from officium.core.db import database, write_transaction
from officium.core.search import Readers, SearchEntry, index_entry
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

#: What the memo module "has" (its reindex yields these).
MEMOS: list[SearchEntry] = []


class MemoHooks:
    @hookimpl
    def register_search_sources(self, app):
        return [SearchSource("memo.note", "内部备忘", lambda app: iter(list(MEMOS)))]

    @hookimpl
    def register_permissions(self, app):
        return [Permission("memo.read_all", "查阅全部备忘", default_roles=("leader",))]


def memo(
    record_id: str, title: str, *, body: str = "", readers: Readers | None = None, **fields: Any
) -> SearchEntry:
    return SearchEntry(
        "memo.note",
        record_id,
        title,
        f"/memo/{record_id}",
        body=body,
        fields=fields,
        readers=readers or Readers(everyone=True),
    )


def put(app, *entries: SearchEntry) -> None:
    with write_transaction(app.db):
        for entry in entries:
            index_entry(app, entry)


@dataclass
class Office:
    app: Any
    units: dict[str, Any] = field(default_factory=dict)
    people: dict[str, Any] = field(default_factory=dict)
    clients: dict[str, Any] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)

    def as_(self, username: str):
        """A signed-in test client of ``username`` (one per person, kept for the module)."""
        if username not in self.clients:
            cm = app_client(self.app)
            client = cm.__enter__()
            client._cm = cm  # type: ignore[attr-defined]
            self.tokens[username] = login(client, username)
            self.clients[username] = client
        return self.clients[username]

    def post(self, username: str, url: str, data: dict[str, Any]):
        client = self.as_(username)
        return client.post(url, data={**data, "csrf_token": self.tokens[username]}, follow_redirects=False)


@pytest.fixture(scope="module")
def office(tmp_path_factory):
    app = make_site(
        tmp_path_factory.mktemp("search"),
        plugins=["search"],
        extra_plugins=[make_plugin("memo", MemoHooks(), title="内部备忘")],
        clock=FakeClock(),
    )
    ju = add_unit(app, "ju", "江西检验检疫局", kind="bureau")
    bgs = add_unit(app, "bgs", "办公室", parent=ju)
    xxh = add_unit(app, "xxh", "信息化处", parent=ju)
    o = Office(app, units={"ju": ju, "bgs": bgs, "xxh": xxh})
    o.people = {
        "wu": add_user(app, "wu", name="吴文书", unit=bgs),
        "fan": add_user(app, "fan", name="范处长", unit=xxh, roles=["leader"]),
        "sysadmin": add_user(app, "sysadmin", name="系统管理员", unit=xxh, roles=["sysadmin"]),
    }
    put(
        app,
        memo(
            "m1",
            "关于做好春节期间休假安排的通知",
            body="各处室：春节休假按赣检办发〔2026〕3号文件执行。",
            doc_number="赣检办发〔2026〕3号",
            issuer_unit="江西检验检疫局",
            doc_type="通知",
            urgency="加急",
            date="2026-01-15",
            unit_id=bgs.id,
        ),
        memo(
            "m2",
            "信息化处工作总结",
            body="全年运维工作，休假制度落实情况。",
            doc_type="报告",
            date="2025-12-20",
            unit_id=xxh.id,
            readers=Readers(units=[xxh]),
        ),
        memo(
            "m3",
            "领导批示汇总",
            body="关于休假的批示。",
            date="2026-02-01",
            readers=Readers(permissions=["memo.read_all"]),
        ),
        *[
            memo(f"p{i:02d}", f"例行周报第{i}期", body="本周检验检疫工作情况。", date=f"2026-01-{i + 1:02d}")
            for i in range(25)
        ],
    )
    yield o
    for client in o.clients.values():
        client._cm.__exit__(None, None, None)
    close_site(app)


@pytest.fixture(autouse=True)
def bound(office):
    """Tests that make a site of their own rebind the database proxy; point it back at the shared site."""
    database.initialize(office.app.db)
