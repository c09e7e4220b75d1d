"""The demo seals, and what happens when a custodian leaves."""

from __future__ import annotations

from officium.core.audit import AuditEntry
from officium.core.db import write_transaction
from officium.core.identity.access import roles_of
from officium.core.notifications import Notification
from officium.core.registry import UserChange
from officium.plugins.seals import demo
from officium.plugins.seals.models import Seal
from officium.testing import add_unit, add_user


def test_demo_seed_and_custodian_leaving(site_factory):
    app = site_factory(plugins=["seals"])
    ju = add_unit(app, "JYJ", "江南出入境检验检疫局", kind="bureau")
    bgs = add_unit(app, "BGS", "办公室", parent=ju)
    add_unit(app, "BGS-WS", "文书科", kind="section", parent=bgs)
    admin = add_user(app, "huangmin", name="黄敏", unit=bgs)
    keeper = add_user(app, "zhuxiaoyan", name="朱晓燕", unit=bgs)
    add_user(app, "guoqiang", name="郭强", unit=bgs)
    with write_transaction(app.db):
        assert demo.seed(app) == 2
        assert demo.seed(app) == 0  # a second run adds nothing
    assert "seal_admin" in roles_of(admin)
    bureau_seal = Seal.get(Seal.unit == ju)
    assert (bureau_seal.name, bureau_seal.kind, bureau_seal.custodian_id) == (
        "江南出入境检验检疫局",
        "公章",
        keeper.id,
    )

    with write_transaction(app.db):
        app.hook.user_changed(app=app, user=keeper, change=UserChange("left", bgs.id, bgs.id))
    note = Notification.get((Notification.user == admin) & (Notification.kind == "seals.custody"))
    assert "朱晓燕" in note.title and note.url == f"/seals/{bureau_seal.id}/edit"
    assert AuditEntry.select().where(AuditEntry.action == "seals.custodian_changed").count() == 1
    assert Seal.get_by_id(bureau_seal.id).custodian_id == keeper.id  # custody never passes by itself
