"""The JSON API: options, filing, the list, detail with 流转记录, every action, carrying out."""

from __future__ import annotations

from officium.core.identity.models import User

API = "/api/v1/change_requests"


def test_the_whole_flow_through_the_api(desk, bureau):
    desk.as_("zhou")
    options = desk.api("GET", f"{API}/options").json()
    assert [u["code"] for u in options["units"]] == ["RSC"]
    assert {p["username"] for p in options["units"][0]["people"]} == {"zhou", "wang", "qian", "sun"}
    assert "sysadmin" not in {r["name"] for r in options["roles"]} and "clerk" in {
        r["name"] for r in options["roles"]
    }

    created = desk.api(
        "POST",
        f"{API}/requests",
        {"kind": "new_account", "name": "陈新", "username": "chenxin", "reason": "入职"},
    )
    assert created.status_code == 201
    body = created.json()
    change_id = body["id"]
    assert body["status"] == "leader" and body["unit"] == "RSC" and body["actions"] == ["withdraw"]
    assert [row["action"] for row in body["timeline"]] == ["submit"]
    listed = desk.api("GET", f"{API}/requests?status=leader").json()
    assert [r["id"] for r in listed["items"]] == [change_id] and listed["total"] == 1
    assert desk.api("GET", f"{API}/requests?status=done").json()["total"] == 0
    assert desk.api("GET", f"{API}/requests?status=nope").status_code == 400

    desk.as_("wang")
    assert desk.api("GET", f"{API}/requests/{change_id}").json()["actions"] == ["approve", "return"]
    approved = desk.api("POST", f"{API}/requests/{change_id}/approve", {"opinion": "同意"})
    assert approved.status_code == 200 and approved.json()["status"] == "carry_out"
    conflict = desk.api("POST", f"{API}/requests/{change_id}/approve", {"opinion": "同意"})
    assert conflict.status_code == 400 and conflict.json()["error"]["code"] == "invalid"

    desk.as_("itadmin")
    queue = desk.api("GET", f"{API}/queue").json()
    assert [r["id"] for r in queue["items"]] == [change_id]
    done = desk.api("POST", f"{API}/requests/{change_id}/carry-out", {"opinion": "已开通"})
    assert done.status_code == 200
    result = done.json()
    assert result["status"] == "done" and result["person"] == "chenxin"
    assert len(result["one_time_password"]) >= 8 and result["moved_items"] == 0
    assert [row["action"] for row in result["timeline"]] == ["submit", "approve", "approve", "finish"]
    assert "one_time_password" not in desk.api("GET", f"{API}/requests/{change_id}").json()
    assert User.get(User.username == "chenxin").unit_id == bureau.rsc.id


def test_api_errors_name_the_fields(desk, bureau):
    desk.as_("zhou")
    response = desk.api("POST", f"{API}/requests", {"kind": "transfer", "person": "nobody", "reason": ""})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert set(error["fields"]) == {"person", "target_unit", "position", "reason"}
    assert desk.api("POST", f"{API}/requests", ["x"]).status_code == 400


def test_api_return_resubmit_withdraw_and_read(desk, bureau):
    desk.as_("zhou")
    created = desk.api(
        "POST",
        f"{API}/requests",
        {"kind": "role_change", "person": "qian", "role": "clerk", "role_action": "grant", "reason": "兼任"},
    ).json()
    change_id = created["id"]
    desk.as_("wang")
    no_reason = desk.api("POST", f"{API}/requests/{change_id}/return", {})
    assert no_reason.status_code == 400 and no_reason.json()["error"]["fields"] == {
        "opinion": "退回时请填写退回理由。"
    }
    assert (
        desk.api("POST", f"{API}/requests/{change_id}/return", {"opinion": "请说明"}).json()["status"]
        == "returned"
    )
    desk.as_("zhou")
    assert (
        desk.api("POST", f"{API}/requests/{change_id}/resubmit", {"opinion": "已说明"}).json()["status"]
        == "leader"
    )
    desk.as_("wang").api("POST", f"{API}/requests/{change_id}/approve", {})
    desk.as_("itadmin")
    assert desk.api("POST", f"{API}/requests/{change_id}/carry-out", {}).json()["informed"] == ["liu", "wu"]
    desk.as_("liu")
    assert desk.api("GET", f"{API}/requests/{change_id}").json()["actions"] == ["read"]
    assert desk.api("POST", f"{API}/requests/{change_id}/read", {}).status_code == 200
    assert desk.api("POST", f"{API}/requests/{change_id}/read", {}).status_code == 400  # read already
    desk.as_("zhou")
    other = desk.api(
        "POST", f"{API}/requests", {"kind": "departure", "person": "sun", "reason": "退休"}
    ).json()["id"]
    assert desk.api("POST", f"{API}/requests/{other}/withdraw", {}).json()["status"] == "closed"


def test_api_permissions(desk, bureau):
    assert desk.as_("qian").api("POST", f"{API}/requests", {"kind": "departure"}).status_code == 403
    assert desk.api("GET", f"{API}/queue").status_code == 403
    assert desk.api("GET", f"{API}/requests").json()["total"] == 0  # a staff member lists nothing
    assert desk.as_("zhou").api("POST", f"{API}/requests/1/carry-out", {}).status_code == 403
    assert desk.as_("itadmin").api("GET", f"{API}/options").status_code == 403
