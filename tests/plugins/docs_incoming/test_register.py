"""Registration: the fields, the 收文编号 (per unit and year, across a year boundary, under concurrency), the
duplicate warning, time limits in working days across National Day 2026, the 登记簿's filters and export,
the JSON API, and the intake of documents distributed inside the bureau."""

from __future__ import annotations

import base64
import io
import threading
from contextlib import contextmanager
from datetime import date, datetime

import pytest
from openpyxl import load_workbook
from playhouse.schema_diff import diff_models

from officium.core.db import write_transaction
from officium.core.files import attachments_of, save_upload
from officium.core.notifications import Notification
from officium.plugins.docs_incoming import service
from officium.plugins.docs_incoming.constants import DOC_TYPES
from officium.plugins.docs_incoming.models import IncomingDocument
from officium.testing import app_client, login
from tests.plugins.docs_incoming.conftest import form


@contextmanager
def signed_in(site, username="wu"):
    """A fresh session (moving the clock by days ends the earlier ones)."""
    with app_client(site) as c:
        c.token = login(c, username)
        yield c


@pytest.fixture
def client(site):
    with signed_in(site) as c:
        yield c


def register(client, **fields):
    return client.post("/docs_incoming/new", data=form(client.token, **fields), follow_redirects=False)


def test_migrations_match_the_models(site):
    assert not diff_models(site.db, site.registry.models["docs_incoming"])


def test_the_fifteen_types_of_the_regulation():
    assert len(DOC_TYPES) == 15
    assert DOC_TYPES[0] == "决议" and DOC_TYPES[-1] == "纪要" and "命令(令)" in DOC_TYPES


def test_bad_input_is_shown_beside_the_fields_and_stores_nothing(site, bureau, client):
    before = IncomingDocument.select().count()
    response = register(
        client, title="", doc_type="便函", urgency="very_urgent", copies="0", classification=""
    )
    assert response.status_code == 400
    for name in ("title", "doc_type", "copies", "due_date", "classification"):
        assert f'id="f-{name}-error"' in response.text, name
    assert "特急公文必须明确办理时限" in response.text
    assert IncomingDocument.select().count() == before


def test_numbers_follow_the_rule_and_restart_in_a_new_year(site, bureau, module_clock):
    module_clock.now = datetime(2026, 12, 31, 16, 0)
    with signed_in(site) as client:
        assert register(client, doc_number="年末〔2026〕1号").status_code == 303
    last = IncomingDocument.get(IncomingDocument.doc_number == "年末〔2026〕1号")
    assert last.year == 2026 and last.number == f"收〔2026〕{last.seq}号"
    module_clock.now = datetime(2027, 1, 4, 9, 0)
    with signed_in(site) as client:
        assert register(client, doc_number="年初〔2027〕1号").status_code == 303
        first = IncomingDocument.get(IncomingDocument.doc_number == "年初〔2027〕1号")
        assert (first.year, first.seq, first.number) == (2027, 1, "收〔2027〕1号")
        assert register(client, doc_number="年初〔2027〕2号").status_code == 303
    assert IncomingDocument.get(IncomingDocument.doc_number == "年初〔2027〕2号").number == "收〔2027〕2号"
    # another unit keeps its own register
    with signed_in(site, "zhou") as other:
        assert register(other, doc_number="人事〔2027〕1号").status_code == 303
    assert IncomingDocument.get(IncomingDocument.doc_number == "人事〔2027〕1号").seq == 1


def test_concurrent_registrations_never_share_a_number(site, bureau):
    unit, actor = bureau.cwc, bureau.li
    errors: list[BaseException] = []
    barrier = threading.Barrier(6)

    def worker(n: int) -> None:
        try:
            barrier.wait()
            for k in range(4):
                with write_transaction(site.db):
                    service.register(
                        site,
                        unit=unit,
                        actor=actor,
                        data={
                            "from_unit": "并发测试",
                            "doc_number": f"并发〔{n}〕{k}号",
                            "title": "并发登记",
                            "doc_type": "函",
                            "classification": "非涉密",
                        },
                    )
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)
        finally:
            site.db.close()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    seqs = sorted(d.seq for d in IncomingDocument.select().where(IncomingDocument.unit == unit))
    assert seqs == list(range(1, 25))


