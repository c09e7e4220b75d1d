"""The workflow actions through HTTP: the panel's forms (pages) and the JSON API, who sees what, 404 and 409."""

from __future__ import annotations

from datetime import timedelta

import pytest

from officium import hookimpl
from officium.core.audit import AuditEntry
from officium.core.identity.models import User
from officium.core.workflow.models import ActionLog, Instance, WorkItem
from officium.testing import make_plugin

from . import flows
from .flows import form_actions, signed_in


@pytest.fixture
def site(site_factory):
    app = site_factory(plugins=["profile"], extra_plugins=[flows.make_plugin()])
    app.people = flows.staff(app)
    return app


def open_items(instance, step=None):
    query = WorkItem.select().where(
        (WorkItem.instance == instance.id) & (WorkItem.kind == "todo") & (WorkItem.state == "open")
    )
    if step is not None:
        query = query.where(WorkItem.step == step)
    return list(query.order_by(WorkItem.id))


def item_of(instance, username):
    (item,) = [i for i in open_items(instance) if i.assignee.username == username]
    return item


def fresh(instance):
    return Instance.get_by_id(instance.id)


def actions_logged(instance):
    return [
        log.action
        for log in ActionLog.select().where(ActionLog.instance == instance.id).order_by(ActionLog.id)
    ]


# ------------------------------------------------------------------------------------------ approve


def test_approve_through_the_panel_moves_the_document_on(site):
    instance = flows.start(site, "single", site.people["writer"])
    item = item_of(instance, "leader")
    with signed_in(site, "leader") as leader:
        page = leader.get(instance.url)
        assert page.status_code == 200
        assert {"approve", "return", "transfer", "add-signers", "circulate"} <= form_actions(page.text)
        answer = leader.post(
            f"/workflow/items/{item.id}/approve", opinion="同意，请办公室办理。", next=instance.url
        )
        assert answer.status_code == 303 and answer.headers["location"] == instance.url
        shown = leader.get(instance.url).text
        assert "已办理。" in shown  # the flash message, once
        assert "已办理。" not in leader.get(instance.url).text
        assert "同意，请办公室办理。" in shown
    assert fresh(instance).step == "office"
    assert {i.assignee.username for i in open_items(instance)} == {"writer", "clerk"}
    done = WorkItem.get_by_id(item.id)
    assert (done.state, done.action, done.opinion) == ("done", "approve", "同意，请办公室办理。")
    assert actions_logged(instance) == ["submit", "approve"]


def test_a_picked_phrase_is_the_opinion_when_the_box_is_left_empty(site):
    instance = flows.start(site, "single", site.people["writer"])
    item = item_of(instance, "leader")
    with signed_in(site, "leader") as leader:
        answer = leader.post(
            f"/workflow/items/{item.id}/approve", opinion="", phrase="拟同意。", next="https://evil.example/x"
        )
        assert answer.headers["location"] == instance.url  # never back to another site
    assert WorkItem.get_by_id(item.id).opinion == "拟同意。"


def test_the_last_approval_finishes_the_document(site):
    instance = flows.start(site, "single", site.people["writer"])
    with signed_in(site, "leader") as leader:
        leader.post(f"/workflow/items/{item_of(instance, 'leader').id}/approve", next=instance.url)
    with signed_in(site, "clerk") as clerk:
        answer = clerk.post(f"/workflow/items/{item_of(instance, 'clerk').id}/approve", next=instance.url)
        assert answer.status_code == 303
        page = clerk.get(instance.url).text
        assert "已办结。" in page and "已办结" in page
        assert "approve" not in form_actions(page)
    assert fresh(instance).state == "done"
    assert actions_logged(instance)[-1] == "finish"


def test_chosen_next_handlers_come_from_the_candidates(site):
    instance = flows.start(site, "chosen", site.people["writer"])
    item = item_of(instance, "leader")
    with signed_in(site, "leader") as leader:
        page = leader.get(instance.url).text
        for username in ("ren1", "ren2", "ren3"):
            assert f'name="chosen" value="{username}"' in page  # the candidates, as boxes to tick
        refused = leader.post(f"/workflow/items/{item.id}/approve", opinion="同意", next=instance.url)
        assert refused.status_code == 400
        assert 'id="wf-approve-chosen-error"' in refused.text and "请选择下一步的办理人。" in refused.text
        assert ">同意</textarea>" in refused.text  # what was typed is kept
        outside = leader.post(f"/workflow/items/{item.id}/approve", chosen="boss", next=instance.url)
        assert outside.status_code == 400 and "局长 不在可选的办理人范围内。" in outside.text
        unknown = leader.post(f"/workflow/items/{item.id}/approve", chosen="nobody", next=instance.url)
        assert unknown.status_code == 400 and "找不到在岗人员：nobody。" in unknown.text
        assert WorkItem.get_by_id(item.id).state == "open"  # nothing was kept of the refused attempts
        assert actions_logged(instance) == ["submit"]
        ok = leader.post(f"/workflow/items/{item.id}/approve", chosen=["ren2", "ren3"], next=instance.url)
        assert ok.status_code == 303
    assert {i.assignee.username for i in open_items(instance)} == {"ren2", "ren3"}
    with signed_in(site, "ren2") as ren2:
        page = ren2.get(instance.url).text
        assert 'id="wf-approve-chosen"' in page and "data-picker" in page  # any active person: a picker
        assert (
            ren2.post(
                f"/workflow/items/{item_of(instance, 'ren2').id}/approve", chosen="hui1", next=instance.url
            ).status_code
            == 303
        )
    assert [i.assignee.username for i in open_items(instance)] == ["hui1"]


