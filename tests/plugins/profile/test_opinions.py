"""常用意见 through the pages and the JSON API: add, edit, reorder, delete, limits, and other people's ids."""

from __future__ import annotations

from datetime import datetime

import pytest

from officium.core.audit import AuditEntry
from officium.plugins.profile import opinions
from officium.plugins.profile.models import OPINION_MAX, OPINIONS_PER_USER, Opinion
from officium.plugins.profile.opinions import common_opinions
from officium.testing import add_user, app_client, login


@pytest.fixture
def app(site_factory):
    return site_factory(plugins=["profile"])


@pytest.fixture
def zhou(app):
    return add_user(app, "zhou", name="周静", roles=["clerk"])


@pytest.fixture
def hu(app):
    return add_user(app, "hu", name="胡晶")


@pytest.fixture
def token(client, zhou):
    return login(client, "zhou")


def seed(app, user, *texts):
    with app.db.atomic():
        return [opinions.add(user, t, app.clock()) for t in texts]


def add(client, token, text, **kwargs):
    return client.post("/profile/opinions", data={"text": text, "csrf_token": token}, **kwargs)


def listed(html: str) -> list[str]:
    table = html.split('data-testid="opinions">', 1)[1].split("</table>", 1)[0]
    return [row.split("<td>")[2].split("</td>")[0] for row in table.split("<tr data-opinion=")[1:]]


# ----------------------------------------------------------------------------------------------- pages


def test_add_edit_and_delete_through_the_pages(app, client, zhou, token):
    response = add(client, token, "  同意。  ", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/profile/opinions?done=opinion_added"
    add(client, token, "请办公室阅处。")
    assert common_opinions(zhou) == ["同意。", "请办公室阅处。"]
    assert listed(client.get("/profile/opinions").text) == ["同意。", "请办公室阅处。"]

    first = Opinion.get(Opinion.text == "同意。")
    edit = client.get(f"/profile/opinions/{first.id}/edit")
    assert edit.status_code == 200 and 'value="同意。"' in edit.text
    saved = client.post(
        f"/profile/opinions/{first.id}/edit",
        data={"text": "同意，请抓紧办理。", "csrf_token": token},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    assert common_opinions(zhou) == ["同意，请抓紧办理。", "请办公室阅处。"]

    deleted = client.post(
        f"/profile/opinions/{first.id}/delete", data={"csrf_token": token}, follow_redirects=False
    )
    assert deleted.status_code == 303
    assert common_opinions(zhou) == ["请办公室阅处。"]
    actions = [
        e.action for e in AuditEntry.select().where(AuditEntry.plugin == "profile").order_by(AuditEntry.id)
    ]
    assert actions == [
        "profile.opinion.create",
        "profile.opinion.create",
        "profile.opinion.update",
        "profile.opinion.delete",
    ]


def test_delete_asks_for_confirmation(app, client, zhou, token):
    seed(app, zhou, "同意。")
    html = client.get("/profile/opinions").text
    assert 'data-confirm="确定删除这条常用意见吗？"' in html


def test_reorder_up_and_down(app, client, zhou, token):
    a, b, c = seed(app, zhou, "甲", "乙", "丙")

    def move(opinion, direction):
        return client.post(
            f"/profile/opinions/{opinion.id}/move",
            data={"direction": direction, "csrf_token": token},
            follow_redirects=False,
        )

    assert move(c, "up").status_code == 303
    assert common_opinions(zhou) == ["甲", "丙", "乙"]
    move(a, "down")
    assert common_opinions(zhou) == ["丙", "甲", "乙"]
    # At either end nothing moves.
    move(c, "up")
    move(b, "down")
    assert common_opinions(zhou) == ["丙", "甲", "乙"]
    assert listed(client.get("/profile/opinions").text) == ["丙", "甲", "乙"]
    assert move(a, "sideways").status_code == 400
    assert common_opinions(zhou) == ["丙", "甲", "乙"]


def test_reorder_after_a_deletion_keeps_the_order(app, client, zhou, token):
    _, b, _, d = seed(app, zhou, "甲", "乙", "丙", "丁")
    client.post(f"/profile/opinions/{b.id}/delete", data={"csrf_token": token})
    client.post(f"/profile/opinions/{d.id}/move", data={"direction": "up", "csrf_token": token})
    assert common_opinions(zhou) == ["甲", "丁", "丙"]
    assert [o.position for o in opinions.own(zhou)] == [1, 2, 3]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "请填写意见内容"),
        ("   ", "请填写意见内容"),
        ("好" * (OPINION_MAX + 1), f"不能超过 {OPINION_MAX} 个字（现有 {OPINION_MAX + 1} 个）"),
        ("同意\n请阅", "不能包含换行"),
        ("同意\x00", "不能包含换行"),
    ],
)
def test_bad_text_is_refused_beside_the_field(app, client, zhou, token, text, message):
    response = add(client, token, text)
    assert response.status_code == 400
    assert message in response.text
    assert "has-error" in response.text
    assert common_opinions(zhou) == []


