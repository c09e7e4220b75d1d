"""The JSON API drives every action, as the inter-agency exchange gateway will: 登记, 初审 (受理/退回), the
generic workflow steps through the core's API, 分办, 办结, 答复, 归档, and 传阅 with 收回."""

from __future__ import annotations

from contextlib import contextmanager

from officium.core.search import SearchQuery, search
from officium.core.workflow.models import Instance, WorkItem
from officium.plugins.docs_incoming.models import IncomingDocument
from officium.testing import app_client, login

API = "/api/v1/docs_incoming/documents"


@contextmanager
def api(site, username):
    with app_client(site) as client:
        token = login(client, username)

        def post(url, body=None):
            return client.post(url, json=body or {}, headers={"X-CSRF-Token": token})

        client.post_json = post
        yield client


def item_id(document_id, username, kind="todo"):
    instance = Instance.get(Instance.object_id == str(document_id), Instance.plugin == "docs_incoming")
    for item in WorkItem.select().where(
        (WorkItem.instance == instance) & (WorkItem.kind == kind) & (WorkItem.state == "open")
    ):
        if item.assignee.username == username:
            return item.id
    return None


def body(**fields):
    data = {
        "from_unit": "国家市场监督管理总局",
        "doc_number": "市监办函〔2026〕100号",
        "title": "关于开展计量器具专项检查的函",
        "doc_type": "函",
        "urgency": "normal",
        "classification": "非涉密",
    }
    data.update(fields)
    return data


def test_every_action_through_the_api(site, bureau):
    b = bureau
    with api(site, "wu") as wu:
        created = wu.post_json(API, body())
        assert created.status_code == 201
        doc = created.json()["id"]
        assert wu.post_json(f"{API}/{doc}/accept", {"handling": "handle"}).json()["status"] == "handling"
    with api(site, "liu") as liu:
        done = liu.post_json(
            f"/api/v1/core/workflow/items/{item_id(doc, 'liu')}/approve",
            {"opinion": "拟请陈局长批示。", "chosen": ["chen"]},
        )
        assert done.status_code == 200, done.text
    with api(site, "chen") as chen:
        # 分办 is not the leader's: refused, nothing changes
        refused = chen.post_json(f"{API}/{doc}/assign", {"lead_unit": "RSC"})
        assert refused.status_code == 400
        chen.post_json(
            f"/api/v1/core/workflow/items/{item_id(doc, 'chen')}/approve", {"opinion": "同意，请人事处办理。"}
        )
    with api(site, "wu") as wu:
        # the generic 同意 cannot skip 分办's units
        skipped = wu.post_json(
            f"/api/v1/core/workflow/items/{item_id(doc, 'wu')}/approve", {"chosen": ["zhou"]}
        )
        assert skipped.status_code == 400 and "分办" in skipped.json()["error"]["message"]
        unknown = wu.post_json(f"{API}/{doc}/assign", {"lead_unit": "NOPE"})
        assert unknown.status_code == 400 and "lead_unit" in unknown.json()["error"]["fields"]
        assigned = wu.post_json(f"{API}/{doc}/assign", {"lead_unit": "RSC", "assist_units": ["CWC"]})
        assert assigned.status_code == 200
        assert assigned.json()["assignments"] == {"lead": ["人事处"], "assist": ["财务处"]}
    with api(site, "li") as li:
        # a 协办 unit cannot conclude
        assert li.post_json(f"{API}/{doc}/conclude", {"result": "x"}).status_code == 400
        li.post_json(
            f"/api/v1/core/workflow/items/{item_id(doc, 'li')}/approve", {"opinion": "财务处无意见。"}
        )
    with api(site, "zhou") as zhou:
        concluded = zhou.post_json(f"{API}/{doc}/conclude", {"result": "已完成专项检查。"})
        assert concluded.status_code == 200 and concluded.json()["status"] == "concluded"
    with api(site, "wu") as wu:
        assert wu.post_json(f"{API}/{doc}/reply", {"reply": ""}).status_code == 400
        assert wu.post_json(f"{API}/{doc}/reply", {"reply": "已函复。"}).json()["reply"] == "已函复。"
        archived = wu.post_json(f"{API}/{doc}/archive")
        assert archived.json()["status"] == "archived"
        shown = wu.get(f"{API}/{doc}").json()
        steps = [o["step"] for o in shown["opinions"]]
        assert steps == ["propose", "instruct", "assign", "handle", "handle", "archive"]
        assert shown["result"] == "已完成专项检查。"
    assert {a.unit_id for a in IncomingDocument.get_by_id(doc).assignments} == {b.rsc.id, b.cwc.id}


