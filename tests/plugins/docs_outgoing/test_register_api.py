"""发文登记簿 (filters, XLSX), the JSON API for drafting, revising and submitting, and the search feed."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from officium.core.search.query import SearchQuery, search
from officium.plugins.docs_outgoing.models import Document
from tests.plugins.docs_outgoing.conftest import DRAFT, approve, draft, to_number


def test_the_register_filters_and_exports_to_excel(bureau, browsers):
    doc_id = to_number(bureau, browsers, title="江南出入境检验检疫局关于登记簿测试的通报", doc_type="通报")
    number = Document.get_by_id(doc_id).doc_number
    wenshu = browsers("wenshu")
    page = wenshu.get("/docs_outgoing/register?doc_type=通报")
    assert page.status_code == 200 and number in page.text and "登记簿测试" in page.text
    other = wenshu.get("/docs_outgoing/register?doc_type=批复")
    assert "登记簿测试" not in other.text
    bad = wenshu.get("/docs_outgoing/register?from=2026-13-01")
    assert bad.status_code == 400 and "YYYY-MM-DD" in bad.text
    export = wenshu.get("/docs_outgoing/register?doc_type=通报&export=xlsx")
    assert export.status_code == 200 and "spreadsheetml" in export.headers["content-type"]
    sheet = load_workbook(io.BytesIO(export.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("发文字号", "标题", "文种")
    assert [r[0] for r in rows[1:]] == [number]
    api = wenshu.client.get("/api/v1/docs_outgoing/register?doc_type=通报").json()
    assert [i["发文字号"] for i in api["items"]] == [number]
    # the register is the office's
    assert browsers("nigao").get("/docs_outgoing/register").status_code == 403


def test_drafting_revising_and_submitting_through_the_api(bureau, browsers):
    nigao = browsers("nigao")
    created = nigao.api(
        "/api/v1/docs_outgoing/documents",
        dict(DRAFT) | {"title": "人事处关于接口测试的报告", "doc_type": "报告", "direction": "up"},
    )
    assert created.status_code == 201, created.text
    doc = created.json()
    assert doc["version"] == 1 and doc["paragraphs"][0] == {"kind": "h1", "text": "一、总体要求"}
    invalid = nigao.api("/api/v1/docs_outgoing/documents", dict(DRAFT) | {"doc_type": "简报"})
    assert invalid.status_code == 400 and "doc_type" in invalid.json()["error"]["fields"]
    marked = nigao.api("/api/v1/docs_outgoing/documents", dict(DRAFT) | {"remark": "绝密★启用前"})
    assert marked.status_code == 422 and marked.json()["error"]["code"] == "secrecy_refused"

    url = f"/api/v1/docs_outgoing/documents/{doc['id']}"
    revised = nigao.api(url, {"main_to": "局领导"})
    assert revised.status_code == 200 and revised.json()["version"] == 2
    assert nigao.api(f"{url}/submit").status_code == 200
    no_reason = nigao.api(url, {"main_to": "局长"})  # only the current handler may revise now
    assert no_reason.status_code == 400
    renchu = browsers("renchu")
    missing = renchu.api(url, {"main_to": "局长"})
    assert missing.status_code == 400 and "reason" in missing.json()["error"]["fields"]
    assert renchu.api(url, {"main_to": "局长", "reason": "主送调整"}).json()["version"] == 3
    listed = nigao.client.get("/api/v1/docs_outgoing/documents?q=接口测试").json()
    assert [d["id"] for d in listed["items"]] == [doc["id"]] and listed["items"][0]["step"] == "check"
    check = nigao.client.get(f"{url}/check").json()
    assert {"field": "signer_name", "message": "上行文应当标注签发人姓名。"} in check["problems"]


def test_documents_are_found_by_who_may_see_them(bureau, browsers):
    doc_id = draft(
        browsers("nigao"), title="江南出入境检验检疫局关于检索测试的通知", body="一、要求\n做好防汛抗旱准备。"
    )
    nigao, outsider, wenshu = bureau.people.nigao, bureau.people.outsider, bureau.people.wenshu
    query = SearchQuery(text="防汛抗旱")
    assert [h.doc.record_id for h in search(bureau.app, nigao, query).hits] == [str(doc_id)]
    assert search(bureau.app, wenshu, query).total == 1  # the office
    assert search(bureau.app, outsider, query).total == 0
    assert browsers("nigao").post(f"/docs_outgoing/{doc_id}/submit").status_code == 303
    approve(browsers("renchu"), doc_id, "renchu")
    assert search(bureau.app, bureau.people.renchu, query).total == 1  # the leader who checked it