def test_a_duplicate_is_a_warning_the_clerk_can_confirm_past(site, bureau, module_clock):
    module_clock.now = datetime(2027, 2, 1, 9, 0)
    with signed_in(site) as client:
        assert register(client, from_unit="商务部", doc_number="商办函〔2027〕9号").status_code == 303
        again = register(client, from_unit="商务部", doc_number="商办函〔2027〕9号")
        assert again.status_code == 409
        assert 'data-testid="duplicate-warning"' in again.text and "确认重复登记" in again.text
        assert (
            IncomingDocument.select().where(IncomingDocument.doc_number == "商办函〔2027〕9号").count() == 1
        )
        confirmed = register(
            client, from_unit="商务部", doc_number="商办函〔2027〕9号", confirm_duplicate="1"
        )
        assert confirmed.status_code == 303
        assert (
            IncomingDocument.select().where(IncomingDocument.doc_number == "商办函〔2027〕9号").count() == 2
        )
    # 财务处 receiving the same 来文 is no duplicate, and 办公室's register is not shown to its clerk
    with signed_in(site, "li") as other:
        elsewhere = register(other, from_unit="商务部", doc_number="商办函〔2027〕9号")
        assert elsewhere.status_code == 303 and "收〔2027〕" in other.get(elsewhere.headers["location"]).text
        assert IncomingDocument.get(
            (IncomingDocument.doc_number == "商办函〔2027〕9号") & (IncomingDocument.unit == bureau.cwc)
        )


def test_time_limits_count_working_days_across_national_day(site, bureau, module_clock):
    module_clock.now = datetime(2026, 9, 29, 10, 0)
    with signed_in(site) as client:
        response = register(
            client,
            doc_number="国庆〔2026〕1号",
            urgency="very_urgent",
            limit_days="3",
            received_on="2026-09-29",
        )
        assert response.status_code == 303
    document = IncomingDocument.get(IncomingDocument.doc_number == "国庆〔2026〕1号")
    # 9-30 is one working day; 10-1 … 10-7 are the holiday; 10-8 and 10-9 are the second and third
    assert document.due_date == date(2026, 10, 9)

    def look(at):
        """The overdue filter's numbers and the register's row for the document, at ``at``."""
        module_clock.now = at
        with signed_in(site) as client:
            rows = client.get("/api/v1/docs_incoming/documents?overdue=1&per_page=100").json()["items"]
            page = client.get(f"/docs_incoming/?q={document.doc_number}").text
            return {r["number"] for r in rows}, page

    overdue, page = look(datetime(2026, 10, 7, 9, 0))  # the holiday's last day: two working days left
    assert document.number not in overdue and "黄灯" not in page and "红灯" not in page
    overdue, page = look(datetime(2026, 10, 8, 9, 0))  # due by the end of the next working day: 黄灯
    assert document.number not in overdue and "黄灯" in page
    overdue, page = look(datetime(2026, 10, 9, 20, 0))  # the last day, still in time
    assert document.number not in overdue and "红灯" not in page
    overdue, page = look(datetime(2026, 10, 10, 9, 0))  # a Saturday, but a make-up working day
    assert document.number in overdue and "红灯" in page
    # a document that is done is never overdue
    IncomingDocument.update(status="archived").where(IncomingDocument.id == document.id).execute()
    overdue, page = look(datetime(2026, 10, 12, 9, 0))
    assert document.number not in overdue and "红灯" not in page


def test_the_register_filters_and_exports(site, bureau, module_clock):
    module_clock.now = datetime(2027, 3, 1, 9, 0)
    with signed_in(site) as client:
        assert (
            register(
                client, doc_number="请示〔2027〕1号", doc_type="请示", title="关于增加编制的请示"
            ).status_code
            == 303
        )
        page = client.get("/docs_incoming/?doc_type=请示&year=2027")
        assert (
            page.status_code == 200
            and "关于增加编制的请示" in page.text
            and "年初〔2027〕1号" not in page.text
        )
        assert "年初〔2027〕1号" in client.get("/docs_incoming/?year=2027&doc_type=").text
        assert "关于增加编制的请示" not in client.get("/docs_incoming/?year=2026").text
        assert "关于增加编制的请示" not in client.get("/docs_incoming/?status=archived").text
        assert "没有这个文种" in client.get("/docs_incoming/?doc_type=便条").text
        assert "关于增加编制的请示" not in client.get(f"/docs_incoming/?unit={bureau.rsc.id}").text
        export = client.get("/docs_incoming/export.xlsx?doc_type=请示")
        assert export.status_code == 200
        assert export.headers["content-type"].startswith("application/vnd.openxmlformats")
        sheet = load_workbook(io.BytesIO(export.content)).active
        rows = list(sheet.iter_rows(values_only=True))
        assert rows[0][:6] == ("收文编号", "收文单位", "收文日期", "来文单位", "来文字号", "标题")
        assert [r[5] for r in rows[1:]] == ["关于增加编制的请示"]