def test_return_and_circulation_through_the_api(site, bureau):
    with api(site, "wu") as wu:
        first = wu.post_json(API, body(doc_number="市监办函〔2026〕101号")).json()["id"]
        assert wu.post_json(f"{API}/{first}/return", {"reason": ""}).status_code == 400
        returned = wu.post_json(f"{API}/{first}/return", {"reason": "文种使用不当。"})
        assert (
            returned.json()["status"] == "returned" and returned.json()["return_reason"] == "文种使用不当。"
        )
        second = wu.post_json(
            API, body(doc_number="市监办函〔2026〕102号", doc_type="通报", title="关于锅炉能效抽查情况的通报")
        ).json()["id"]
        unknown = wu.post_json(f"{API}/{second}/accept", {"handling": "read", "readers": ["nobody"]})
        assert unknown.status_code == 400 and "readers" in unknown.json()["error"]["fields"]
        accepted = wu.post_json(f"{API}/{second}/accept", {"handling": "read", "readers": ["qian", "ma"]})
        assert accepted.json()["status"] == "circulating"
    with api(site, "qian") as qian:
        assert (
            qian.post_json(f"/api/v1/core/workflow/items/{item_id(second, 'qian', 'read')}/read").status_code
            == 200
        )
        # a reader may not recall
        assert qian.post_json(f"{API}/{second}/recall").status_code == 400
    with api(site, "wu") as wu:
        recalled = wu.post_json(f"{API}/{second}/recall")
        assert recalled.json()["recalled"] == 1
        readers = {r["username"]: r["state"] for r in recalled.json()["document"]["readers"]}
        assert readers == {"qian": "done", "ma": "cancelled"}
    # the reader recalled before reading has nothing to read and no longer sees or finds the document;
    # the one who had read it keeps it
    assert item_id(second, "ma", "read") is None
    with api(site, "ma") as ma:
        assert ma.get(f"{API}/{second}").status_code == 404
        assert ma.get(f"/docs_incoming/{second}").status_code == 404
        assert str(second) not in [str(d["id"]) for d in ma.get(API).json()["items"]]
    with api(site, "qian") as qian:
        assert qian.get(f"{API}/{second}").status_code == 200
        assert qian.get(f"/docs_incoming/{second}").status_code == 200
    found = {
        who: [h.doc.record_id for h in search(site, user, SearchQuery(text="锅炉能效抽查")).hits]
        for who, user in (("ma", bureau.ma), ("qian", bureau.qian))
    }
    assert found == {"ma": [], "qian": [str(second)]}


def test_handling_units_forward_only_inside_the_unit(site, bureau):
    with api(site, "wu") as wu:
        doc = wu.post_json(API, body(doc_number="市监办函〔2026〕103号")).json()["id"]
        wu.post_json(f"{API}/{doc}/accept", {"handling": "handle"})
    with api(site, "liu") as liu:
        liu.post_json(f"/api/v1/core/workflow/items/{item_id(doc, 'liu')}/approve", {"chosen": ["huang"]})
    with api(site, "huang") as huang:
        huang.post_json(f"/api/v1/core/workflow/items/{item_id(doc, 'huang')}/approve", {"opinion": "阅。"})
    with api(site, "wu") as wu:
        wu.post_json(f"{API}/{doc}/assign", {"lead_unit": "RSC"})
    with api(site, "zhou") as zhou:
        page = zhou.get(f"/docs_incoming/{doc}").text
        form = page.split('data-testid="forward-form"')[1].split("</form>")[0]
        assert "钱干事" in form and "马干事" not in form  # only the unit's people are offered
        outside = zhou.post_json(f"{API}/{doc}/forward", {"mode": "transfer", "to": ["ma"]})
        assert outside.status_code == 400 and "不是人事处的人员" in outside.json()["error"]["fields"]["to"]
        assert item_id(doc, "zhou") is not None
        moved = zhou.post_json(
            f"{API}/{doc}/forward", {"mode": "transfer", "to": ["qian"], "opinion": "请钱干事办理。"}
        )
        assert moved.status_code == 200, moved.text
    assert item_id(doc, "zhou") is None and item_id(doc, "qian") is not None
    with api(site, "qian") as qian:
        # the colleague now holds the 主办 item and concludes it
        done = qian.post_json(f"{API}/{doc}/conclude", {"result": "已办理完毕。"})
        assert done.status_code == 200 and done.json()["status"] == "concluded"
