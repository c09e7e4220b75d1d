"""发文字号: format, one sequence per 代字 per year, atomic under concurrency, voiding without gaps, and the
office's 代字 page."""

from __future__ import annotations

import threading

from officium.core.db import write_transaction
from officium.plugins.docs_outgoing import numbering
from officium.plugins.docs_outgoing.models import Document, Number, Prefix
from officium.plugins.docs_outgoing.numbering import NumberError


def _docs(bureau, count):
    with write_transaction(bureau.app.db):
        return [
            Document.create(
                unit=bureau.units.rsc,
                drafter=bureau.people.nigao,
                created_at=bureau.clock.now,
                updated_at=bureau.clock.now,
                doc_type="通知",
                title=f"关于第{i}件事的通知",
            )
            for i in range(count)
        ]


def _prefix(bureau, code):
    with write_transaction(bureau.app.db):
        Prefix.create(code=code, created_at=bureau.clock.now)


def test_format_has_hexagonal_brackets_four_digit_year_and_no_padding():
    assert numbering.format_number("X检发", 2026, 7) == "X检发〔2026〕7号"
    assert numbering.check_number("X检发〔2026〕7号") == ""
    assert numbering.check_number("X检发〔2026〕007号") != ""


def test_concurrent_assignments_never_collide_and_leave_no_gaps(bureau):
    _prefix(bureau, "并检发")
    docs = _docs(bureau, 12)
    app, clerk = bureau.app, bureau.people.wenshu
    barrier = threading.Barrier(len(docs))
    outcomes: list[str] = []

    def worker(doc):
        barrier.wait()
        try:
            with write_transaction(app.db):
                outcomes.append(numbering.assign(app, Document.get_by_id(doc.id), "并检发", clerk).number)
        except Exception as exc:  # any failure must show up in the assertion below
            outcomes.append(f"error: {exc!r}")
        finally:
            app.db.close()

    threads = [threading.Thread(target=worker, args=(d,)) for d in docs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == sorted(f"并检发〔2026〕{n}号" for n in range(1, 13))
    numbers = {d.doc_number for d in Document.select().where(Document.id.in_([d.id for d in docs]))}
    assert len(numbers) == 12
    assert numbering.gaps("并检发", 2026) == []


def test_each_prefix_and_year_has_its_own_sequence(bureau):
    _prefix(bureau, "甲检发")
    _prefix(bureau, "乙检发")
    a1, b1, a2, late = _docs(bureau, 4)
    app, clerk = bureau.app, bureau.people.wenshu
    with write_transaction(app.db):
        assert numbering.assign(app, a1, "甲检发", clerk).number == "甲检发〔2026〕1号"
        assert numbering.assign(app, b1, "乙检发", clerk).number == "乙检发〔2026〕1号"
        assert numbering.assign(app, a2, "甲检发", clerk).number == "甲检发〔2026〕2号"
    saved = bureau.clock.now
    bureau.clock.now = saved.replace(year=2027, month=1, day=4)
    try:
        with write_transaction(app.db):
            assert numbering.assign(app, late, "甲检发", clerk).number == "甲检发〔2027〕1号"
    finally:
        bureau.clock.now = saved


def test_a_number_is_given_once_and_unknown_or_inactive_prefixes_are_refused(bureau):
    _prefix(bureau, "丙检发")
    doc, other = _docs(bureau, 2)
    app, clerk = bureau.app, bureau.people.wenshu
    with write_transaction(app.db):
        numbering.assign(app, doc, "丙检发", clerk)
    cases = ((doc, "丙检发", "已有文号"), (other, "没有这个", "有效机关代字"), (other, "X检", "用于上行文"))
    for target, code, message in cases:
        try:
            with write_transaction(app.db):
                numbering.assign(app, Document.get_by_id(target.id), code, clerk)
        except NumberError as exc:
            assert message in exc.message
        else:
            raise AssertionError("expected a refusal")


def test_voiding_keeps_the_number_in_the_register_and_the_next_one_continues(bureau, browsers):
    _prefix(bureau, "丁检发")
    doc, other = _docs(bureau, 2)
    app, clerk = bureau.app, bureau.people.wenshu
    with write_transaction(app.db):
        first = numbering.assign(app, doc, "丁检发", clerk)
    wenshu = browsers("wenshu")
    no_reason = wenshu.post(f"/docs_outgoing/numbers/{first.id}/void", data={"reason": ""})
    assert no_reason.status_code == 303 and not Number.get_by_id(first.id).voided
    done = wenshu.post(f"/docs_outgoing/numbers/{first.id}/void", data={"reason": "文件撤销"})
    assert done.status_code == 303
    voided = Number.get_by_id(first.id)
    assert voided.voided and voided.void_reason == "文件撤销" and voided.voided_by.username == "wenshu"
    assert Document.get_by_id(doc.id).doc_number == ""
    with write_transaction(app.db):
        assert numbering.assign(app, other, "丁检发", clerk).number == "丁检发〔2026〕2号"
    assert numbering.gaps("丁检发", 2026) == []
    register = wenshu.get("/docs_outgoing/numbers?voided=1&prefix=丁检发")
    assert "丁检发〔2026〕1号" in register.text and "文件撤销" in register.text
    assert "丁检发〔2026〕2号" not in register.text
    listed = wenshu.client.get("/api/v1/docs_outgoing/numbers?prefix=丁检发").json()
    assert [(n["seq"], n["voided"]) for n in listed["items"]] == [(2, False), (1, True)]


def test_the_office_configures_prefixes_with_checked_input(bureau, browsers):
    wenshu = browsers("wenshu")
    for code, message in (("X检发〔2026〕", "不含括号"), ("X检发12", "不含年份"), ("", "请填写")):
        response = wenshu.post("/docs_outgoing/prefixes", data={"code": code})
        assert response.status_code == 400 and message in response.text
    assert (
        wenshu.post("/docs_outgoing/prefixes", data={"code": "X检函", "description": "函件"}).status_code
        == 303
    )
    assert Prefix.get(Prefix.code == "X检函").active
    duplicate = wenshu.post("/docs_outgoing/prefixes", data={"code": "X检函"})
    assert duplicate.status_code == 400 and "已存在" in duplicate.text
    prefix = Prefix.get(Prefix.code == "X检函")
    assert wenshu.post(f"/docs_outgoing/prefixes/{prefix.id}/toggle").status_code == 303
    assert not Prefix.get_by_id(prefix.id).active
    # and over the API
    wenshu_api = wenshu.api(f"/api/v1/docs_outgoing/prefixes/{prefix.id}", {"active": True})
    assert wenshu_api.status_code == 200 and Prefix.get_by_id(prefix.id).active
    assert wenshu.api(f"/api/v1/docs_outgoing/prefixes/{prefix.id}", {"active": "yes"}).status_code == 400
    added = wenshu.api("/api/v1/docs_outgoing/prefixes", {"code": "X检办"})
    assert added.status_code == 201 and Prefix.get(Prefix.code == "X检办").active
    # only the office may configure
    assert browsers("nigao").get("/docs_outgoing/prefixes").status_code == 403
    assert browsers("nigao").post("/docs_outgoing/prefixes", data={"code": "Y检发"}).status_code == 403


def test_migrations_match_the_models(bureau):
    from playhouse.schema_diff import diff_models

    assert not diff_models(bureau.app.db, bureau.app.registry.models["docs_outgoing"])


def test_a_terminated_document_voids_its_number(bureau, browsers):
    from officium.core.workflow import engine
    from officium.plugins.docs_outgoing import service
    from tests.plugins.docs_outgoing.conftest import to_number

    doc_id = to_number(bureau, browsers, title="江南出入境检验检疫局关于终止办理的通知")
    number = Document.get_by_id(doc_id).doc_number
    instance = service.instance_of(Document.get_by_id(doc_id))
    with write_transaction(bureau.app.db):
        engine.close(bureau.app, instance.id, bureau.people.wenshu, "不再发文")
    doc = Document.get_by_id(doc_id)
    assert doc.state == "closed" and doc.doc_number == ""
    voided = Number.get(Number.number == number)
    assert voided.voided and voided.void_reason == "文件已终止办理" and voided.document_id == doc_id


def test_a_void_reason_with_a_classification_mark_is_refused_and_nothing_changes(bureau, browsers):
    from officium.core.audit import AuditEntry

    _prefix(bureau, "密检发")
    (doc,) = _docs(bureau, 1)
    app, clerk = bureau.app, bureau.people.wenshu
    with write_transaction(app.db):
        number = numbering.assign(app, doc, "密检发", clerk)
    wenshu = browsers("wenshu")
    refusals = AuditEntry.select().where(AuditEntry.action == "docs_outgoing.secrecy_refused").count()
    page = wenshu.post(f"/docs_outgoing/numbers/{number.id}/void", data={"reason": "机密★ 文件另行处理"})
    assert page.status_code == 422
    assert "检测到密级标志" in page.text and f'id="r-{number.id}-error"' in page.text
    api = wenshu.api(f"/api/v1/docs_outgoing/numbers/{number.id}/void", {"reason": "密级：秘密"})
    assert api.status_code == 422 and api.json()["error"]["code"] == "secrecy_refused"
    assert "reason" in api.json()["error"]["fields"]
    kept = Number.get_by_id(number.id)
    assert not kept.voided and kept.void_reason in ("", None)
    assert Document.get_by_id(doc.id).doc_number == number.number
    after = AuditEntry.select().where(AuditEntry.action == "docs_outgoing.secrecy_refused").count()
    assert after == refusals + 2
