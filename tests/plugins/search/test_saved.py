"""Saved searches (我的查询): per user, replace by name, errors beside the field, confirmed delete, audited."""

from __future__ import annotations

from officium.core.audit import AuditEntry
from officium.plugins.search.models import SavedSearch


def test_save_list_run_and_delete_a_search(office):
    saved = office.post(
        "wu", "/search/saved", {"name": "春节休假", "query": "q=休假&year=2026&page=3&junk=1"}
    )
    assert saved.status_code == 303
    assert saved.headers["location"] == "/search/?q=%E4%BC%91%E5%81%87&year=2026"
    row = SavedSearch.get(SavedSearch.name == "春节休假")
    assert row.user_id == office.people["wu"].id and row.query == "q=%E4%BC%91%E5%81%87&year=2026"
    page = office.as_("wu").get("/search/").text
    assert '<a href="/search/?q=%E4%BC%91%E5%81%87&amp;year=2026">春节休假</a>' in page
    assert 'data-confirm="确定删除查询“春节休假”吗？"' in page
    assert "春节休假" not in office.as_("fan").get("/search/").text.split('data-testid="saved"')[1]
    audit = (
        AuditEntry.select().where(AuditEntry.action == "search.save").order_by(AuditEntry.id.desc()).first()
    )
    assert audit.summary == "保存查询“春节休假”" and audit.actor == office.people["wu"].id

    # someone else cannot delete it
    assert office.post("fan", f"/search/saved/{row.id}/delete", {}).status_code == 404
    assert SavedSearch.get_or_none(SavedSearch.id == row.id) is not None
    gone = office.post("wu", f"/search/saved/{row.id}/delete", {})
    assert gone.status_code == 303 and SavedSearch.get_or_none(SavedSearch.id == row.id) is None
    assert AuditEntry.select().where(AuditEntry.action == "search.delete_saved").count() == 1


def test_the_same_name_replaces_the_earlier_search(office):
    office.post("wu", "/search/saved", {"name": "周报", "query": "q=周报"})
    office.post("wu", "/search/saved", {"name": "周报", "query": "q=周报&sort=date"})
    rows = list(SavedSearch.select().where(SavedSearch.name == "周报"))
    assert len(rows) == 1 and rows[0].query == "q=%E5%91%A8%E6%8A%A5&sort=date"


def test_bad_names_are_refused_beside_the_field(office):
    before = SavedSearch.select().count()
    empty = office.post("wu", "/search/saved", {"name": "  ", "query": "q=休假"})
    assert empty.status_code == 400
    assert "请填写名称" in empty.text and 'id="f-name-error"' in empty.text
    assert 'data-record="memo.note:m1"' in empty.text  # the results are still shown
    long = office.post("wu", "/search/saved", {"name": "长" * 51, "query": "q=休假"})
    assert long.status_code == 400 and "名称不能超过 50 个字" in long.text
    nothing = office.post("wu", "/search/saved", {"name": "空的", "query": "page=2"})
    assert nothing.status_code == 400 and "没有可保存的查询条件" in nothing.text
    assert SavedSearch.select().count() == before


def test_saving_needs_the_csrf_token(office):
    client = office.as_("wu")
    refused = client.post("/search/saved", data={"name": "无令牌", "query": "q=休假"}, follow_redirects=False)
    assert refused.status_code == 403
    assert SavedSearch.get_or_none(SavedSearch.name == "无令牌") is None
