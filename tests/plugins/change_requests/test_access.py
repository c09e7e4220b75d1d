"""Who may see and do what: permissions per route, and object-level checks (another unit's id is 404)."""

from __future__ import annotations

from officium.plugins.change_requests.models import ChangeRequest


def test_permissions_per_role(desk, bureau):
    assert desk.as_("qian").get("/change_requests/").status_code == 403  # staff: no request permission
    assert desk.get("/change_requests/new").status_code == 403
    assert desk.as_("itadmin").get("/change_requests/new").status_code == 403  # 三员 hold no staff permission
    assert desk.get("/change_requests/").status_code == 403
    assert desk.get("/change_requests/queue").status_code == 200
    assert desk.as_("zhou").get("/change_requests/queue").status_code == 403
    nav = desk.get("/change_requests/").text
    assert 'href="/change_requests/"' in nav and 'href="/change_requests/queue"' not in nav


def test_another_units_request_is_not_found(desk, bureau):
    change_id = desk.as_("zhou").file(kind="departure", departure_person="qian", reason="退休")
    desk.as_("li")  # 综合人员 of 财务处
    assert desk.get(f"/change_requests/{change_id}").status_code == 404
    assert desk.api("GET", f"/api/v1/change_requests/requests/{change_id}").status_code == 404
    assert desk.post(f"/change_requests/{change_id}/withdraw").status_code == 404
    assert f'data-request="{change_id}"' not in desk.get("/change_requests/").text
    assert desk.api("GET", "/api/v1/change_requests/requests").json()["total"] == 0
    desk.as_("zhao")  # 财务处's leader has no item on it
    assert desk.get(f"/change_requests/{change_id}").status_code == 404
    assert desk.post(f"/change_requests/{change_id}/approve", {"opinion": "同意"}).status_code == 404
    assert desk.get("/change_requests/999").status_code == 404
    # the leader of 人事处 sees it (the workflow gave him an item), the filer's unit and the IT division too
    assert desk.as_("wang").get(f"/change_requests/{change_id}").status_code == 200
    assert desk.as_("itadmin").get(f"/change_requests/{change_id}").status_code == 200


def test_only_the_current_handler_acts(desk, bureau):
    change_id = desk.as_("zhou").file(kind="departure", departure_person="qian", reason="退休")
    refused = desk.post(f"/change_requests/{change_id}/approve", {"opinion": "我自己批"})
    assert refused.status_code == 400 and "没有待办理的事项" in refused.text
    assert desk.as_("itadmin").carry_out(change_id).status_code == 400  # not at the IT step yet
    desk.as_("wang").approve(change_id)
    again = desk.post(f"/change_requests/{change_id}/approve", {"opinion": "同意"})
    assert again.status_code == 400
    assert desk.as_("zhou").carry_out(change_id).status_code == 403  # clerks never carry out
    assert ChangeRequest.get_by_id(change_id).carried_out_at is None
