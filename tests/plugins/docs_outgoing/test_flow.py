"""The whole 局发文 route over HTTP: 拟稿 → 核稿 → 会签 by two units (with 加签) → 办公室审核 → 签发 → 复核 →
编号登记 → 用印, and the variants: sequential 会签, 撤回 and revision, 代 signatures, changes after 签发."""

from __future__ import annotations

from officium.core.notifications import Notification
from officium.plugins.docs_outgoing.models import Document, Signature, Version
from officium.plugins.seals.models import UseRequest
from tests.plugins.docs_outgoing.conftest import approve, draft, item_of, step_of, to_number


def _submit(session, doc_id):
    response = session.post(f"/docs_outgoing/{doc_id}/submit")
    assert response.status_code == 303
    return response


def test_parallel_countersign_by_two_units_then_signing_and_numbering(bureau, browsers):
    units = bureau.units
    nigao = browsers("nigao")
    doc_id = draft(nigao, countersign_mode="all", countersign_units=[str(units.cwc.id), str(units.kjc.id)])
    _submit(nigao, doc_id)
    assert step_of(doc_id) == "check"
    approve(browsers("renchu"), doc_id, "renchu", "核稿同意。")

    # both units' leaders countersign at once; 科技处 adds a colleague (加签)
    assert step_of(doc_id) == "countersign"
    assert item_of(doc_id, "caiwu") is not None and item_of(doc_id, "keji") is not None
    keji = browsers("keji")
    item = item_of(doc_id, "keji")
    added = keji.post(
        f"/workflow/items/{item.id}/add-signers", data={"signers": "outsider", "opinion": "请一并审阅"}
    )
    assert added.status_code == 303
    approve(browsers("caiwu"), doc_id, "caiwu", "财务处无意见。")
    approve(keji, doc_id, "keji", "同意。")
    assert step_of(doc_id) == "countersign"  # the added signer has not signed yet
    approve(browsers("outsider"), doc_id, "outsider", "同意。")

    assert step_of(doc_id) == "office"
    wenshu = browsers("wenshu")
    approve(wenshu, doc_id, "wenshu", "审核通过。")

    # 签发 by the 分管领导 of 人事处, 圈阅 (no opinion) counts as agreement
    assert step_of(doc_id) == "sign"
    approve(browsers("fenguan"), doc_id, "fenguan", "")
    doc = Document.get_by_id(doc_id)
    signature = Signature.get(Signature.document == doc_id)
    assert signature.circled and signature.opinion == "圈阅" and signature.signer_name == "副局长戊"
    assert signature.signed_at == bureau.clock.now and signature.version == doc.version == doc.signed_version
    assert doc.written_date == bureau.clock.now.date() and doc.signer_name == "副局长戊"
    page = nigao.get(f"/docs_outgoing/{doc_id}")
    assert "圈阅（视为同意）" in page.text and f"{signature.signed_at.year}年" in page.text

    assert step_of(doc_id) == "review"
    approve(wenshu, doc_id, "wenshu", "复核无误。")

    # 编号登记 cannot be completed before a number is taken
    assert step_of(doc_id) == "number"
    refused = approve(wenshu, doc_id, "wenshu", "", expect=400)
    assert "编号登记" in refused.text and step_of(doc_id) == "number"
    taken = wenshu.post(f"/docs_outgoing/{doc_id}/number", data={"prefix": "X检发"})
    assert taken.status_code == 303
    number = Document.get_by_id(doc_id).doc_number
    assert number.startswith("X检发〔2026〕") and number.endswith("号")
    assert number in wenshu.get(f"/docs_outgoing/{doc_id}").text
    refused = approve(wenshu, doc_id, "wenshu", "", expect=400)
    assert "申请用印" in refused.text  # the 用印申请 belongs to 编号登记
    page = wenshu.get(f"/docs_outgoing/{doc_id}")
    assert "江南出入境检验检疫局公章" in page.text and "申请用印" in page.text
    assert (
        wenshu.post(f"/docs_outgoing/{doc_id}/seal-request", data={"seal": str(bureau.seal.id)}).status_code
        == 303
    )
    approve(wenshu, doc_id, "wenshu", "")
    # 用印 goes to the custodian in person although their work is delegated (custody is never delegated)
    assert step_of(doc_id) == "seal"
    assert item_of(doc_id, "yinzhang") is not None and item_of(doc_id, "wenshu") is None

    # the custodian may refuse (with a reason): the document goes back to 编号登记, the request is rejected
    yinzhang = browsers("yinzhang")
    use_id = Document.get_by_id(doc_id).use_request_id
    assert (
        yinzhang.api(f"/api/v1/docs_outgoing/documents/{doc_id}/seal-reject", {"note": ""}).status_code == 400
    )
    refused = yinzhang.api(
        f"/api/v1/docs_outgoing/documents/{doc_id}/seal-reject", {"note": "印发范围需再核实"}
    )
    assert refused.status_code == 200, refused.text
    assert step_of(doc_id) == "number" and Document.get_by_id(doc_id).use_request_id is None
    assert UseRequest.get_by_id(use_id).state == "rejected"
    assert item_of(doc_id, "wenshu") is not None

    # the same refusal through the page's 驳回 form: only the custodian, and never without a reason
    assert (
        wenshu.post(f"/docs_outgoing/{doc_id}/seal-request", data={"seal": str(bureau.seal.id)}).status_code
        == 303
    )
    approve(wenshu, doc_id, "wenshu", "")
    assert step_of(doc_id) == "seal"
    second_use = Document.get_by_id(doc_id).use_request_id
    assert wenshu.post(f"/docs_outgoing/{doc_id}/seal-reject", data={"note": "越权"}).status_code == 303
    assert "只有用印步骤的印章保管人才能驳回用印申请" in wenshu.get(f"/docs_outgoing/{doc_id}").text
    assert yinzhang.post(f"/docs_outgoing/{doc_id}/seal-reject", data={"note": ""}).status_code == 303
    assert "驳回用印申请时请写明理由" in yinzhang.get(f"/docs_outgoing/{doc_id}").text
    assert step_of(doc_id) == "seal" and UseRequest.get_by_id(second_use).state != "rejected"
    rejected = yinzhang.post(f"/docs_outgoing/{doc_id}/seal-reject", data={"note": "用印份数不对"})
    assert rejected.status_code == 303
    assert "已驳回用印申请" in yinzhang.get(f"/docs_outgoing/{doc_id}").text
    assert step_of(doc_id) == "number" and UseRequest.get_by_id(second_use).state == "rejected"