def test_the_api_registers_and_drives_the_first_steps(site, bureau, module_clock):
    module_clock.now = datetime(2027, 3, 2, 9, 0)
    with signed_in(site) as client:
        headers = {"X-CSRF-Token": client.token}
        body = {
            "from_unit": "农业农村部",
            "doc_number": "农办牧〔2027〕3号",
            "title": "关于做好动物疫病防控工作的通知",
            "doc_type": "通知",
            "urgency": "加急",
            "due_date": "2027-03-10",
            "classification": "非涉密",
            "attachments": [
                {"filename": "正文.txt", "content_base64": base64.b64encode("全文".encode()).decode()}
            ],
        }
        created = client.post("/api/v1/docs_incoming/documents", json=body, headers=headers)
        assert created.status_code == 201, created.text
        data = created.json()
        assert (
            data["urgency"] == "urgent"
            and data["status"] == "registered"
            and data["attachments"][0]["filename"] == "正文.txt"
        )
        duplicate = client.post("/api/v1/docs_incoming/documents", json=body, headers=headers)
        assert duplicate.status_code == 409 and duplicate.json()["error"]["code"] == "duplicate"
        missing = client.post("/api/v1/docs_incoming/documents", json={**body, "title": ""}, headers=headers)
        assert missing.status_code == 400 and "title" in missing.json()["error"]["fields"]
        url = f"/api/v1/docs_incoming/documents/{data['id']}"
        bad = client.post(f"{url}/accept", json={"handling": "read"}, headers=headers)
        assert bad.status_code == 400 and "readers" in bad.json()["error"]["fields"]
        accepted = client.post(f"{url}/accept", json={"handling": "handle"}, headers=headers)
        assert accepted.status_code == 200 and accepted.json()["status"] == "handling"
        assert client.post(f"{url}/accept", json={"handling": "handle"}, headers=headers).status_code == 400
        shown = client.get(url).json()
        assert shown["workflow_id"] and shown["due_date"] == "2027-03-10"
        listed = client.get("/api/v1/docs_incoming/documents?q=动物疫病").json()
        assert [i["id"] for i in listed["items"]] == [data["id"]]


def test_documents_distributed_inside_the_bureau_arrive_registered(site, bureau, module_clock):
    module_clock.now = datetime(2027, 3, 3, 9, 0)
    with write_transaction(site.db):
        original = save_upload(
            site, ("正文.txt", "通知全文".encode()), owner=("other", "doc", 1), user=bureau.wu
        )
        document = service.receive_internal(
            site,
            unit=bureau.rsc,
            title="关于印发2027年工作要点的通知",
            from_unit="办公室",
            doc_number="江南局发〔2027〕1号",
            doc_type="通知",
            urgency="urgent",
            attachments=[original],
            source=("docs_outgoing", "document", 42),
            actor=bureau.wu,
        )
    assert document.status == "registered" and document.unit_id == bureau.rsc.id
    assert document.number.startswith("收〔2027〕") and document.due_date is not None
    assert (document.source_plugin, document.source_type, document.source_id) == (
        "docs_outgoing",
        "document",
        "42",
    )
    [copy] = attachments_of("docs_incoming", "document", document.id)
    assert copy.sha256 == original.sha256
    assert service.incoming_for_source("docs_outgoing", "document", 42) == [document]
    assert (
        Notification.select()
        .where((Notification.user == bureau.zhou) & (Notification.kind == "docs_incoming.arrived"))
        .exists()
    )
    with pytest.raises(service.IntakeError), write_transaction(site.db):
        service.receive_internal(
            site,
            unit=bureau.rsc,
            title="秘密★ 某方案",
            from_unit="办公室",
            doc_number="",
            doc_type="通知",
            urgency="normal",
            source=("docs_outgoing", "document", 43),
            actor=bureau.wu,
        )
    assert service.incoming_for_source("docs_outgoing", "document", 43) == []