def test_each_step_mode_through_the_pages(site):
    any_doc = flows.start(site, "any", site.people["writer"])
    all_doc = flows.start(site, "all", site.people["writer"])
    seq_doc = flows.start(site, "sequence", site.people["writer"])
    # any one of several: the first takes it, the others' items are taken away
    with signed_in(site, "ren2") as ren2:
        assert (
            ren2.post(f"/workflow/items/{item_of(any_doc, 'ren2').id}/approve", next="/todo/").status_code
            == 303
        )
    assert fresh(any_doc).step == "final"
    assert {
        i.state for i in WorkItem.select().where(WorkItem.instance == any_doc.id, WorkItem.step == "pick")
    } == {
        "done",
        "taken",
    }
    # 会签 in parallel: everyone signs, the step waits for the last
    for n, username in enumerate(("hui3", "hui1", "hui2")):
        with signed_in(site, username) as signer:
            if n < 2:
                assert "本步骤还有其他人办理" in signer.get(all_doc.url).text
            signer.post(f"/workflow/items/{item_of(all_doc, username).id}/approve", next="/todo/")
        assert fresh(all_doc).step == ("sign" if n < 2 else "final")
    # 会签 in sequence: the second signer cannot act before the first
    waiting = WorkItem.get(WorkItem.instance == seq_doc.id, WorkItem.assignee == site.people["hui2"].id)
    assert waiting.state == "waiting"
    with signed_in(site, "hui2") as hui2:
        assert "approve" not in form_actions(hui2.get(seq_doc.url).text)
        early = hui2.post(f"/workflow/items/{waiting.id}/approve", next="/todo/")
        assert early.status_code == 409
    with signed_in(site, "hui1") as hui1:
        hui1.post(f"/workflow/items/{item_of(seq_doc, 'hui1').id}/approve", next="/todo/")
    assert WorkItem.get_by_id(waiting.id).state == "open"


def test_a_condition_on_the_fields_adds_a_step(site):
    small = flows.start(site, "big", site.people["writer"], fields={"amount": 500})
    large = flows.start(site, "big", site.people["writer"], fields={"amount": 50000})
    with signed_in(site, "leader") as leader:
        assert "办理后流程办结。" in leader.get(small.url).text
        assert "下一步：局领导审批" in leader.get(large.url).text
        leader.post(f"/workflow/items/{item_of(small, 'leader').id}/approve", next="/todo/")
        leader.post(f"/workflow/items/{item_of(large, 'leader').id}/approve", next="/todo/")
    assert fresh(small).state == "done"
    assert fresh(large).step == "boss"


# -------------------------------------------------------------------------------- return, withdraw


def test_return_needs_a_reason_beside_the_field_and_changes_nothing(site):
    instance = flows.start(site, "single", site.people["writer"])
    item = item_of(instance, "leader")
    audits = AuditEntry.select().count()
    with signed_in(site, "leader") as leader:
        answer = leader.post(
            f"/workflow/items/{item.id}/return", to_step="drafter", opinion="  ", next=instance.url
        )
        assert answer.status_code == 400
        assert '<p class="field-error" id="wf-return-opinion-error">退回时请填写退回理由。</p>' in answer.text
        assert 'aria-invalid="true" aria-describedby="wf-return-opinion-error"' in answer.text
        assert '<details class="wf-fold" data-action="return" open>' in answer.text
        # the forms shown again still lead back to the document, not to the URL that refused
        assert f'name="next" value="{instance.url}"' in answer.text
        assert 'name="next" value="/workflow/' not in answer.text
        no_step = leader.post(f"/workflow/items/{item.id}/return", opinion="不妥", next=instance.url)
        assert no_step.status_code == 400 and "请选择退回到哪一步。" in no_step.text
    assert WorkItem.get_by_id(item.id).state == "open"
    assert actions_logged(instance) == ["submit"]
    assert AuditEntry.select().count() == audits + 1  # the sign-in; the refused posts audit nothing


