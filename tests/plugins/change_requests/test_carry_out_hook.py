"""Carrying a request out calls ``user_changed`` with the person and a UserChange describing the change."""

from __future__ import annotations

from officium import hookimpl
from officium.core.registry import UserChange
from officium.testing import add_unit, add_user, app_client, make_plugin

from .conftest import Desk, through


def test_carrying_out_reports_each_change_to_user_changed(site_factory):
    calls = []

    class Listener:
        @hookimpl
        def user_changed(self, app, user, change):
            calls.append((user.username, user.status, user.unit.code, change))

    app = site_factory(plugins=["change_requests"], extra_plugins=[make_plugin("listener", Listener())])
    rsc, cwc = add_unit(app, "RSC", "人事处"), add_unit(app, "CWC", "财务处")
    add_user(app, "itadmin", roles=[("sysadmin", None)])
    add_user(app, "zhou", unit=rsc, roles=["clerk"])
    add_user(app, "wang", unit=rsc, roles=["leader", "deputy_leader"])
    qian = add_user(app, "qian", unit=rsc)
    with app_client(app) as client:
        desk = Desk(client)
        through(
            desk, kind="role_change", role_person="qian", role_action="grant", role_role="clerk", reason="x"
        )
        through(
            desk,
            kind="transfer",
            transfer_person="qian",
            transfer_target_unit="CWC",
            transfer_position="科员",
            transfer_move_roles=["clerk"],
            reason="x",
        )
        desk.as_("wang")  # 财务处 has no leader: 钱程's departure is filed there by himself, its clerk now
        add_user(app, "zhao", unit=cwc, roles=["leader"])
        through(desk, leader="zhao", clerk="qian", kind="departure", departure_person="qian", reason="x")
    assert calls == [
        ("qian", "active", "RSC", UserChange("roles", rsc.id, rsc.id, granted=(("clerk", rsc.id),))),
        (
            "qian",
            "active",
            "CWC",
            UserChange(
                "transfer", rsc.id, cwc.id, granted=(("clerk", cwc.id),), revoked=(("clerk", rsc.id),)
            ),
        ),
        ("qian", "left", "CWC", UserChange("left", cwc.id, cwc.id)),
    ]
    assert qian.id