def test_sequential_countersign_opens_one_unit_after_the_other(bureau, browsers):
    units = bureau.units
    nigao = browsers("nigao")
    doc_id = draft(
        nigao,
        title="江南出入境检验检疫局关于调整办公用房的通知",
        countersign_mode="sequence",
        countersign_units=[str(units.kjc.id), str(units.cwc.id)],
    )
    _submit(nigao, doc_id)
    approve(browsers("renchu"), doc_id, "renchu")
    assert step_of(doc_id) == "countersign_seq"
    assert item_of(doc_id, "keji") is not None and item_of(doc_id, "caiwu") is None  # 财务处 waits its turn
    approve(browsers("keji"), doc_id, "keji")
    assert item_of(doc_id, "caiwu") is not None
    approve(browsers("caiwu"), doc_id, "caiwu")
    assert step_of(doc_id) == "office"


def test_withdraw_revise_with_a_reason_and_resubmit(bureau, browsers):
    nigao = browsers("nigao")
    doc_id = draft(nigao, title="江南出入境检验检疫局关于开展安全检查的通知")
    _submit(nigao, doc_id)
    instance_id = item_of(doc_id, "renchu").instance_id
    assert nigao.post(f"/workflow/{instance_id}/withdraw").status_code == 303
    assert item_of(doc_id, "renchu") is None and item_of(doc_id, "nigao") is not None

    form = nigao.get(f"/docs_outgoing/{doc_id}/edit")
    assert form.status_code == 200 and "修改理由" in form.text
    data = {
        "doc_type": "通知",
        "direction": "down",
        "title": "江南出入境检验检疫局关于开展节前安全检查的通知",
        "main_to": "各处室",
        "body": "一、检查范围\n全局各办公场所。",
        "countersign_mode": "none",
    }
    missing = nigao.post(f"/docs_outgoing/{doc_id}/edit", data=data)
    assert missing.status_code == 400 and "写明理由" in missing.text
    assert Document.get_by_id(doc_id).version == 1
    saved = nigao.post(f"/docs_outgoing/{doc_id}/edit", data=data | {"reason": "补充检查范围"})
    assert saved.status_code == 303
    doc = Document.get_by_id(doc_id)
    assert doc.version == 2 and doc.title.endswith("节前安全检查的通知")
    latest = Version.get((Version.document == doc_id) & (Version.number == 2))
    assert latest.reason == "补充检查范围" and latest.author.username == "nigao"
    # the 待办 title follows the revised title; resubmitting through the panel goes back to 核稿
    approve(nigao, doc_id, "nigao", "")
    assert item_of(doc_id, "renchu").title == doc.title