def test_return_to_the_drafter_who_resubmits_or_cancels(site):
    instance = flows.start(site, "single", site.people["writer"])
    with signed_in(site, "leader") as leader:
        leader.post(
            f"/workflow/items/{item_of(instance, 'leader').id}/return",
            to_step="drafter",
            opinion="请补充依据。",
        )
    assert fresh(instance).step == "drafter"
    with signed_in(site, "writer") as writer:
        page = writer.get(instance.url).text
        assert "重新提交" in page and {"approve", "cancel"} <= form_actions(page)
        assert "退回至：拟稿人" in page and "请补充依据。" in page
        assert "return" not in form_actions(page)  # the drafter cannot return
        writer.post(
            f"/workflow/items/{item_of(instance, 'writer').id}/approve", opinion="已补充。", next=instance.url
        )
        assert "已重新提交。" in writer.get(instance.url).text
    assert fresh(instance).step == "review"
    assert actions_logged(instance) == ["submit", "return", "submit"]


def test_the_drafter_cancels_a_returned_document_with_a_reason(site):
    instance = flows.start(site, "single", site.people["writer"])
    with signed_in(site, "writer") as writer:
        refused = writer.post(f"/workflow/{instance.id}/cancel", reason="不再需要")
        assert refused.status_code == 409  # the leader has it, not the drafter
        writer.post(f"/workflow/{instance.id}/withdraw", next=instance.url)
        assert fresh(instance).step == "drafter"
        no_reason = writer.post(f"/workflow/{instance.id}/cancel", reason="")
        assert no_reason.status_code == 400 and 'id="wf-cancel-reason-error"' in no_reason.text
        assert writer.post(f"/workflow/{instance.id}/cancel", reason="不再需要").status_code == 303
    assert fresh(instance).state == "closed"
    with signed_in(site, "leader") as leader:
        assert leader.post(f"/workflow/{instance.id}/cancel", reason="x").status_code == 403


def test_return_to_an_earlier_step_it_passed(site):
    instance = flows.start(site, "single", site.people["writer"])
    with signed_in(site, "leader") as leader:
        leader.post(f"/workflow/items/{item_of(instance, 'leader').id}/approve", next="/todo/")
    with signed_in(site, "clerk") as clerk:
        page = clerk.get(instance.url).text
        assert 'name="to_step" value="review"' in page and 'name="to_step" value="drafter"' in page
        answer = clerk.post(
            f"/workflow/items/{item_of(instance, 'clerk').id}/return",
            to_step="review",
            opinion="请再看一下。",
        )
        assert answer.status_code == 303
    assert fresh(instance).step == "review"
    assert [i.assignee.username for i in open_items(instance)] == ["leader"]


def test_withdraw_while_the_next_handler_has_not_acted(site):
    instance = flows.start(site, "single", site.people["writer"])
    with signed_in(site, "writer") as writer:
        assert "withdraw" in form_actions(writer.get(instance.url).text)
        assert writer.post(f"/workflow/{instance.id}/withdraw", next=instance.url).status_code == 303
        assert "已撤回。" in writer.get(instance.url).text
        # a second click (another tab) is a clean conflict, not a crash
        again = writer.post(f"/workflow/{instance.id}/withdraw", next=instance.url)
        assert again.status_code == 409 and "不能撤回" in again.text
        writer.post(f"/workflow/items/{item_of(instance, 'writer').id}/approve", next=instance.url)
    with signed_in(site, "leader") as leader:
        assert "withdraw" not in form_actions(leader.get(instance.url).text)
        not_mine = leader.post(f"/workflow/{instance.id}/withdraw")
        assert not_mine.status_code == 400 and "只有最近一步的办理人才能撤回。" in not_mine.text
        leader.post(f"/workflow/items/{item_of(instance, 'leader').id}/approve", next="/todo/")
    with signed_in(site, "clerk") as clerk:
        clerk.post(f"/workflow/items/{item_of(instance, 'clerk').id}/approve", next="/todo/")
    with signed_in(site, "leader") as leader:
        late = leader.post(f"/workflow/{instance.id}/withdraw")
        assert late.status_code == 409 and "不在办理中" in late.text
    assert actions_logged(instance) == ["submit", "withdraw", "submit", "approve", "approve", "finish"]


def test_withdraw_is_refused_once_the_next_step_acted(site):
    instance = flows.start(site, "all", site.people["writer"])
    with signed_in(site, "hui1") as hui1:
        hui1.post(f"/workflow/items/{item_of(instance, 'hui1').id}/approve", next="/todo/")
    with signed_in(site, "writer") as writer:
        assert "withdraw" not in form_actions(writer.get(instance.url).text)
        answer = writer.post(f"/workflow/{instance.id}/withdraw")
        assert answer.status_code == 400  # hui1's signature is the latest approval, not the drafter's
    with signed_in(site, "hui1") as hui1:
        assert "withdraw" in form_actions(hui1.get(instance.url).text)  # still waiting for the others
        assert hui1.post(f"/workflow/{instance.id}/withdraw", next="/todo/").status_code == 303
    assert item_of(instance, "hui1").state == "open"


