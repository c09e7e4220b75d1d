"""Each rule check before 复核 and 核发, with its message, and the 涉密 guard on fields, body and files."""

from __future__ import annotations

from datetime import date

import pytest

from officium.core.audit import AuditEntry
from officium.plugins.docs_outgoing import rules
from officium.plugins.docs_outgoing.models import Document
from tests.plugins.docs_outgoing.conftest import DRAFT, approve, draft, step_of

ORGANS = ["江南出入境检验检疫局", "办公室", "人事处"]


def _doc(**changes):
    values = {k: v for k, v in DRAFT.items() if k != "countersign_mode"}
    values |= {"signer_name": "", "doc_number": "", "copy_no": "", "time_limit": None, "signed_version": None}
    return Document(**(values | changes))


def _fields(problems):
    return {field for field, _ in problems}


def test_a_good_document_passes_review():
    assert rules.check(_doc(), "review", organ_names=ORGANS) == []


def test_an_upward_document_needs_a_signer():
    problems = rules.check(
        _doc(direction="up", doc_type="请示", title="人事处关于增加编制的请示"), "review", organ_names=ORGANS
    )
    assert ("signer_name", "上行文应当标注签发人姓名。") in problems
    named = _doc(direction="up", doc_type="请示", title="人事处关于增加编制的请示", signer_name="局长甲")
    assert "signer_name" not in _fields(rules.check(named, "review", organ_names=ORGANS))


@pytest.mark.parametrize(
    ("title", "doc_type", "message"),
    [
        ("江南出入境检验检疫局关于做好考核工作的意见", "通知", "应以文种“通知”结尾"),
        ("做好考核工作的通知", "通知", "应以发文机关名称或“关于”开头"),
        ("张三关于做好考核工作的通知", "通知", "不是发文机关名称"),
        ("江南出入境检验检疫局关于的通知", "通知", "缺少事由"),
        ("", "通知", "请填写标题"),
    ],
)
def test_the_title_must_be_organ_subject_and_type(title, doc_type, message):
    found = rules.check_title(title, doc_type, ORGANS)
    assert message in found


@pytest.mark.parametrize(
    ("title", "doc_type"),
    [
        ("江南出入境检验检疫局关于做好考核工作的通知", "通知"),
        ("关于做好考核工作的通知", "通知"),
        ("人事处关于调整工作时间的报告", "报告"),
        ("江南出入境检验检疫局令", "命令(令)"),
        ("某某海关关于商请协助的函", "函"),
    ],
)
def test_titles_of_the_right_shape_pass(title, doc_type):
    assert rules.check_title(title, doc_type, ORGANS) == ""


def test_urgent_documents_need_a_time_limit():
    problems = rules.check(_doc(urgency="urgent"), "review", organ_names=ORGANS)
    assert ("time_limit", "紧急公文应当明确办理时限。") in problems
    dated = _doc(urgency="very_urgent", time_limit=date(2026, 3, 5))
    assert "time_limit" not in _fields(rules.check(dated, "review", organ_names=ORGANS))


@pytest.mark.parametrize(
    ("number", "message"),
    [
        ("X检发〔2026〕012号", "不编虚位"),
        ("X检发〔2026〕第12号", "不加“第”"),
        ("X检发[2026]12号", "六角括号"),
        ("X检发【2026】12号", "六角括号"),
        ("X检发〔26〕12号", "四位"),
        ("X检发2026年12号", "须写明年份"),
        ("", "编号登记"),
    ],
)
def test_the_number_format_is_checked_at_issue(number, message):
    problems = dict(rules.check(_doc(doc_number=number, signed_version=1), "issue", organ_names=ORGANS))
    assert message in problems["doc_number"]


def test_issue_needs_a_signature_and_a_good_number():
    assert "" in _fields(rules.check(_doc(doc_number="X检发〔2026〕12号"), "issue", organ_names=ORGANS))
    good = _doc(doc_number="X检发〔2026〕12号", signed_version=2)
    assert rules.check(good, "issue", organ_names=ORGANS) == []


def test_classification_marks_anywhere_are_refused_by_the_rules():
    for changes in (
        {"remark": "密级：秘密"},
        {"body": "一、要求\n本文件为机密★1年"},
        {"title": "秘密★关于某事的通知"},
    ):
        assert "secrecy" in _fields(rules.check(_doc(**changes), "review", organ_names=ORGANS))
    file_problems = rules.check(
        _doc(), "review", organ_names=ORGANS, files=[("附件.txt", "绝密★长期".encode())]
    )
    assert "secrecy" in _fields(file_problems)
    # ordinary words about secrecy work are not marks
    assert rules.check(_doc(body="一、做好保密工作\n保护商业秘密。"), "review", organ_names=ORGANS) == []


def test_a_marked_draft_is_refused_stores_nothing_and_is_audited(bureau, browsers):
    nigao = browsers("nigao")
    before = Document.select().count()
    response = nigao.post("/docs_outgoing/new", data=dict(DRAFT) | {"body": "一、说明\n本件密级：机密"})
    assert response.status_code == 422
    assert "涉密信息严禁" in response.text
    assert Document.select().count() == before
    assert AuditEntry.select().where(AuditEntry.action == "docs_outgoing.secrecy_refused").exists()
    upload = nigao.post(
        "/docs_outgoing/new",
        data=dict(DRAFT),
        files={"attachments": ("说明.txt", "秘密★1年 内容".encode(), "text/plain")},
    )
    assert upload.status_code == 422 and Document.select().count() == before


def test_review_is_refused_while_a_rule_fails(bureau, browsers):
    nigao = browsers("nigao")
    doc_id = draft(
        nigao, direction="up", doc_type="报告", title="人事处关于年度考核情况的报告", main_to="局领导"
    )
    assert nigao.post(f"/docs_outgoing/{doc_id}/submit").status_code == 303
    approve(browsers("renchu"), doc_id, "renchu")
    approve(browsers("wenshu"), doc_id, "wenshu")
    # the signer fills 签发人, so make the rule fail on the time limit instead: an urgent report without one
    Document.update(urgency="urgent").where(Document.id == doc_id).execute()
    approve(browsers("fenguan"), doc_id, "fenguan", "同意。")
    assert Document.get_by_id(doc_id).signer_name == "副局长戊"
    refused = approve(browsers("wenshu"), doc_id, "wenshu", "", expect=400)
    assert "紧急公文应当明确办理时限" in refused.text and step_of(doc_id) == "review"
    page = browsers("wenshu").get(f"/docs_outgoing/{doc_id}")
    assert "紧急公文应当明确办理时限" in page.text
    check = (
        browsers("wenshu").client.get(f"/api/v1/docs_outgoing/documents/{doc_id}/check?stage=review").json()
    )
    assert not check["ok"] and check["problems"][0]["field"] == "time_limit"
