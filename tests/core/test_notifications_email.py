"""E-mail notifications through a real SMTP server (aiosmtpd on 127.0.0.1), and the ``[smtp]`` settings."""

from __future__ import annotations

import email
import email.policy
import socket
from collections.abc import Iterator
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller

from officium.core.app import create_app
from officium.core.config import SiteConfig
from officium.core.db import write_transaction
from officium.core.errors import ConfigError
from officium.core.jobs import JobRun, run_due_jobs
from officium.core.notifications import (
    MAX_ATTEMPTS,
    EmailOutbox,
    Notification,
    NotificationAddress,
    notify,
    send_pending_emails,
)
from officium.testing import add_user, app_client, login


class Inbox:
    """An aiosmtpd handler keeping every message it was given."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], email.message.EmailMessage]] = []
        self.refuse = False

    async def handle_DATA(self, server, session, envelope):
        if self.refuse:
            return "550 mailbox unavailable"
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), parsed))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def _reload(app, clock, extra: str):
    """The same site, restarted with more lines in officium.toml."""
    path = app.config.site_dir / "officium.toml"
    path.write_text(path.read_text(encoding="utf-8") + extra, encoding="utf-8")
    return create_app(SiteConfig.load(app.config.site_dir), clock=clock)


@pytest.fixture
def mail_site(app, clock, smtp_server):
    inbox, port = smtp_server
    site = _reload(
        app,
        clock,
        f'\n[smtp]\nhost = "127.0.0.1"\nport = {port}\nfrom = "oa@example.gov.cn"\nsite_url = "https://oa.example.gov.cn"\n',
    )
    yield site, inbox
    if hasattr(site.db, "close_all"):
        site.db.close_all()
    else:
        site.db.close()


def _with_address(app, username, address="zhang@example.gov.cn"):
    user = add_user(app, username)
    with write_transaction(app.db):
        NotificationAddress.create(user=user, email=address)
    return user


def test_an_email_is_queued_in_the_transaction_and_sent_by_the_job(mail_site, clock):
    app, inbox = mail_site
    zhang = _with_address(app, "zhang")
    with write_transaction(app.db):
        notify(app, zhang, "core.work_urge", "催办：《关于会议的请示》", url="/flows/1", body="请今天签批。")
    assert inbox.messages == []  # nothing is sent inside the request
    (queued,) = EmailOutbox.select()
    assert queued.sent_at is None and queued.to_addr == "zhang@example.gov.cn"
    outcomes = {o.name: o for o in run_due_jobs(app, clock())}
    assert outcomes["core.send_email"].ok and "发送 1 封邮件" in outcomes["core.send_email"].message
    ((sender, recipients, message),) = inbox.messages
    assert sender == "oa@example.gov.cn" and recipients == ["zhang@example.gov.cn"]
    assert message["Subject"] == "催办：《关于会议的请示》"
    text = message.get_content()
    assert "请今天签批。" in text and "https://oa.example.gov.cn/flows/1" in text
    assert EmailOutbox.get_by_id(queued.id).sent_at == clock()
    # the next run sends nothing more
    clock.advance(minutes=1)
    run_due_jobs(app, clock())
    assert len(inbox.messages) == 1


def test_no_email_without_an_address_or_when_the_user_chose_the_inbox_only(mail_site, clock):
    app, _inbox = mail_site
    nobody = add_user(app, "nobody")  # no address
    zhang = _with_address(app, "zhang")
    with write_transaction(app.db):
        notify(app, nobody, "core.work_urge", "没有邮箱")
        notify(app, zhang, "core.work_new", "新待办默认只在站内提醒")
    assert EmailOutbox.select().count() == 0
    assert Notification.select().count() == 2


def test_preferences_page_sets_the_address_and_the_email_channel(mail_site, clock):
    app, inbox = mail_site
    zhang = add_user(app, "zhang")
    with app_client(app) as client:
        token = login(client, "zhang")
        page = client.get("/notifications/preferences").text
        assert "接收提醒的电子邮箱" in page and "本站没有配置邮件服务器" not in page
        bad = client.post("/notifications/preferences", data={"csrf_token": token, "email": "不是邮箱"})
        assert bad.status_code == 400 and "请填写正确的电子邮箱地址" in bad.text
        assert NotificationAddress.select().count() == 0
        good = {"csrf_token": token, "email": "zhang@example.gov.cn", "core.work_new:email": "1"}
        assert client.post("/notifications/preferences", data=good).status_code == 200
    with write_transaction(app.db):
        note = notify(app, zhang, "core.work_new", "只发邮件")
    assert note is None  # the inbox box was left unticked
    run_due_jobs(app, clock())
    ((_, recipients, message),) = inbox.messages
    assert recipients == ["zhang@example.gov.cn"] and message["Subject"] == "只发邮件"


def test_a_refused_message_is_retried_later_then_given_up(mail_site, clock):
    app, inbox = mail_site
    zhang = _with_address(app, "zhang")
    inbox.refuse = True
    with write_transaction(app.db):
        notify(app, zhang, "core.work_urge", "会被拒收")
    with pytest.raises(RuntimeError, match="失败"):
        send_pending_emails(app)
    row = EmailOutbox.get()
    assert row.attempts == 1 and row.sent_at is None and "550" in row.last_error
    assert row.next_try_at == clock() + timedelta(minutes=2)
    assert send_pending_emails(app) == "没有待发送的邮件。"  # not yet time to retry
    inbox.refuse = False
    clock.advance(minutes=2)
    assert "发送 1 封邮件" in send_pending_emails(app)
    assert EmailOutbox.get().sent_at is not None
    # a message that keeps failing stops being tried after MAX_ATTEMPTS
    with write_transaction(app.db):
        EmailOutbox.update(sent_at=None, attempts=MAX_ATTEMPTS).execute()
    assert send_pending_emails(app) == "没有待发送的邮件。"


def test_an_unreachable_server_fails_the_run_and_keeps_the_mail(app, clock):
    port = _free_port()  # nobody listens there
    site = _reload(app, clock, f'\n[smtp]\nhost = "127.0.0.1"\nport = {port}\nfrom = "oa@example.gov.cn"\ntimeout = 2\n')
    try:
        zhang = _with_address(site, "zhang")
        with write_transaction(site.db):
            notify(site, zhang, "core.work_urge", "服务器不通")
        outcomes = {o.name: o for o in run_due_jobs(site, clock())}
        assert not outcomes["core.send_email"].ok and "连接邮件服务器" in outcomes["core.send_email"].message
        run = JobRun.get(JobRun.name == "core.send_email")
        assert run.ok is False and run.finished_at is not None
        row = EmailOutbox.get()
        assert row.sent_at is None and row.attempts == 1
    finally:
        site.db.close_all() if hasattr(site.db, "close_all") else site.db.close()


def test_without_smtp_nothing_is_queued(app):
    zhang = _with_address(app, "zhang")
    with write_transaction(app.db):
        notify(app, zhang, "core.work_urge", "没有邮件服务器")
    assert EmailOutbox.select().count() == 0
    assert send_pending_emails(app) == "未配置 SMTP，不发送邮件。"


# ---------------------------------------------------------------------------------------- settings


def _load(tmp_path, text: str, monkeypatch=None) -> SiteConfig:
    (tmp_path / "officium.toml").write_text(f'secret = "{"s" * 40}"\n' + text, encoding="utf-8")
    return SiteConfig.load(tmp_path)


def test_smtp_settings_are_read_with_the_password_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("OA_SMTP_PASSWORD", "s3cret")
    config = _load(
        tmp_path,
        '[smtp]\nhost = "mail.example.gov.cn"\nport = 587\nfrom = "oa@example.gov.cn"\nstarttls = true\n'
        'username = "oa"\npassword = { "$env" = "OA_SMTP_PASSWORD" }\n',
    )
    smtp = config.smtp
    assert (smtp.host, smtp.port, smtp.sender, smtp.starttls, smtp.username, smtp.password) == (
        "mail.example.gov.cn",
        587,
        "oa@example.gov.cn",
        True,
        "oa",
        "s3cret",
    )
    assert _load(tmp_path, "").smtp is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[smtp]\nfrom = "oa@example.gov.cn"\n', "缺少 host"),
        ('[smtp]\nhost = "m"\nfrom = "oa"\n', "from 应为发件地址"),
        ('[smtp]\nhost = "m"\nfrom = "oa@x.cn"\nport = "25"\n', "port 应为整数"),
        ('[smtp]\nhost = "m"\nfrom = "oa@x.cn"\nport = 70000\n', "1–65535"),
        ('[smtp]\nhost = "m"\nfrom = "oa@x.cn"\nstarttls = true\nssl = true\n', "只能开启一个"),
        ('[smtp]\nhost = "m"\nfrom = "oa@x.cn"\npassword = "x"\n', "没有 username"),
        ('[smtp]\nhost = "m"\nfrom = "oa@x.cn"\nsender = "x"\n', "未知的配置项：sender"),
        ('[smtp]\nhost = "m"\nfrom = "oa@x.cn"\nsite_url = "oa.example.gov.cn"\n', "site_url 应以 http"),
        ('[smtp]\nhost = "m"\nfrom = "oa@x.cn"\npassword = { "$env" = "OA_NOT_SET_ANYWHERE" }\n', "OA_NOT_SET_ANYWHERE"),
        ('smtp = "mail.example.gov.cn"\n', "应为表"),
    ],
)
def test_bad_smtp_settings_name_the_key(tmp_path, text, message):
    with pytest.raises(ConfigError, match=message):
        _load(tmp_path, text)