def test_a_sequential_signature_is_not_withdrawn_once_the_next_signer_has_it(site):
    instance = flows.start(site, "sequence", site.people["writer"])
    with signed_in(site, "hui1") as hui1:
        hui1.post(f"/workflow/items/{item_of(instance, 'hui1').id}/approve", next="/todo/")
        assert "withdraw" not in form_actions(hui1.get(instance.url).text)
        assert hui1.post(f"/workflow/{instance.id}/withdraw").status_code == 409
    assert [i.assignee.username for i in open_items(instance)] == ["hui2"]


# ------------------------------------------------------------------------------ transfer, add, read


def test_transfer_to_another_person(site):
    instance = flows.start(site, "single", site.people["writer"])
    item = item_of(instance, "leader")
    with signed_in(site, "leader") as leader:
        missing = leader.post(f"/workflow/items/{item.id}/transfer", to_user="", next=instance.url)
        assert missing.status_code == 400 and 'id="wf-transfer-to_user-error"' in missing.text
        two = leader.post(f"/workflow/items/{item.id}/transfer", to_user="ren1,ren2")
        assert two.status_code == 400 and "这里只能选择一个人。" in two.text
        ok = leader.post(
            f"/workflow/items/{item.id}/transfer", to_user="ren1", opinion="请任一办理。", next=instance.url
        )
        assert ok.status_code == 303
        assert "已转办给任一。" in leader.get(instance.url).text  # still visible: the leader had an item
    assert [i.assignee.username for i in open_items(instance)] == ["ren1"]
    assert WorkItem.get_by_id(item.id).state == "transferred"
    with signed_in(site, "ren1") as ren1:
        page = ren1.get(instance.url).text
        assert "转办给：任一" in page and "approve" in form_actions(page)


def test_add_signers_hold_the_step_until_they_sign(site):
    instance = flows.start(site, "single", site.people["writer"])
    with signed_in(site, "leader") as leader:
        answer = leader.post(
            f"/workflow/items/{item_of(instance, 'leader').id}/add-signers",
            signers="hui1、hui2",
            next=instance.url,
        )
        assert answer.status_code == 303
        assert "已加签：会一、会二。" in leader.get(instance.url).text
        leader.post(f"/workflow/items/{item_of(instance, 'leader').id}/approve", next="/todo/")
    assert fresh(instance).step == "review"
    for username in ("hui1", "hui2"):
        with signed_in(site, username) as signer:
            assert "加签：会一、会二" in signer.get(instance.url).text
            signer.post(f"/workflow/items/{item_of(instance, username).id}/approve", next="/todo/")
    assert fresh(instance).step == "office"


def test_circulate_for_reading_and_mark_read(site):
    instance = flows.start(site, "single", site.people["writer"])
    with signed_in(site, "hui1") as hui1:
        assert hui1.get(instance.url).status_code == 404  # not yet
    with signed_in(site, "leader") as leader:
        empty = leader.post(f"/workflow/{instance.id}/circulate", readers="")
        assert empty.status_code == 400 and 'id="wf-circulate-readers-error"' in empty.text
        ok = leader.post(
            f"/workflow/{instance.id}/circulate", readers="hui1,hui2", note="请阅知。", next=instance.url
        )
        assert ok.status_code == 303
        assert "已传阅给：会一、会二。" in leader.get(instance.url).text
    assert fresh(instance).step == "review"  # reading does not hold the document up
    with signed_in(site, "hui1") as hui1:
        page = hui1.get(instance.url).text
        assert "此文件传阅给您阅知。" in page and form_actions(page) == {"read"}
        reading = WorkItem.get(
            WorkItem.instance == instance.id,
            WorkItem.kind == "read",
            WorkItem.assignee == site.people["hui1"].id,
        )
        assert hui1.post(f"/workflow/items/{reading.id}/read", next=instance.url).status_code == 303
        assert WorkItem.get_by_id(reading.id).state == "done"
        assert "read" not in form_actions(hui1.get(instance.url).text)
        # a reader may not circulate further or manage the document
        assert hui1.post(f"/workflow/{instance.id}/circulate", readers="hui3").status_code == 403
        assert hui1.post(f"/workflow/{instance.id}/suspend", reason="x").status_code == 403
    with signed_in(site, "hui2") as hui2:
        other = WorkItem.get(
            WorkItem.instance == instance.id,
            WorkItem.kind == "read",
            WorkItem.assignee == site.people["hui1"].id,
        )
        assert hui2.post(f"/workflow/items/{other.id}/read").status_code == 400  # not hui2's item
    assert actions_logged(instance) == ["submit", "circulate", "read"]


# ------------------------------------------------------------------------- urge, suspend, resume