def test_the_longest_allowed_text_is_accepted(app, client, zhou, token):
    assert add(client, token, "好" * OPINION_MAX, follow_redirects=False).status_code == 303
    assert common_opinions(zhou) == ["好" * OPINION_MAX]


def test_duplicates_are_refused_when_adding_and_editing(app, client, zhou, token):
    a, _ = seed(app, zhou, "同意。", "已阅。")
    response = add(client, token, " 同意。 ")
    assert response.status_code == 400 and "已有这一条" in response.text
    edit = client.post(f"/profile/opinions/{a.id}/edit", data={"text": "已阅。", "csrf_token": token})
    assert edit.status_code == 400 and "已有这一条" in edit.text
    assert common_opinions(zhou) == ["同意。", "已阅。"]
    # Saving a phrase unchanged is not a duplicate of itself.
    same = client.post(
        f"/profile/opinions/{a.id}/edit", data={"text": "同意。", "csrf_token": token}, follow_redirects=False
    )
    assert same.status_code == 303


def test_two_people_may_keep_the_same_phrase(app, client, zhou, hu, token):
    seed(app, hu, "同意。")
    assert add(client, token, "同意。", follow_redirects=False).status_code == 303
    assert common_opinions(zhou) == ["同意。"] and common_opinions(hu) == ["同意。"]


def test_at_most_fifty_per_person(app, client, zhou, hu, token):
    seed(app, zhou, *(f"意见{i}" for i in range(OPINIONS_PER_USER - 1)))
    assert add(client, token, "第五十条", follow_redirects=False).status_code == 303
    page = client.get("/profile/opinions").text
    assert "达到上限" in page and 'action="/profile/opinions"' not in page
    response = add(client, token, "第五十一条")
    assert response.status_code == 400 and f"最多 {OPINIONS_PER_USER} 条" in response.text
    api = client.post(
        "/api/v1/profile/opinions", json={"text": "第五十一条"}, headers={"X-CSRF-Token": token}
    )
    assert api.status_code == 400
    assert len(common_opinions(zhou)) == OPINIONS_PER_USER
    # The limit is per person.
    seed(app, hu, "同意。")
    assert common_opinions(hu) == ["同意。"]


def test_another_persons_opinion_id_is_404_on_every_page_route(app, client, zhou, hu, token):
    (theirs,) = seed(app, hu, "胡的意见")
    assert client.get(f"/profile/opinions/{theirs.id}/edit").status_code == 404
    for path, data in (
        (f"/profile/opinions/{theirs.id}/edit", {"text": "改掉"}),
        (f"/profile/opinions/{theirs.id}/move", {"direction": "up"}),
        (f"/profile/opinions/{theirs.id}/delete", {}),
    ):
        assert client.post(path, data={**data, "csrf_token": token}).status_code == 404
    assert client.get("/profile/opinions/999999/edit").status_code == 404
    assert common_opinions(hu) == ["胡的意见"]
    assert "胡的意见" not in client.get("/profile/opinions").text


