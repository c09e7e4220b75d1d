"""The 涉密 guard also covers what is written on a 收文 after registration: the 退回理由, the 办理结果 (办结) and the 答复,
through the API and the pages.  A marked text is refused (422 / the page again), audited, and stored nowhere."""

from __future__ import annotations

from officium.core.audit import AuditEntry
from officium.plugins.docs_incoming.models import IncomingDocument
from officium.testing import session_csrf
from tests.plugins.docs_incoming.test_api import API, api, body, item_id

MARKED = "经核查，该批资料为机密★5年，已按规定移交。"


def refusals() -> int:
    return AuditEntry.select().where(AuditEntry.action == "docs_incoming.secrecy_refused").count()


def test_the_result_and_the_reply_are_guarded(site, bureau):
    with api(site, "wu") as wu:
        doc = wu.post_json(API, body(doc_number="市监办函〔2026〕900号")).json()["id"]
        wu.post_json(f"{API}/{doc}/accept", {"handling": "handle"})
    with api(site, "liu") as liu:
        liu.post_json(
            f"/api/v1/core/workflow/items/{item_id(doc, 'liu')}/approve",
            {"opinion": "拟办。", "chosen": ["chen"]},
        )
    with api(site, "chen") as chen:
        chen.post_json(f"/api/v1/core/workflow/items/{item_id(doc, 'chen')}/approve", {"opinion": "同意。"})
    with api(site, "wu") as wu:
        assert wu.post_json(f"{API}/{doc}/assign", {"lead_unit": "RSC"}).status_code == 200
    with api(site, "zhou") as zhou:
        before = refusals()
        refused = zhou.post_json(f"{API}/{doc}/conclude", {"result": MARKED})
        assert refused.status_code == 422, refused.text
        assert "result" in refused.json()["error"]["fields"]
        page = zhou.post(
            f"/docs_incoming/{doc}/conclude", data={"csrf_token": session_csrf(zhou), "result": MARKED}
        )
        assert page.status_code == 422 and "涉密" in page.text
        assert refusals() == before + 2
        assert IncomingDocument.get_by_id(doc).status != "concluded"
        assert not IncomingDocument.get_by_id(doc).result
        assert zhou.post_json(f"{API}/{doc}/conclude", {"result": "已完成检查。"}).status_code == 200
    with api(site, "wu") as wu:
        refused = wu.post_json(f"{API}/{doc}/reply", {"reply": MARKED})
        assert refused.status_code == 422 and "reply" in refused.json()["error"]["fields"]
        page = wu.post(f"/docs_incoming/{doc}/reply", data={"csrf_token": session_csrf(wu), "reply": MARKED})
        assert page.status_code == 422
        assert refusals() == before + 4
        assert not IncomingDocument.get_by_id(doc).reply
        assert wu.post_json(f"{API}/{doc}/reply", {"reply": "已函复。"}).json()["reply"] == "已函复。"


def test_the_return_reason_is_guarded(site, bureau):
    with api(site, "wu") as wu:
        doc = wu.post_json(API, body(doc_number="市监办函〔2026〕901号")).json()["id"]
        before = refusals()
        refused = wu.post_json(f"{API}/{doc}/return", {"reason": MARKED})
        assert refused.status_code == 422 and "reason" in refused.json()["error"]["fields"]
        page = wu.post(
            f"/docs_incoming/{doc}/review",
            data={"csrf_token": session_csrf(wu), "decision": "return", "reason": MARKED},
        )
        assert page.status_code == 422 and "涉密" in page.text
        assert refusals() == before + 2
        stored = IncomingDocument.get_by_id(doc)
        assert stored.status == "registered" and not stored.return_reason
        assert wu.post_json(f"{API}/{doc}/return", {"reason": "文种使用不当。"}).status_code == 200


def test_a_marked_opinion_is_refused_by_the_workflow(site, bureau):
    """意见 (拟办, 批示, 初审) are part of the document: the workflow engine refuses a marked one, audits it, and
    records nothing — through the plugin's own actions and the core's generic approve."""
    from officium.core.workflow.models import ActionLog, WorkItem

    with api(site, "wu") as wu:
        doc = wu.post_json(API, body(doc_number="市监办函〔2026〕902号")).json()["id"]
        before = refusals()
        refused = wu.post_json(f"{API}/{doc}/accept", {"handling": "handle", "opinion": MARKED})
        assert refused.status_code in (400, 422) and "涉密" in refused.json()["error"]["message"]
        assert refusals() == before + 1
        assert IncomingDocument.get_by_id(doc).status == "registered"
        assert (
            wu.post_json(
                f"{API}/{doc}/accept", {"handling": "handle", "opinion": "请办公室拟办。"}
            ).status_code
            == 200
        )
    with api(site, "liu") as liu:
        item = item_id(doc, "liu")
        refused = liu.post_json(
            f"/api/v1/core/workflow/items/{item}/approve", {"opinion": MARKED, "chosen": ["chen"]}
        )
        assert refused.status_code in (400, 422), refused.text
        assert refusals() == before + 2
        assert WorkItem.get_by_id(item).state == "open"
    assert not [a for a in ActionLog.select() if "★" in (a.opinion or "")]
    assert not [i for i in WorkItem.select() if "★" in (i.opinion or "")]