def test_the_drafter_urges_the_current_handlers(site):
    instance = flows.start(site, "single", site.people["writer"])
    with signed_in(site, "writer") as writer:
        assert "urge" in form_actions(writer.get(instance.url).text)
        answer = writer.post(f"/workflow/{instance.id}/urge", message="明天开会要用。", next=instance.url)
        assert answer.status_code == 303
        assert "已催办：主任。" in writer.get(instance.url).text
    with signed_in(site, "leader") as leader:
        assert "urge" not in form_actions(leader.get(instance.url).text)
        assert leader.post(f"/workflow/{instance.id}/urge", message="x").status_code == 403
    log = ActionLog.get(ActionLog.instance == instance.id, ActionLog.action == "urge")
    assert log.opinion == "明天开会要用。" and log.actor_id == site.people["writer"].id


def test_suspend_stops_everything_until_resumed(site, clock):
    instance = flows.start(site, "single", site.people["writer"])
    item = item_of(instance, "leader")
    due = item.due_at
    with signed_in(site, "writer") as writer:
        no_reason = writer.post(f"/workflow/{instance.id}/suspend", reason=" ")
        assert no_reason.status_code == 400 and 'id="wf-suspend-reason-error"' in no_reason.text
        assert (
            writer.post(
                f"/workflow/{instance.id}/suspend", reason="等待外单位材料", next=instance.url
            ).status_code
            == 303
        )
        page = writer.get(instance.url).text
        assert "已挂起" in page and "resume" in form_actions(page) and "suspend" not in form_actions(page)
    with signed_in(site, "leader") as leader:
        blocked = leader.post(f"/workflow/items/{item.id}/approve", next=instance.url)
        assert blocked.status_code == 409 and "该文件已挂起，恢复后才能办理。" in blocked.text
        assert "approve" not in form_actions(leader.get(instance.url).text)
        assert leader.post(f"/workflow/{instance.id}/resume").status_code == 403
    clock.advance(days=3)
    with signed_in(site, "monitor") as monitor:
        assert monitor.post(f"/workflow/{instance.id}/resume", next=instance.url).status_code == 303
    assert fresh(instance).state == "running"
    assert WorkItem.get_by_id(item.id).due_at - due == timedelta(days=3)


# ------------------------------------------------------------------------------------ 流程监控


def test_monitor_reassigns_jumps_and_closes_with_reasons(site):
    instance = flows.start(site, "single", site.people["writer"])
    item = item_of(instance, "leader")
    with signed_in(site, "leader") as leader:
        assert leader.get("/workflow/monitor/").status_code == 403
        assert leader.post(f"/workflow/monitor/{instance.id}/close", reason="x").status_code == 403
    with signed_in(site, "monitor") as monitor:
        listing = monitor.get("/workflow/monitor/").text
        assert instance.title in listing and f'href="/workflow/{instance.id}/"' in listing
        page = monitor.get(f"/workflow/{instance.id}/").text
        assert {"reassign", "jump", "close"} <= form_actions(page)
        assert 'data-confirm="确定把该事项改派给所选人员吗？"' in page
        no_reason = monitor.post(
            f"/workflow/monitor/{instance.id}/reassign", item=str(item.id), to_user="ren1", reason=""
        )
        assert no_reason.status_code == 400 and 'id="wf-reassign-reason-error"' in no_reason.text
        wrong_item = monitor.post(
            f"/workflow/monitor/{instance.id}/reassign", item="999999", to_user="ren1", reason="x"
        )
        assert wrong_item.status_code == 400 and 'id="wf-reassign-item-error"' in wrong_item.text
        ok = monitor.post(
            f"/workflow/monitor/{instance.id}/reassign",
            item=str(item.id),
            to_user="ren1",
            reason="主任出差",
            next="/workflow/monitor/",
        )
        assert ok.status_code == 303 and ok.headers["location"] == "/workflow/monitor/"
        assert WorkItem.get_by_id(item.id).assignee.username == "ren1"
        bad_step = monitor.post(f"/workflow/monitor/{instance.id}/jump", to_step="nowhere", reason="x")
        assert bad_step.status_code == 400 and 'id="wf-jump-to_step-error"' in bad_step.text
        assert (
            monitor.post(
                f"/workflow/monitor/{instance.id}/jump", to_step="office", reason="急件直送办公室"
            ).status_code
            == 303
        )
        assert fresh(instance).step == "office"
        assert monitor.post(f"/workflow/monitor/{instance.id}/close", reason="重复提交").status_code == 303
        page = monitor.get(f"/workflow/{instance.id}/").text
        assert "改派：主任 → 任一" in page and "跳转至：办公室办理" in page and "重复提交" in page
    assert fresh(instance).state == "closed"
    assert open_items(instance) == []
    audited = [e.action for e in AuditEntry.select().where(AuditEntry.object_id == str(instance.object_id))]
    assert audited[-3:] == ["flows.workflow.reassign", "flows.workflow.jump", "flows.workflow.close"]