def test_others_cannot_see_or_edit_a_draft(bureau, browsers):
    doc_id = draft(browsers("nigao"), title="江南出入境检验检疫局关于内部事项的通知")
    outsider = browsers("outsider")
    assert outsider.get(f"/docs_outgoing/{doc_id}").status_code == 404
    assert outsider.get(f"/docs_outgoing/{doc_id}/edit").status_code == 404
    assert outsider.client.get(f"/api/v1/docs_outgoing/documents/{doc_id}").status_code == 404
    assert browsers("renchu").post(f"/docs_outgoing/{doc_id}/submit").status_code == 404


def _to_review(bureau, browsers, **changes):
    nigao = browsers("nigao")
    doc_id = draft(nigao, **changes)
    _submit(nigao, doc_id)
    approve(browsers("renchu"), doc_id, "renchu")
    approve(browsers("wenshu"), doc_id, "wenshu")
    return doc_id


def test_a_delegated_signature_shows_dai(bureau, browsers):
    doc_id = _to_review(bureau, browsers, title="江南出入境检验检疫局关于授权签发的通知", signer="zhengfu")
    assert step_of(doc_id) == "sign"
    approve(browsers("juzhang"), doc_id, "juzhang", "同意印发。")
    signature = Signature.get(Signature.document == doc_id)
    assert signature.on_behalf_of.username == "zhengfu" and signature.signer.username == "juzhang"
    assert signature.signer_name == "局长甲（代副局长壬）" and not signature.circled
    assert "代副局长壬" in browsers("nigao").get(f"/docs_outgoing/{doc_id}").text


def test_a_substantive_change_after_signing_goes_back_to_the_signer(bureau, browsers):
    doc_id = _to_review(bureau, browsers, title="江南出入境检验检疫局关于规范公文处理的通知")
    approve(browsers("fenguan"), doc_id, "fenguan", "同意。")
    assert step_of(doc_id) == "review"
    wenshu = browsers("wenshu")
    doc = Document.get_by_id(doc_id)
    data = {
        "doc_type": "通知",
        "direction": "down",
        "title": doc.title,
        "main_to": doc.main_to,
        "body": doc.body + "\n二、新增要求\n严格执行。",
        "issuer_name": doc.issuer_name,
        "countersign_mode": "none",
        "reason": "复核时补充要求",
    }
    response = wenshu.post(f"/docs_outgoing/{doc_id}/edit", data=data)
    assert response.status_code == 303
    doc = Document.get_by_id(doc_id)
    assert doc.signed_version is None and step_of(doc_id) == "sign"
    assert item_of(doc_id, "fenguan") is not None
    assert Notification.select().where(Notification.kind == "docs_outgoing.resign").exists()
    approve(browsers("fenguan"), doc_id, "fenguan", "同意修改后印发。")
    signatures = list(Signature.select().where(Signature.document == doc_id).order_by(Signature.id))
    assert len(signatures) == 2 and signatures[0].opinion == "同意。"  # the first signature is kept as it was
    assert (
        signatures[1].version
        == Document.get_by_id(doc_id).version
        == Document.get_by_id(doc_id).signed_version
    )


def test_a_minor_change_after_signing_keeps_the_signature(bureau, browsers):
    doc_id = _to_review(bureau, browsers, title="江南出入境检验检疫局关于节约用电的通知")
    approve(browsers("fenguan"), doc_id, "fenguan", "同意。")
    doc = Document.get_by_id(doc_id)
    data = {
        "doc_type": "通知",
        "direction": "down",
        "title": doc.title,
        "main_to": doc.main_to,
        "body": doc.body,
        "issuer_name": doc.issuer_name,
        "countersign_mode": "none",
        "remark": "联系人：文书乙",
        "reason": "补充附注",
    }
    assert browsers("wenshu").post(f"/docs_outgoing/{doc_id}/edit", data=data).status_code == 303
    assert Document.get_by_id(doc_id).signed_version is not None and step_of(doc_id) == "review"


