"""Read receipts and 必读: the first read is recorded, readers confirm with one click, the dashboard shows
what they still have to confirm, the publisher sees who read it per unit and reminds the others (by hand and
by the periodic job)."""

from __future__ import annotations

import io
from datetime import timedelta

from openpyxl import load_workbook

from officium.core.jobs import run_due_jobs
from officium.core.notifications import Notification
from officium.plugins.bulletin.models import Receipt
from tests.plugins.bulletin.conftest import api, board_ids, draft, make_column


def _reminded(title: str) -> set[str]:
    return {
        n.user.username
        for n in Notification.select().where(
            (Notification.kind == "bulletin.remind") & Notification.title.contains(title)
        )
    }


def test_first_read_is_recorded_once_and_unread_markers_go(bureau, people):
    column = make_column(people("wu"), "回执栏目", readers={"units": ["RSC"]})
    notice = draft(people("zhou"), column, "普通通知", submit=True)
    qian = people("qian")
    listed = api(qian, "GET", "/announcements", params={"column": column}).json()["items"]
    assert [(r["id"], r["read"]) for r in listed] == [(notice["id"], False)]
    assert notice["id"] in board_ids(qian, unread=1)
    assert 'data-testid="unread"' in qian.get(f"/bulletin/?column={column}").text

    first = bureau.clock.now
    assert qian.get(f"/bulletin/{notice['id']}").status_code == 200
    bureau.clock.advance(minutes=5)
    assert qian.get(f"/bulletin/{notice['id']}").status_code == 200
    receipt = Receipt.get((Receipt.announcement == notice["id"]) & (Receipt.user == bureau.qian.id))
    assert receipt.read_at == first
    # its author (one of 人事处's readers) counts as having read it from the start; qian's one receipt stays
    readers = {r.user_id: r for r in Receipt.select().where(Receipt.announcement == notice["id"])}
    assert set(readers) == {bureau.qian.id, bureau.zhou.id}
    assert notice["id"] not in board_ids(qian, unread=1)
    assert 'data-testid="unread"' not in qian.get(f"/bulletin/?column={column}").text


def test_must_read_confirmation_and_the_dashboard(bureau, people):
    column = make_column(people("wu"), "必读栏目", readers={"units": ["RSC"]})
    notice = draft(people("zhou"), column, "必读：安全生产通知", must_read=True, submit=True)
    qian = people("qian")
    home = qian.get("/").text
    assert 'data-testid="bulletin-must-read"' in home and "必读：安全生产通知" in home
    # the latest list below the 必读 one has a heading of its own, so the same title twice reads as two lists
    assert "<strong>最新公告：</strong>" in home.split('data-testid="bulletin-must-read"')[1]
    page = qian.get(f"/bulletin/{notice['id']}").text
    assert 'data-testid="confirm"' in page
    assert notice["id"] in board_ids(qian, must=1)

    done = qian.post(
        f"/bulletin/{notice['id']}/confirm", data={"csrf_token": qian.csrf}, follow_redirects=False
    )
    assert done.status_code == 303
    receipt = Receipt.get((Receipt.announcement == notice["id"]) & (Receipt.user == bureau.qian.id))
    assert receipt.confirmed_at == bureau.clock.now
    assert 'data-testid="confirmed"' in qian.get(f"/bulletin/{notice['id']}").text
    assert notice["id"] not in board_ids(qian, must=1)
    assert "必读：安全生产通知" not in qian.get("/").text.split('data-testid="bulletin-latest"')[0]

    # one click through the API too; someone outside the scope cannot confirm
    ke = people("ke")
    assert api(ke, "POST", f"/announcements/{notice['id']}/confirm").json()["confirmed_at"] is not None
    assert api(people("sun"), "POST", f"/announcements/{notice['id']}/confirm").status_code == 404


def test_read_report_per_unit_and_manual_reminder(bureau, people):
    column = make_column(people("wu"), "报告栏目", readers={"units": ["RSC", "CWC"]})
    zhou = people("zhou")
    notice = draft(zhou, column, "请各处室报送材料", must_read=True, submit=True)
    people("qian").get(f"/bulletin/{notice['id']}")  # read, not confirmed
    sun = people("sun")
    sun.post(f"/bulletin/{notice['id']}/confirm", data={"csrf_token": sun.csrf})

    report = api(zhou, "GET", f"/announcements/{notice['id']}/readers").json()
    units = {u["unit"]: u for u in report["units"]}
    assert set(units) == {"RSC", "RSC1", "CWC"}
    assert (units["CWC"]["total"], units["CWC"]["read"], units["CWC"]["confirmed"]) == (3, 1, 1)
    assert (units["RSC"]["read"], units["RSC"]["confirmed"]) == (2, 1)  # qian read it; zhou wrote it
    page = zhou.get(f"/bulletin/{notice['id']}/readers?unit=RSC").text
    exported = zhou.get(f"/bulletin/{notice['id']}/readers?export=xlsx")
    assert exported.status_code == 200
    sheet = load_workbook(io.BytesIO(exported.content)).active
    lines = {row[1]: row for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert lines["孙会计"][3] != "未读" and lines["孙会计"][4] != "未确认"
    assert lines["柯科员"][3:] == ("未读", "未确认")
    assert people("qian").get(f"/bulletin/{notice['id']}/readers?export=xlsx").status_code == 404
    assert "赵处长" in page and 'data-testid="people"' in page
    # readers cannot see the report
    assert people("qian").get(f"/bulletin/{notice['id']}/readers").status_code == 404
    assert api(people("ke"), "GET", f"/announcements/{notice['id']}/readers").status_code == 404

    reminded = zhou.post(
        f"/bulletin/{notice['id']}/remind", data={"csrf_token": zhou.csrf}, follow_redirects=False
    )
    assert reminded.status_code == 303
    told = _reminded("请各处室报送材料")
    assert "qian" in told  # read but did not confirm
    assert "ke" in told and "zhao" in told and "li" in told
    assert "sun" not in told  # confirmed
    assert "wu" not in told  # 办公室 is not a reader


def test_the_periodic_job_reminds_unconfirmed_readers(bureau, people):
    column = make_column(people("wu"), "定期提醒栏目", readers={"units": ["CWC"]})
    notice = draft(people("li"), column, "财务制度必读", must_read=True, submit=True)
    sun = people("sun")
    sun.post(f"/bulletin/{notice['id']}/confirm", data={"csrf_token": sun.csrf})
    clock = bureau.clock
    run_due_jobs(bureau.app, clock.now)
    assert _reminded("财务制度必读") == set()  # not a day old yet

    clock.advance(hours=24)
    run_due_jobs(bureau.app, clock.now)
    assert _reminded("财务制度必读") == {"zhao"}  # sun confirmed; li wrote it
    about_it = Notification.select().where(
        (Notification.kind == "bulletin.remind") & Notification.title.contains("财务制度必读")
    )
    assert about_it.count() == 1
    clock.advance(hours=1)
    run_due_jobs(bureau.app, clock.now)  # not again within the interval
    assert about_it.count() == 1

    clock.advance(hours=23)
    run_due_jobs(bureau.app, clock.now)  # a day after the first reminder: again
    assert about_it.count() == 2  # zhao, twice

    zhao = people("zhao")
    zhao.post(f"/bulletin/{notice['id']}/confirm", data={"csrf_token": zhao.csrf})
    clock.advance(hours=24)
    run_due_jobs(bureau.app, clock.now + timedelta(minutes=1))  # everybody confirmed: nobody is told
    assert about_it.count() == 2