# ------------------------------------------------------------------------------------------------- API


def test_api_crud(app, client, zhou, token):
    headers = {"X-CSRF-Token": token}
    assert client.get("/api/v1/profile/opinions").json() == {
        "items": [],
        "page": 1,
        "per_page": 20,
        "total": 0,
    }
    created = client.post("/api/v1/profile/opinions", json={"text": " 同意。 "}, headers=headers)
    assert created.status_code == 201
    body = created.json()
    assert body["text"] == "同意。" and body["position"] == 1
    client.post("/api/v1/profile/opinions", json={"text": "已阅。"}, headers=headers)
    listing = client.get("/api/v1/profile/opinions").json()
    assert [i["text"] for i in listing["items"]] == ["同意。", "已阅。"] and listing["total"] == 2

    updated = client.put(
        f"/api/v1/profile/opinions/{body['id']}", json={"text": "同意，请办理。"}, headers=headers
    )
    assert updated.status_code == 200 and updated.json()["text"] == "同意，请办理。"
    assert common_opinions(zhou) == ["同意，请办理。", "已阅。"]

    deleted = client.delete(f"/api/v1/profile/opinions/{body['id']}", headers=headers)
    assert deleted.status_code == 204
    assert common_opinions(zhou) == ["已阅。"]


def test_api_validation_errors(app, client, zhou, token):
    headers = {"X-CSRF-Token": token}
    seed(app, zhou, "同意。")
    cases = [
        ({"text": "同意。"}, "已有这一条"),
        ({"text": ""}, "请填写意见内容"),
        ({"text": "长" * (OPINION_MAX + 1)}, "不能超过"),
        ({"text": 5}, "应为字符串"),
        ({}, "应为字符串"),
    ]
    for body, message in cases:
        response = client.post("/api/v1/profile/opinions", json=body, headers=headers)
        assert response.status_code == 400
        error = response.json()["error"]
        assert error["code"] == "invalid" and message in error["fields"]["text"]
    not_object = client.post("/api/v1/profile/opinions", json=["同意"], headers=headers)
    assert not_object.status_code == 400 and not_object.json()["error"]["code"] == "invalid"
    assert common_opinions(zhou) == ["同意。"]


def test_api_needs_the_csrf_token_with_a_session(app, client, zhou, token):
    response = client.post("/api/v1/profile/opinions", json={"text": "同意。"})
    assert response.status_code == 403 and response.json()["error"]["code"] == "csrf_failed"
    assert common_opinions(zhou) == []


def test_api_refuses_another_persons_opinion_with_404(app, client, zhou, hu, token):
    (theirs,) = seed(app, hu, "胡的意见")
    headers = {"X-CSRF-Token": token}
    update = client.put(f"/api/v1/profile/opinions/{theirs.id}", json={"text": "改掉"}, headers=headers)
    assert update.status_code == 404 and update.json()["error"]["code"] == "not_found"
    assert client.delete(f"/api/v1/profile/opinions/{theirs.id}", headers=headers).status_code == 404
    assert client.get("/api/v1/profile/opinions").json()["total"] == 0
    assert common_opinions(hu) == ["胡的意见"]


def test_api_with_a_bearer_token(app, zhou):
    from officium.core.identity.tokens import issue_token

    with app.db.atomic():
        secret = issue_token(zhou, "表单系统", app.clock())
    with app_client(app) as client:
        headers = {"Authorization": f"Bearer {secret}"}
        assert (
            client.post("/api/v1/profile/opinions", json={"text": "同意。"}, headers=headers).status_code
            == 201
        )
        assert [
            i["text"] for i in client.get("/api/v1/profile/opinions", headers=headers).json()["items"]
        ] == ["同意。"]


def test_common_opinions_is_empty_for_a_new_person(app, zhou):
    assert common_opinions(zhou) == []
    assert isinstance(opinions.add(zhou, "同意。", datetime(2026, 3, 2, 9)).id, int)
    assert common_opinions(zhou) == ["同意。"]