def test_monitor_list_filters(site, clock):
    first = flows.start(site, "single", site.people["writer"], title="第一件")
    second = flows.start(site, "any", site.people["clerk"], title="第二件")
    clock.advance(days=10)  # the review step has a 2-day limit: overdue now
    with signed_in(site, "monitor") as monitor:

        def titles(query):
            page = monitor.get(f"/workflow/monitor/{query}")
            assert page.status_code == 200
            return {t for t in ("第一件", "第二件") if t in page.text}

        assert titles("") == {"第一件", "第二件"}
        assert titles("?step=pick") == {"第二件"}
        assert titles("?drafter=文书") == {"第二件"}
        assert titles("?overdue=1") == {"第一件", "第二件"}
        assert titles("?plugin=flows&step=review") == {"第一件"}
        data = monitor.api_get("/workflow/monitor?step=review").json()
        assert [i["id"] for i in data["items"]] == [first.id]
        assert monitor.get("/workflow/monitor/?plugin=nope").status_code == 400
    assert second.id != first.id


# ------------------------------------------------------------------------------ who sees, 404, 409


def test_people_a_document_does_not_concern_get_404(site):
    instance = flows.start(site, "single", site.people["writer"])
    item = item_of(instance, "leader")
    with signed_in(site, "other") as other:
        assert other.get(instance.url).status_code == 404
        assert other.get(f"/workflow/{instance.id}/").status_code == 404
        assert other.post(f"/workflow/items/{item.id}/approve").status_code == 404
        assert other.post(f"/workflow/{instance.id}/urge", message="x").status_code == 404
        assert other.post("/workflow/items/999999/approve").status_code == 404
        api = other.api_get(f"/workflow/{instance.id}")
        assert api.status_code == 404 and api.json()["error"]["code"] == "not_found"
        assert other.api(f"/workflow/items/{item.id}/approve").status_code == 404
    assert WorkItem.get_by_id(item.id).state == "open"
    with signed_in(site, "monitor") as monitor:
        assert monitor.get(instance.url).status_code == 200  # the administrators see every document


def test_someone_who_sees_the_document_cannot_act_on_another_persons_item(site):
    instance = flows.start(site, "single", site.people["writer"])
    item = item_of(instance, "leader")
    with signed_in(site, "writer") as writer:
        answer = writer.post(f"/workflow/items/{item.id}/approve", next=instance.url)
        assert answer.status_code == 400 and "这不是您的待办事项。" in answer.text
    assert WorkItem.get_by_id(item.id).state == "open"


def test_a_second_approval_gets_the_conflict_page_and_json(site):
    instance = flows.start(site, "any", site.people["writer"])
    with signed_in(site, "ren1") as ren1, signed_in(site, "ren2") as ren2, signed_in(site, "ren3") as ren3:
        ren1_item, ren2_item, ren3_item = (item_of(instance, u) for u in ("ren1", "ren2", "ren3"))
        assert ren1.post(f"/workflow/items/{ren1_item.id}/approve", next="/todo/").status_code == 303
        page = ren2.client.post(
            f"/workflow/items/{ren2_item.id}/approve",
            data={"csrf_token": ren2.token},
            headers={"referer": f"http://testserver{instance.url}"},
            follow_redirects=False,
        )
        assert page.status_code == 409
        assert "操作冲突" in page.text and "该事项已被处理" in page.text
        assert f'href="http://testserver{instance.url}"' in page.text  # back to see the latest state
        api = ren3.api(f"/workflow/items/{ren3_item.id}/approve", {"opinion": "同意"})
        assert api.status_code == 409
        assert (
            api.json()["error"]["code"] == "conflict" and "该事项已被处理" in api.json()["error"]["message"]
        )
    assert actions_logged(instance) == ["submit", "approve"]


# ----------------------------------------------------------------------------------- the panel


def test_the_panel_offers_each_person_what_they_may_do(site):
    instance = flows.start(site, "single", site.people["writer"])
    with signed_in(site, "leader") as leader:
        leader.post(f"/workflow/{instance.id}/circulate", readers="hui1")
    expected = {
        "leader": {"approve", "return", "transfer", "add-signers", "circulate"},
        "writer": {"withdraw", "circulate", "urge", "suspend"},
        "monitor": {"circulate", "urge", "suspend", "reassign", "jump", "close"},
        "hui1": {"read"},
    }
    for username, actions in expected.items():
        with signed_in(site, username) as person:
            page = person.get(instance.url)
            assert page.status_code == 200
            assert form_actions(page.text) == actions, username
            assert ("流程监控" in page.text.split('data-testid="workflow-panel"')[1]) == (
                username == "monitor"
            )


def test_the_panel_shows_deadlines_and_lights_in_words(site, clock):
    instance = flows.start(site, "single", site.people["writer"])  # review: 2 working days (Wed 23:59:59)
    for days, shown in (
        (0, "正常：期限 2026-03-04 23:59"),
        (1, "黄灯：即将到期，期限 2026-03-04 23:59"),  # Tuesday: due by the end of the next working day
        (2, "红灯：已超期，期限 2026-03-04 23:59"),  # Thursday
    ):
        clock.advance(days=days)
        with signed_in(site, "writer") as writer:
            assert shown in writer.get(instance.url).text


