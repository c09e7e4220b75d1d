"""The demo site has mail to try: a notice in 人事处's unit mailbox, a message to all of 办公室, a draft."""

from __future__ import annotations

from officium.core.bootstrap import DEMO_PASSWORD, seed_demo
from officium.core.identity.models import Unit
from officium.testing import app_client, login


def test_the_demo_site_has_sample_mail(site_factory):
    app = site_factory(plugins=["mail"])
    seed_demo(app)
    rsc = Unit.get(Unit.code == "RSC")
    with app_client(app) as client:
        login(client, "luoxia", DEMO_PASSWORD)  # 人事处's 综合人员 reads its unit mailbox
        unit_box = client.get("/api/v1/mail/messages", params={"box": f"unit{rsc.id}"}).json()["items"]
        assert [m["subject"] for m in unit_box] == ["关于报送2027年度防汛值班表的通知"]
        assert unit_box[0]["has_attachments"]
    with app_client(app) as client:
        login(client, "guoqiang", DEMO_PASSWORD)  # 办公室 staff
        assert "周例会安排" in client.get("/mail/").text
    with app_client(app) as client:
        login(client, "wufang", DEMO_PASSWORD)
        drafts = client.get("/api/v1/mail/messages", params={"box": "drafts"}).json()["items"]
        assert [m["subject"] for m in drafts] == ["（草稿）办公用品采购清单"]
