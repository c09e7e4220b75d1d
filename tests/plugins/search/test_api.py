"""The JSON API under /api/v1/search/: token auth, permission-filtered results and facets, saved searches."""

from __future__ import annotations

import pytest

from officium.core.db import write_transaction
from officium.core.identity.tokens import issue_token
from officium.testing import app_client

API = "/api/v1/search"


@pytest.fixture(scope="module")
def tokens(office):
    app = office.app
    with write_transaction(app.db):
        return {name: issue_token(office.people[name], "测试", app.clock()) for name in ("wu", "fan")}


@pytest.fixture(scope="module")
def bare(office):
    """A client that never signed in: only the token says who calls."""
    with app_client(office.app) as client:
        yield client


@pytest.fixture
def call(bare, tokens):
    def request(who, method, url, json=None):
        return bare.request(method, url, json=json, headers={"Authorization": f"Bearer {tokens[who]}"})

    return request


def test_search_returns_items_total_and_facets_for_the_caller(call):
    wu = call("wu", "GET", f"{API}/?q=休假").json()
    assert [i["record_id"] for i in wu["items"]] == ["m1"] and wu["total"] == 1
    item = wu["items"][0]
    assert (
        item["url"] == "/memo/m1"
        and item["module_title"] == "内部备忘"
        and item["doc_number"] == "赣检办发〔2026〕3号"
    )
    assert "<mark>休假</mark>" in item["title_html"]
    assert wu["facets"]["year"] == [{"value": 2026, "label": "2026 年", "count": 1}]
    fan = call("fan", "GET", f"{API}/?q=休假").json()
    assert fan["total"] == 3
    assert {f["value"]: f["count"] for f in fan["facets"]["year"]} == {2026: 2, 2025: 1}


def test_pages_and_errors(call):
    page = call("wu", "GET", f"{API}/?q=周报&per_page=10&page=3").json()
    assert page["total"] == 25 and len(page["items"]) == 5 and page["page"] == 3
    bad = call("wu", "GET", f"{API}/?q=周报&year=abc&per_page=500")
    assert bad.status_code == 400 and set(bad.json()["error"]["fields"]) == {"per_page"}
    bad = call("wu", "GET", f"{API}/?q=周报&year=abc")
    assert bad.status_code == 400 and bad.json()["error"]["fields"] == {"year": "年度应为四位数字，如 2026。"}
    empty = call("wu", "GET", f"{API}/")
    assert empty.status_code == 400 and empty.json()["error"]["code"] == "empty_query"


def test_the_api_needs_a_token(bare):
    assert bare.get(f"{API}/?q=休假", headers={"Authorization": "Bearer nope"}).status_code == 401
    assert bare.get(f"{API}/?q=休假").status_code == 401


def test_sources(call):
    body = call("wu", "GET", f"{API}/sources").json()
    assert body["modules"] == [{"name": "memo", "title": "内部备忘"}]
    assert "通知" in body["doc_types"] and body["urgencies"] == ["特急", "加急", "平急"]


def test_saved_searches_through_the_api(call):
    created = call("fan", "POST", f"{API}/saved", {"name": "批示", "query": "q=批示"})
    assert created.status_code == 201
    saved = created.json()
    assert saved["url"] == "/search/?q=%E6%89%B9%E7%A4%BA" and saved["name"] == "批示"
    assert [s["name"] for s in call("fan", "GET", f"{API}/saved").json()["items"]] == ["批示"]
    assert "批示" not in [s["name"] for s in call("wu", "GET", f"{API}/saved").json()["items"]]
    refused = call("fan", "POST", f"{API}/saved", {"name": "", "query": "q=x"})
    assert refused.status_code == 400 and refused.json()["error"]["fields"] == {"name": "请填写名称。"}
    assert call("wu", "DELETE", f"{API}/saved/{saved['id']}").status_code == 404
    assert call("fan", "DELETE", f"{API}/saved/{saved['id']}").status_code == 204
    assert call("fan", "GET", f"{API}/saved").json()["items"] == []