def test_the_leader_returns_the_draft_with_a_reason_and_the_drafter_resubmits(bureau, browsers):
    nigao = browsers("nigao")
    doc_id = draft(nigao, title="江南出入境检验检疫局关于退回修改的通知")
    _submit(nigao, doc_id)
    renchu = browsers("renchu")
    item = item_of(doc_id, "renchu")
    no_reason = renchu.post(f"/workflow/items/{item.id}/return", data={"to_step": "drafter", "opinion": ""})
    assert no_reason.status_code == 400 and item_of(doc_id, "renchu") is not None
    returned = renchu.post(
        f"/workflow/items/{item.id}/return", data={"to_step": "drafter", "opinion": "请补充依据"}
    )
    assert returned.status_code == 303
    assert item_of(doc_id, "nigao") is not None and step_of(doc_id) == "drafter"
    # the leader can no longer change it; the drafter can, with a reason
    assert renchu.get(f"/docs_outgoing/{doc_id}/edit").status_code == 403
    assert nigao.get(f"/docs_outgoing/{doc_id}/edit").status_code == 200
    approve(nigao, doc_id, "nigao", "已补充。")
    assert step_of(doc_id) == "check" and item_of(doc_id, "renchu") is not None


def test_only_a_leader_can_be_named_as_the_signer(bureau, browsers):
    response = browsers("nigao").post(
        "/docs_outgoing/new",
        data={
            "doc_type": "通知",
            "direction": "down",
            "title": "江南出入境检验检疫局关于指定签发人的通知",
            "main_to": "各处室",
            "body": "正文。",
            "signer": "outsider",
        },
    )
    assert response.status_code == 400 and "不能签发" in response.text


def test_the_seals_module_leaves_a_documents_use_request_to_the_seal_step(bureau, browsers):
    """A 用印申请 filed at 编号登记 belongs to the 局发文 flow: 电子印章 neither notifies the custodian nor
    counts it in its 待办, shows it read-only with the module's title and a link to the document, and
    refuses to approve, reject, cancel or apply it (page and API) — only the 用印 step does that."""
    title = "江南出入境检验检疫局关于印章只在用印步骤办理的通知"
    doc_id = to_number(bureau, browsers, title=title)
    wenshu = browsers("wenshu")
    assert (
        wenshu.post(f"/docs_outgoing/{doc_id}/seal-request", data={"seal": str(bureau.seal.id)}).status_code
        == 303
    )
    use_id = Document.get_by_id(doc_id).use_request_id
    assert not (
        Notification.select()
        .where(
            (Notification.kind == "seals.request") & Notification.url.endswith(f"/seals/requests/{use_id}")
        )
        .exists()
    )
    yinzhang = browsers("yinzhang")
    assert title not in yinzhang.get("/seals/requests/").text  # not in 待我处理 (the badge's query)
    page = yinzhang.get(f"/seals/requests/{use_id}").text
    assert 'data-testid="handled-elsewhere"' in page
    assert "局发文：" in page and f'<a href="/docs_outgoing/{doc_id}">{title}</a>' in page
    assert "docs_outgoing / document" not in page
    assert f"/seals/requests/{use_id}/approve" not in page and f"/seals/requests/{use_id}/reject" not in page
    for action in ("approve", "reject", "apply"):
        refused = yinzhang.post(f"/seals/requests/{use_id}/{action}", data={"note": "版本不对"})
        assert refused.status_code == 303
        api = yinzhang.api(f"/api/v1/seals/requests/{use_id}/{action}", {"note": "版本不对"})
        assert api.status_code == 409 and f"/docs_outgoing/{doc_id}" in api.json()["error"]["message"]
    assert wenshu.api(f"/api/v1/seals/requests/{use_id}/cancel").status_code == 409
    shown = yinzhang.get(f"/seals/requests/{use_id}").text
    assert "不能在电子印章中审批、驳回、撤销或用印" in shown
    assert UseRequest.get_by_id(use_id).state == "pending"
    # the 用印 step still approves and applies it through the seals service
    approve(wenshu, doc_id, "wenshu")
    assert step_of(doc_id) == "seal"
    assert yinzhang.post(f"/docs_outgoing/{doc_id}/seal").status_code == 303
    assert UseRequest.get_by_id(use_id).state == "used"
