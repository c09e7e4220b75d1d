"""The search index (officium.core.search): Chinese matching, filters, facets, ranking, snippets, and the
permission filter inside the query (counts and facets included), on SQLite and PostgreSQL alike."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from officium import Permission, SearchSource, hookimpl
from officium.core.db import database, write_transaction
from officium.core.errors import StartupError
from officium.core.identity.accounts import set_status
from officium.core.search import Readers, SearchEntry, SearchQuery, index_entry, reindex, remove_entry, search
from officium.core.search.models import SearchDoc, SearchReader
from officium.testing import FakeClock, add_unit, add_user, close_site, make_plugin, make_site

RECORDS: list[SearchEntry] = []


class MemoHooks:
    @hookimpl
    def register_search_sources(self, app):
        return [SearchSource("memo.note", "备忘", lambda app: list(RECORDS))]

    @hookimpl
    def register_permissions(self, app):
        return [Permission("memo.read_all", "查阅全部备忘", default_roles=("leader",))]


class OtherHooks:
    @hookimpl
    def register_search_sources(self, app):
        return [SearchSource("other.page", "其他", lambda app: [])]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    app = make_site(
        tmp_path_factory.mktemp("search"),
        clock=FakeClock(),
        extra_plugins=[make_plugin("memo", MemoHooks()), make_plugin("other", OtherHooks())],
    )
    ju = add_unit(app, "ju", "江西检验检疫局", kind="bureau")
    office = add_unit(app, "bgs", "办公室", parent=ju)
    section = add_unit(app, "wsk", "文书科", parent=office)
    it = add_unit(app, "xxk", "信息化处", parent=ju)
    app.units = {"ju": ju, "office": office, "section": section, "it": it}
    app.people = {
        "clerk": add_user(app, "clerk", unit=section),
        "director": add_user(app, "director", unit=ju),
        "techie": add_user(app, "techie", unit=it),
        "leader": add_user(app, "leader", unit=it, roles=["leader"]),
    }
    yield app
    close_site(app)


@pytest.fixture(autouse=True)
def bound(site):
    """Tests that make a site of their own rebind the database proxy; point it back at the shared site."""
    database.initialize(site.db)


def put(app, record_id, title, *, source="memo.note", body="", readers=None, **fields):
    entry = SearchEntry(
        source=source,
        record_id=record_id,
        title=title,
        url=f"/memo/{record_id}",
        body=body,
        fields={k: v for k, v in fields.items() if k != "attachments_text"},
        attachments_text=fields.get("attachments_text", ""),
        readers=readers or Readers(everyone=True),
        created_at=datetime(2026, 3, 1, 9, 0),
    )
    with write_transaction(app.db):
        index_entry(app, entry)
    return entry


def ids(result):
    return [h.doc.record_id for h in result.hits]


def find(app, user, text="", **kw):
    return search(app, app.people[user] if isinstance(user, str) else user, SearchQuery(text=text, **kw))


@pytest.fixture(scope="module")
def corpus(site):
    put(
        site,
        "n1",
        "关于做好H7N9疫情防控工作的通知",
        body="各分支局：根据赣检发〔2026〕12号文件要求，切实做好检验检疫工作。",
        doc_number="赣检发〔2026〕12号",
        issuer_unit="江西检验检疫局",
        doc_type="通知",
        urgency="特急",
        year=2026,
        date="2026-02-10",
        unit_id=site.units["office"].id,
    )
    put(
        site,
        "n2",
        "2025年工作总结",
        body="全年完成检验检疫业务量同比增长。职工休假安排另行通知。",
        doc_number="赣检办〔2025〕88号",
        from_unit="海关总署",
        doc_type="报告",
        year=2025,
        date="2025-12-30",
        unit_id=site.units["it"].id,
    )
    put(site, "n3", "春节休假安排", body="局机关春节期间值班表。", doc_type="通知", date="2026-01-20")
    return site


# ------------------------------------------------------------------------------------------ the hook


def test_hook_register_search_sources(site):
    sources = site.registry.search_sources
    assert set(sources) == {"memo.note", "other.page"}
    assert sources["memo.note"].title == "备忘"


@pytest.mark.parametrize(
    ("sources", "message"),
    [
        (
            [SearchSource("dup.x", "甲", list), SearchSource("dup.x", "乙", list)],
            "dup.x 重复注册：插件 dup 声明了两次",
        ),
        ([SearchSource("memo.note", "别人的", list)], "必须写成 dup.<类别>"),
        ([SearchSource("dup", "缺类别", list)], "必须写成 dup.<类别>"),
        ([SearchSource("dup.a.b", "两级", list)], "必须写成 dup.<类别>"),
        ([SearchSource("dup.x", "不是函数", "x")], "reindex 不是函数"),
        (["dup.x"], "应为 SearchSource"),
    ],
)
def test_bad_search_sources_stop_the_start_up(tmp_path, sources, message):
    class Dup:
        @hookimpl
        def register_search_sources(self, app):
            return sources

    with pytest.raises(StartupError, match=message.replace("<", ".").replace(">", ".")):
        make_site(tmp_path, extra_plugins=[make_plugin("memo", MemoHooks()), make_plugin("dup", Dup())])


def test_index_entry_refuses_unregistered_sources_and_unknown_fields(site):
    with pytest.raises(ValueError, match=r"检索来源 nobody\.x 没有注册"):
        put(site, "z", "标题", source="nobody.x")
    with pytest.raises(ValueError, match="未知的键 colour"):
        put(site, "z", "标题", colour="红")
    assert SearchDoc.select().where(SearchDoc.record_id == "z").count() == 0


# ------------------------------------------------------------------------------------- query kinds


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("局", ["n1", "n3"]),  # one character: 分支局, 局机关 (not n2)
        ("休假", ["n3", "n2"]),  # two characters
        ("检验检疫", ["n1", "n2"]),  # four characters in the middle of longer runs
        ("检发〔2026〕12", ["n1"]),  # a 文号 fragment with brackets
        ("检发[2026]12", ["n1"]),  # other brackets are the same tokens
        ("赣检发２０２６", ["n1"]),  # full-width digits fold to ASCII
        ("h7n9 疫情", ["n1"]),  # Latin + Chinese, case-insensitive
        ('"疫情防控"', ["n1"]),
        ("疫情 总结", []),  # every term must match
        ("防控疫情", []),  # bigrams must stand in order
        ("检疫局", ["n1"]),  # in n1's 发文单位 江西检验检疫局
        ("检疫处", []),
    ],
)
def test_query_kinds(corpus, text, expected):
    result = find(corpus, "clerk", text)
    assert sorted(ids(result)) == sorted(expected)
    assert result.total == len(expected)


def test_fields_are_searched_too(corpus):
    assert ids(find(corpus, "clerk", "海关总署")) == ["n2"]
    assert ids(find(corpus, "clerk", "检验检疫局")) == ["n1"]


def test_title_and_doc_number_matches_rank_first(corpus):
    put(corpus, "r1", "会议纪要", body="休假 休假 休假 休假 休假 安排")
    try:
        assert ids(find(corpus, "clerk", "休假"))[0] == "n3"
        assert ids(find(corpus, "clerk", "88"))[0] == "n2"
    finally:
        with write_transaction(corpus.db):
            remove_entry(corpus, "memo.note", "r1")


def test_filters(corpus):
    units = corpus.units
    assert ids(find(corpus, "clerk", "", year=2025)) == ["n2"]
    assert ids(find(corpus, "clerk", "", doc_type="通知")) == ["n1", "n3"]  # newest date first
    assert ids(find(corpus, "clerk", "", urgency="特急")) == ["n1"]
    assert ids(find(corpus, "clerk", "", date_from=date(2026, 1, 1), date_to=date(2026, 1, 31))) == ["n3"]
    assert ids(find(corpus, "clerk", "检验检疫", modules=("memo",))) == ["n1", "n2"]
    assert ids(find(corpus, "clerk", "检验检疫", modules=("other",))) == []
    # a unit includes its sub-units
    assert ids(find(corpus, "clerk", "", unit_id=units["ju"].id)) == ["n1", "n2"]
    assert ids(find(corpus, "clerk", "", unit_id=units["office"].id)) == ["n1"]


def test_advanced_search_by_document_elements(corpus):
    assert ids(find(corpus, "clerk", "", doc_number="检发〔2026〕")) == ["n1"]
    assert ids(find(corpus, "clerk", "", doc_number="休假")) == []
    assert ids(find(corpus, "clerk", "", title="休假")) == ["n3"]
    assert ids(find(corpus, "clerk", "", from_unit="海关")) == ["n2"]
    assert ids(find(corpus, "clerk", "", issuer_unit="检验检疫局")) == ["n1"]
    assert ids(find(corpus, "clerk", "", issuer_unit="100%")) == []


def test_facets_and_pagination(corpus):
    result = find(corpus, "clerk", "", doc_type="通知", per_page=1)
    assert result.total == 2 and result.pages == 2 and ids(result) == ["n1"]
    assert ids(find(corpus, "clerk", "", doc_type="通知", per_page=1, page=2)) == ["n3"]
    whole = find(corpus, "clerk", "检验检疫")
    assert [(f.label, f.count) for f in whole.facets["module"]] == [("memo", 2)]
    assert [(f.value, f.count) for f in whole.facets["year"]] == [(2026, 1), (2025, 1)]
    assert sorted((f.label, f.count) for f in whole.facets["unit"]) == [("信息化处", 1), ("办公室", 1)]
    assert sorted((f.label, f.count) for f in whole.facets["doc_type"]) == [("报告", 1), ("通知", 1)]


def test_snippets_highlight_matches_in_escaped_html(corpus):
    put(corpus, "x1", "<b>轮值</b>表", body="<script>alert(1)</script> 春节轮值安排")
    try:
        (hit,) = find(corpus, "clerk", "轮值").hits
        assert str(hit.title_html) == "&lt;b&gt;<mark>轮值</mark>&lt;/b&gt;表"
        assert "&lt;script&gt;" in hit.snippet_html and "<script>" not in hit.snippet_html
        assert "春节<mark>轮值</mark>安排" in hit.snippet_html
        (hit,) = find(corpus, "clerk", "检发〔2026〕12").hits
        assert "赣<mark>检发</mark>〔<mark>2026</mark>〕<mark>12</mark>号" in hit.snippet_html
    finally:
        with write_transaction(corpus.db):
            remove_entry(corpus, "memo.note", "x1")


def test_attachment_text_is_found_and_shown(corpus):
    put(corpus, "a1", "转发文件", body="请阅。", attachments_text="附件一：进境水果检疫准入名单")
    try:
        (hit,) = find(corpus, "clerk", "水果检疫").hits
        assert hit.doc.record_id == "a1"
        assert str(hit.snippet_html).startswith("附件：")
        assert "<mark>水果检疫</mark>" in hit.snippet_html
    finally:
        with write_transaction(corpus.db):
            remove_entry(corpus, "memo.note", "a1")


# ------------------------------------------------------------------------------------- permissions


@pytest.fixture(scope="module")
def secured(corpus):
    units = corpus.units
    put(
        corpus,
        "p-user",
        "保密审查甲",
        readers=Readers(users=[corpus.people["techie"]]),
        year=2024,
        doc_type="函",
    )
    put(corpus, "p-office", "保密审查乙", readers=Readers(units=[units["office"]]), year=2024, doc_type="函")
    put(
        corpus,
        "p-perm",
        "保密审查丙",
        readers=Readers(permissions=["memo.read_all"]),
        year=2024,
        doc_type="函",
    )
    put(corpus, "p-all", "保密审查丁", readers=Readers(everyone=True), year=2023, doc_type="纪要")
    put(corpus, "p-none", "保密审查戊", readers=Readers(), year=2022, doc_type="秘")
    return corpus


@pytest.mark.parametrize(
    ("user", "expected"),
    [
        ("techie", {"p-user", "p-all"}),  # named user
        ("clerk", {"p-office", "p-all"}),  # a member of a sub-unit of 办公室
        ("director", {"p-all"}),  # a member of the parent unit does not see 办公室's entries
        ("leader", {"p-perm", "p-all"}),  # holds memo.read_all through the leader role
    ],
)
def test_a_user_only_ever_finds_what_they_may_read(secured, user, expected):
    result = find(secured, user, "保密审查")
    assert set(ids(result)) == expected
    assert result.total == len(expected)
    years = {f.value: f.count for f in result.facets["year"]}
    assert sum(years.values()) == len(expected)
    assert 2022 not in years  # p-none is never counted for anyone
    types = {f.value for f in result.facets["doc_type"]}
    assert "秘" not in types
    if "p-perm" not in expected:
        assert years.get(2024, 0) == len(expected & {"p-user", "p-office"})
    # counts are right for pages too: one per page, as many pages as visible entries
    paged = find(secured, user, "保密审查", per_page=1, page=len(expected))
    assert paged.total == len(expected) and len(paged.hits) == 1
    assert find(secured, user, "保密审查", per_page=1, page=len(expected) + 1).hits == []


def test_inactive_users_and_nobody_find_nothing(secured):
    assert find(secured, None, "保密审查").total == 0
    ghost = add_user(secured, "ghost", unit=secured.units["office"])
    assert find(secured, ghost, "保密审查").total == 2
    with write_transaction(secured.db):
        set_status(ghost, "left")
    assert find(secured, ghost, "保密审查").total == 0


# ---------------------------------------------------------------------------------- update and delete


def test_edit_replaces_the_entry_and_its_readers(corpus):
    put(corpus, "e1", "草稿标题", body="旧的正文内容", readers=Readers(users=[corpus.people["clerk"]]))
    assert ids(find(corpus, "clerk", "旧的正文")) == ["e1"]
    put(corpus, "e1", "正式标题", body="新的正文内容", readers=Readers(users=[corpus.people["techie"]]))
    assert find(corpus, "clerk", "正文内容").total == 0
    assert ids(find(corpus, "techie", "新的正文")) == ["e1"]
    assert find(corpus, "techie", "旧的正文").total == 0
    assert find(corpus, "techie", "草稿").total == 0
    doc = SearchDoc.get(SearchDoc.record_id == "e1")
    assert [(r.kind, r.value) for r in SearchReader.select().where(SearchReader.doc == doc)] == [
        ("user", str(corpus.people["techie"].id))
    ]


def test_delete_removes_the_entry(corpus):
    put(corpus, "d1", "待删除的记录", body="临时内容")
    assert find(corpus, "clerk", "待删除").total == 1
    with write_transaction(corpus.db):
        assert remove_entry(corpus, "memo.note", "d1") is True
        assert remove_entry(corpus, "memo.note", "d1") is False
    assert find(corpus, "clerk", "待删除").total == 0
    assert find(corpus, "clerk", "临时内容").total == 0


def test_index_changes_roll_back_with_the_callers_transaction(corpus):
    with pytest.raises(RuntimeError):
        with write_transaction(corpus.db):
            put(corpus, "rb", "回滚的记录")
            raise RuntimeError
    assert find(corpus, "clerk", "回滚").total == 0


def test_reindex_rebuilds_a_source_from_its_records(corpus):
    put(corpus, "stale", "过期的条目")
    RECORDS[:] = [
        SearchEntry("memo.note", f"k{i}", f"重建条目{i}", f"/memo/k{i}", readers=Readers(everyone=True))
        for i in range(3)
    ]
    try:
        seen = []
        counts = reindex(corpus, "memo", progress=seen.append)
        assert counts == {"memo.note": 3} and sum(seen) == 3
        assert find(corpus, "clerk", "过期").total == 0
        assert find(corpus, "clerk", "检验检疫").total == 0  # the old entries went with the rebuild
        assert sorted(ids(find(corpus, "clerk", "重建条目"))) == ["k0", "k1", "k2"]
        with pytest.raises(ValueError, match="插件 nosuch 未启用或没有注册检索来源"):
            reindex(corpus, "nosuch")
    finally:
        RECORDS.clear()


def test_huge_result_sets_are_ordered_by_title_match_then_date(corpus, monkeypatch):
    put(corpus, "h1", "值班表", body="轮休 轮休 轮休 轮休 轮休", date="2024-01-01")
    put(corpus, "h2", "春节安排", body="轮休一次", date="2026-01-01")
    put(corpus, "h3", "轮休制度", body="", date="2020-01-01")
    try:
        assert ids(find(corpus, "clerk", "轮休")) == ["h3", "h1", "h2"]  # title first, then by score
        monkeypatch.setattr("officium.core.search.query.RANK_LIMIT", 2)
        assert ids(find(corpus, "clerk", "轮休")) == ["h3", "h2", "h1"]  # title first, then the newest
    finally:
        with write_transaction(corpus.db):
            for record in ("h1", "h2", "h3"):
                remove_entry(corpus, "memo.note", record)


def test_words_need_all_their_bigrams_and_quotes_need_adjacency(corpus):
    put(corpus, "w1", "卫生检验、检疫处理规程", body="")
    put(corpus, "w2", "进口商品检验检疫申报", body="")
    try:
        # 检验检疫 needs 检验, 验检 and 检疫: w1 has no 验检
        found = ids(find(corpus, "clerk", "检验检疫"))
        assert "w2" in found and "w1" not in found
        # a quoted phrase keeps its words next to each other, punctuation between them does not matter
        assert ids(find(corpus, "clerk", '"检验 检疫处理"')) == ["w1"]
        assert ids(find(corpus, "clerk", '"检疫处理 检验"')) == []
        # unquoted, the two words may stand anywhere
        assert ids(find(corpus, "clerk", "检疫处理 卫生检验")) == ["w1"]
    finally:
        with write_transaction(corpus.db):
            for record in ("w1", "w2"):
                remove_entry(corpus, "memo.note", record)


def test_field_tokens_bigrams_words_then_each_character_once():
    from officium.core.search.segment import field_tokens

    assert field_tokens("检验检疫 H7N9 疫情，口") == [
        "检验", "验检", "检疫", "h7n9", "疫情", "检", "验", "疫", "情", "口",
    ]  # fmt: skip
    # a long attachment text: every distinct character once, after the tokens (this was quadratic)
    text = "".join(chr(0x4E00 + i) for i in range(3000)) * 10
    tokens = field_tokens(text)
    assert tokens[-3000:] == [chr(0x4E00 + i) for i in range(3000)]
    assert len(tokens) == (30000 - 1) + 3000