def test_delegated_items_show_who_acts_for_whom(site_factory):
    class Delegate:
        @hookimpl
        def workflow_assignee(self, app, user, plugin):
            return User.get(User.username == "deputy") if user.username == "leader" else None

    app = site_factory(extra_plugins=[flows.make_plugin(), make_plugin("stand_in", Delegate())])
    app.people = flows.staff(app, {"deputy": ("副主任", [])})
    instance = flows.start(app, "single", app.people["writer"])
    with signed_in(app, "deputy") as deputy:
        page = deputy.get(instance.url).text
        assert "副主任（代 主任）" in page and "approve" in form_actions(page)
        assert "代办：代 主任" in deputy.get("/todo/").text
        deputy.post(
            f"/workflow/items/{item_of(instance, 'deputy').id}/approve", opinion="同意。", next=instance.url
        )
        assert "副主任 代 主任" in deputy.get(instance.url).text
    with signed_in(app, "leader") as leader:
        assert leader.get(instance.url).status_code == 200  # the principal sees what was done for them
        # ... and finds it in their own 已办, marked as done by the delegate (page and API)
        done = leader.get("/todo/done").text
        assert instance.title in done and "由 副主任 代办" in done
        (row,) = leader.get("/api/v1/core/todo?box=done").json()["items"]
        assert (row["holder"]["username"], row["on_behalf_of"]["username"]) == ("deputy", "leader")
    with signed_in(app, "deputy") as deputy:
        # the delegate's own 已办 keeps the "代 主任" mark
        assert "代办：代 主任" in deputy.get("/todo/done").text
    log = ActionLog.get(ActionLog.instance == instance.id, ActionLog.action == "approve")
    assert (log.actor.username, log.on_behalf_of.username) == ("deputy", "leader")
    with signed_in(app, "deputy") as deputy:
        # the delegate takes it back before the office acted: the log says "副主任 代 主任" again
        deputy.post(f"/workflow/{instance.id}/withdraw", next=instance.url)
    withdrawn = ActionLog.get(ActionLog.instance == instance.id, ActionLog.action == "withdraw")
    assert (withdrawn.actor.username, withdrawn.on_behalf_of.username) == ("deputy", "leader")


def test_hook_opinion_phrases(site_factory):
    class Phrases:
        @hookimpl
        def opinion_phrases(self, app, user):
            return ["拟同意，请领导审示。", "同意。"] if user.username == "leader" else []

    app = site_factory(
        plugins=["profile"], extra_plugins=[flows.make_plugin(), make_plugin("phrases", Phrases())]
    )
    app.people = flows.staff(app)
    from officium.plugins.profile.opinions import add

    add(app.people["leader"], "同意，请办公室办理。", app.clock())
    add(app.people["leader"], "同意。", app.clock())  # also in the other plugin's list: shown once
    instance = flows.start(app, "single", app.people["writer"])
    with signed_in(app, "leader") as leader:
        page = leader.get(instance.url).text
        options = page.split('id="wf-approve-opinion-phrases"')[1].split("</select>")[0]
        offered = [o.split(">")[1].split("<")[0] for o in options.split("<option")[2:]]
        # both plugins' lists, concatenated (the plugin registered later is called first), repeats dropped
        assert sorted(offered) == sorted(["拟同意，请领导审示。", "同意。", "同意，请办公室办理。"])
        assert len(offered) == 3
    with signed_in(app, "ren1") as ren1:
        assert "wf-phrases" not in ren1.get("/todo/").text
    from officium.core.workflow.panel import opinion_phrases

    assert opinion_phrases(app, app.people["clerk"]) == []


# ----------------------------------------------------------------------------------------- the API


