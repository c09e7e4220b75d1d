"""The demo site: the bulletin plugin's ``seed_demo`` makes 吴芳 of 办公室 the 公告管理员, who sets up the
columns and approves the announcements of the columns the office reviews."""

from __future__ import annotations

from officium.core.bootstrap import DEMO_PASSWORD, seed_demo
from officium.core.identity.models import RoleGrant, User
from officium.testing import app_client, login


def test_hook_seed_demo(site_factory, clock):
    app = site_factory(plugins=["bulletin"])
    seed_demo(app)
    wufang = User.get(User.username == "wufang")
    assert (
        RoleGrant.select().where((RoleGrant.user == wufang) & (RoleGrant.role == "bulletin_admin")).exists()
    )
    with app_client(app) as client:
        login(client, "wufang", DEMO_PASSWORD)
        columns = client.get("/bulletin/columns")
        assert columns.status_code == 200 and "规章制度" in columns.text
        login(client, "hujing", DEMO_PASSWORD)
        assert client.get("/bulletin/columns").status_code in (403, 404)
