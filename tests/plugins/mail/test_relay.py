"""External addresses: refused unless the site relays them for chosen users (text only, no attachments)."""

from __future__ import annotations

from dataclasses import replace

from officium.core.config import SmtpConfig
from officium.core.notifications import EmailOutbox
from officium.testing import add_unit, add_user, app_client, login


def test_relay_for_chosen_users_only(site_factory):
    app = site_factory(plugins=["mail"], settings={"mail": {"relay_users": ["qian"]}})
    unit = add_unit(app, "RSC", "人事处")
    add_user(app, "qian", name="钱进", unit=unit)
    add_user(app, "sun", name="孙丽", unit=unit)
    body = {"to": "partner@example.com", "subject": "会议回执", "body": "<p>准时参加。</p>"}
    with app_client(app) as client:
        token = login(client, "qian")
        refused = client.post("/api/v1/mail/messages", json=body, headers={"X-CSRF-Token": token})
        assert (
            refused.status_code == 400 and "外部地址" in refused.json()["error"]["fields"]["to"]
        )  # no [smtp]
        app.config = replace(app.config, smtp=SmtpConfig(host="127.0.0.1", sender="oa@example.gov.cn"))
        sent = client.post("/api/v1/mail/messages", json=body, headers={"X-CSRF-Token": token})
        assert sent.status_code == 201, sent.text
        queued = EmailOutbox.get(EmailOutbox.to_addr == "partner@example.com")
        assert queued.subject == "会议回执" and "准时参加" in queued.body
        files = {"attachments": ("议程.txt", b"agenda", "text/plain")}
        with_file = client.post(
            "/mail/compose", data={**body, "csrf_token": token}, files=files, follow_redirects=False
        )
        assert with_file.status_code == 400 and "带附件的邮件不能发往外部地址" in with_file.text
    with app_client(app) as client:
        token = login(client, "sun")
        other = client.post("/api/v1/mail/messages", json=body, headers={"X-CSRF-Token": token})
        assert other.status_code == 400
    assert EmailOutbox.select().count() == 1