def test_every_action_through_the_api(site):
    people = site.people
    doc = flows.start(site, "single", people["writer"])
    with signed_in(site, "leader") as leader:
        state = leader.api_get(f"/workflow/{doc.id}").json()
        assert state["step"]["name"] == "review" and state["item_id"] == item_of(doc, "leader").id
        assert set(state["actions"]) == {"approve", "return", "transfer", "add_signers", "circulate"}
        assert state["return_to"] == [{"step": "drafter", "title": "拟稿人"}]
        bad = leader.api(f"/workflow/items/{state['item_id']}/return", {"to_step": "drafter"})
        assert bad.status_code == 400
        assert bad.json()["error"] == {
            "code": "invalid",
            "message": "退回时请填写退回理由。",
            "fields": {"opinion": "退回时请填写退回理由。"},
        }
        assert (
            leader.api(f"/workflow/items/{state['item_id']}/add-signers", {"signers": ["hui1"]}).status_code
            == 200
        )
        assert (
            leader.api(f"/workflow/{doc.id}/circulate", {"readers": ["hui2"], "note": "阅"}).status_code
            == 200
        )
        moved = leader.api(
            f"/workflow/items/{state['item_id']}/transfer", {"to_user": "ren1", "opinion": "请办理"}
        )
        assert moved.status_code == 200 and moved.json()["message"] == "已转办给任一。"
    with signed_in(site, "hui1") as hui1:
        signed = hui1.api(f"/workflow/items/{item_of(doc, 'hui1').id}/approve", {"opinion": "会签同意"})
        assert signed.status_code == 200 and signed.json()["instance"]["step"]["name"] == "review"
    with signed_in(site, "ren1") as ren1:
        answer = ren1.api(f"/workflow/items/{item_of(doc, 'ren1').id}/approve", {"opinion": "同意"})
        assert answer.json()["instance"]["step"]["name"] == "office"
        assert "withdraw" in answer.json()["instance"]["actions"]
        assert ren1.api(f"/workflow/{doc.id}/withdraw").json()["instance"]["step"]["name"] == "review"
        ren1.api(f"/workflow/items/{item_of(doc, 'ren1').id}/approve", {"opinion": "同意"})
    with signed_in(site, "clerk") as clerk:
        back = clerk.api(
            f"/workflow/items/{item_of(doc, 'clerk').id}/return", {"to_step": "review", "opinion": "补充"}
        )
        assert back.status_code == 200
        # back to the people who handled that step: the transferee and the added signer
        assert {h["username"] for h in back.json()["instance"]["handlers"]} == {"ren1", "hui1"}
    with signed_in(site, "hui2") as hui2:
        reading = hui2.api_get("/todo?box=read").json()["items"]
        assert [r["title"] for r in reading] == [doc.title]
        assert hui2.api(f"/workflow/items/{reading[0]['id']}/read").status_code == 200
    with signed_in(site, "writer") as writer:
        assert (
            writer.api(f"/workflow/{doc.id}/urge", {"message": "请快"}).json()["message"]
            == "已催办：会一、任一。"
        )
        suspended = writer.api(f"/workflow/{doc.id}/suspend", {"reason": ""})
        assert suspended.status_code == 400 and suspended.json()["error"]["fields"] == {
            "reason": "请填写挂起原因。"
        }
        assert (
            writer.api(f"/workflow/{doc.id}/suspend", {"reason": "等材料"}).json()["instance"]["state"]
            == "suspended"
        )
        assert writer.api(f"/workflow/{doc.id}/resume").json()["instance"]["state"] == "running"
    with signed_in(site, "monitor") as monitor:
        item = item_of(doc, "ren1")
        moved = monitor.api(
            f"/workflow/monitor/{doc.id}/reassign", {"item": item.id, "to_user": "ren2", "reason": "请假"}
        )
        assert moved.status_code == 200
        assert {h["username"] for h in moved.json()["instance"]["handlers"]} == {"ren2", "hui1"}
        jumped = monitor.api(f"/workflow/monitor/{doc.id}/jump", {"to_step": "office", "reason": "急"})
        assert jumped.json()["instance"]["step"]["name"] == "office"
        assert (
            monitor.api(f"/workflow/monitor/{doc.id}/close", {"reason": "作废"}).json()["instance"]["state"]
            == "closed"
        )
        again = monitor.api(f"/workflow/monitor/{doc.id}/close", {"reason": "作废"})
        assert again.status_code == 409 and again.json()["error"]["code"] == "conflict"
    other = flows.start(site, "single", people["writer"])
    with signed_in(site, "writer") as writer:
        writer.api(f"/workflow/{other.id}/withdraw")
        assert (
            writer.api(f"/workflow/{other.id}/cancel", {"reason": "不办了"}).json()["instance"]["state"]
            == "closed"
        )
    logged = actions_logged(doc)
    for action in ("add_signer", "transfer", "circulate", "approve", "withdraw", "return", "read", "urge"):
        assert action in logged
    assert logged[-5:] == ["suspend", "resume", "reassign", "jump", "close"]


def test_api_needs_json_objects_and_known_people(site):
    doc = flows.start(site, "single", site.people["writer"])
    item = item_of(doc, "leader")
    with signed_in(site, "leader") as leader:
        odd = leader.client.post(
            f"/api/v1/core/workflow/items/{item.id}/approve",
            json=["x"],
            headers={"X-CSRF-Token": leader.token},
        )
        assert odd.status_code == 400 and odd.json()["error"]["code"] == "invalid"
        nobody = leader.api(f"/workflow/items/{item.id}/transfer", {"to_user": "ghost"})
        assert nobody.json()["error"]["fields"] == {"to_user": "找不到在岗人员：ghost。"}
        no_token = leader.client.post(f"/api/v1/core/workflow/items/{item.id}/approve", json={})
        assert no_token.status_code == 403 and no_token.json()["error"]["code"] == "csrf_failed"
    assert WorkItem.get_by_id(item.id).state == "open"
