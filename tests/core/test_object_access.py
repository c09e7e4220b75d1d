"""Object-level access over the id routes of the document modules (收文, 发文, 印章, 休假, 公告, 邮件, 查询).

Owner B (人事处 clerk) makes one private record of every kind each id route takes; intruder A has the same
roles in another unit and sees none of them.  Every id route of these plugins — page and API, GET and
POST, attachment downloads and previews, print views, versions, diffs and exports — is called as A with
B's ids and must answer 404 (for a record A may not see) and change nothing.  A route missing from
``KINDS`` fails the test, so a new id route has to be classified here.  A's lists and counts must not show
B's records either.
"""

from __future__ import annotations

import base64
import re
from html.parser import HTMLParser
from types import SimpleNamespace
from typing import Any

import pytest
from starlette.testclient import TestClient

from officium.core.db import write_transaction
from officium.testing import add_unit, add_user, app_client, close_site, login, make_site

PLUGINS = ["docs_incoming", "docs_outgoing", "seals", "leave", "bulletin", "mail", "search"]
MARK = "机密测绘"  # a word only B's records contain (an ordinary word: not a 涉密 marking)

#: path-parameter kind of every id route of these plugins: which of B's records fills ``{id}`` (and the
#: second parameter).  "shared" routes answer every signed-in user by design (the seal register).
KINDS: dict[str, tuple[str, ...]] = {
    "/docs_incoming/": ("incoming", "incoming_file"),
    "/api/v1/docs_incoming/documents/": ("incoming", "incoming_file"),
    "/docs_outgoing/prefixes/": ("prefix",),
    "/docs_outgoing/numbers/": ("number",),
    "/api/v1/docs_outgoing/prefixes/": ("prefix",),
    "/api/v1/docs_outgoing/numbers/": ("number",),
    "/docs_outgoing/": ("outgoing", "outgoing_file"),
    "/api/v1/docs_outgoing/documents/": ("outgoing", "outgoing_file"),
    "/seals/requests/": ("seal_request",),
    "/api/v1/seals/requests/": ("seal_request",),
    "/seals/": ("seal",),
    "/api/v1/seals/seals/": ("seal",),
    "/leave/admin/people/": ("leave_admin",),
    "/leave/admin/": ("leave_rule",),
    "/api/v1/leave/rules/": ("leave_rule",),
    "/api/v1/leave/types/": ("leave_type",),
    "/leave/": ("leave", "leave_file"),
    "/api/v1/leave/": ("leave_admin",),
    "/api/v1/leave/requests/": ("leave", "leave_file"),
    "/bulletin/columns/": ("column",),
    "/api/v1/bulletin/columns/": ("column",),
    "/bulletin/": ("announcement", "announcement_file"),
    "/api/v1/bulletin/announcements/": ("announcement", "announcement_file"),
    "/mail/manage/folders/": ("folder",),
    "/mail/manage/labels/": ("label",),
    "/mail/manage/groups/": ("group",),
    "/api/v1/mail/folders/": ("folder",),
    "/api/v1/mail/labels/": ("label",),
    "/api/v1/mail/groups/": ("group",),
    "/mail/": ("mail", "mail_file"),
    "/api/v1/mail/messages/": ("mail", "mail_file"),
    "/search/saved/": ("saved",),
    "/api/v1/search/saved/": ("saved",),
}
#: Routes every signed-in user may open for any record (with why), and admin-only routes A lacks the
#: permission for (refused with 403 before any record is looked up).
SHARED = {
    "/seals/{id:int}": "印章登记 (name, unit, custodian) is public inside the bureau",
    "/seals/{id:int}/image.png": "the seal's picture, shown on the register",
    "/api/v1/seals/seals/{id:int}": "the register's API twin",
    "/api/v1/seals/seals/{id:int}/image": "the register's API twin",
    "/seals/{id:int}/request": "any 综合人员 may ask to use a seal; its custodian decides",
}


def kind_of(path: str) -> tuple[str, ...]:
    for prefix in sorted(KINDS, key=len, reverse=True):
        if path.startswith(prefix):
            return KINDS[prefix]
    raise AssertionError(f"{path}: id route not classified in KINDS")


def _pdf() -> bytes:
    return (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
        b"trailer<</Root 1 0 R>>\n%%EOF\n"
    )


class Caller:
    """A signed-in browser: ``api`` sends JSON with the session's CSRF token, ``form`` posts a form."""

    def __init__(self, client, csrf):
        self.client, self.csrf = client, csrf

    def api(self, method: str, url: str, body: Any = None):
        return self.client.request(method, url, json=body, headers={"X-CSRF-Token": self.csrf})

    def made(self, url: str, body: Any) -> dict[str, Any]:
        answer = self.api("POST", url, body)
        assert answer.status_code in (200, 201), (url, answer.text)
        return answer.json()


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    from argon2 import PasswordHasher

    from officium.core import files
    from officium.core.identity.models import User
    from officium.plugins.seals import service as seals

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            "officium.core.identity.passwords._HASHER",
            PasswordHasher(time_cost=1, memory_cost=64, parallelism=1),
        )
        app = make_site(tmp_path_factory.mktemp("object_access"), plugins=PLUGINS)
        ju = add_unit(app, "JU", "江南局", kind="bureau")
        rsc = add_unit(app, "RSC", "人事处", parent=ju)
        fgc = add_unit(app, "FGC", "法规处", parent=ju)
        owner = add_user(app, "owner", name="乙处员", unit=rsc, roles=["clerk"])
        peer = add_user(app, "peer", name="丙处员", unit=rsc)
        keeper = add_user(app, "keeper", name="保管人", unit=rsc)
        add_user(app, "chief", name="处长", unit=rsc, roles=["leader"])
        add_user(app, "boss", name="局长", unit=ju, roles=["leader"])
        add_user(app, "fgcchief", name="法规处长", unit=fgc, roles=["leader"])
        intruder = add_user(app, "intruder", name="甲处员", unit=fgc, roles=["clerk"])
        User.update(password_expires_at=None).execute()
    running = app_client(app)
    b_client = running.__enter__()
    b = Caller(b_client, login(b_client, "owner"))
    ids: dict[str, list[Any]] = {}

    def attach(plugin: str, owner_type: str, owner_id: Any, kind: str) -> None:
        with write_transaction(app.db):
            saved = files.save_upload(
                app, (f"{MARK}.pdf", _pdf()), owner=(plugin, owner_type, owner_id), user=owner
            )
        ids.setdefault(kind, []).append(saved.id)

    # 收文 registered by B in 人事处
    incoming = b.made(
        "/api/v1/docs_incoming/documents",
        {
            "from_unit": "国家市场监督管理总局",
            "doc_number": "市监办函〔2026〕100号",
            "title": f"关于{MARK}的函",
            "doc_type": "函",
            "urgency": "normal",
            "classification": "非涉密",
        },
    )
    ids["incoming"] = [incoming["id"]]
    attach("docs_incoming", "document", incoming["id"], "incoming_file")
    # 发文 drafted by B
    outgoing = b.made(
        "/api/v1/docs_outgoing/documents",
        {
            "doc_type": "通知",
            "direction": "down",
            "urgency": "normal",
            "title": f"关于{MARK}的通知",
            "main_to": "各处室",
            "body": "一、总体要求\n做好工作。",
            "issuer_name": "江南局",
            "countersign_mode": "none",
        },
    )
    ids["outgoing"] = [outgoing["id"]]
    b.made(f"/api/v1/docs_outgoing/documents/{outgoing['id']}", {"main_to": "局领导"})  # version 2
    attach("docs_outgoing", "attachment", outgoing["id"], "outgoing_file")
    # 用印申请 by B on a seal kept by someone else
    with write_transaction(app.db):
        from datetime import date

        seal = seals.create_seal(
            app,
            seals.SealInput(
                unit=rsc,
                name="人事处印章",
                kind="部门章",
                custodian=keeper,
                valid_from=date(2020, 1, 1),
                valid_until=date(2099, 12, 31),
            ),
            keeper,
        )
    ids["seal"] = [seal.id]
    use = b.made(
        "/api/v1/seals/requests",
        {
            "seal": seal.id,
            "reason": f"{MARK}报送",
            "title": f"{MARK}",
            "pdf": base64.b64encode(_pdf()).decode(),
        },
    )
    ids["seal_request"] = [use["id"]]
    # 休假 requested by B
    leave = b.made(
        "/api/v1/leave/requests",
        {"leave_type": "personal", "start_date": "2026-06-01", "end_date": "2026-06-02", "reason": MARK},
    )
    ids["leave"] = [leave["id"]]
    attach("leave", "request", leave["id"], "leave_file")
    ids["leave_admin"] = ["owner"]
    ids["leave_type"] = ["personal"]
    # 公告 drafted (not sent) by B
    columns = b.api("GET", "/api/v1/bulletin/columns").json()
    column = next(
        c for c in (columns["items"] if isinstance(columns, dict) else columns) if c.get("may_publish", True)
    )
    announcement = b.made(
        "/api/v1/bulletin/announcements",
        {"column": column["id"], "title": f"{MARK}公告", "body": f"<p>{MARK}</p>"},
    )
    ids["announcement"] = [announcement["id"]]
    ids["column"] = [column["id"]]
    attach("bulletin", "announcement", announcement["id"], "announcement_file")
    # 邮件: B sends one to a colleague in 人事处 and keeps one draft; a folder, a label and a group
    sent = b.made("/api/v1/mail/messages", {"to": "peer", "subject": f"{MARK}邮件", "body": f"<p>{MARK}</p>"})
    draft = b.made("/api/v1/mail/drafts", {"to": "peer", "subject": f"{MARK}草稿", "body": MARK})
    ids["mail"] = [sent["id"], draft["id"]]
    from officium.plugins.mail.models import Copy

    for message_id in {c.message_id for c in Copy.select()}:
        attach("mail", "message", message_id, "mail_file")
    ids["mail"] += [c.id for c in Copy.select()]
    ids["folder"] = [b.made("/api/v1/mail/folders", {"name": MARK})["id"]]
    ids["label"] = [b.made("/api/v1/mail/labels", {"name": MARK})["id"]]
    ids["group"] = [b.made("/api/v1/mail/groups", {"name": MARK, "members": "peer"})["id"]]
    # 保存的查询
    ids["saved"] = [b.made("/api/v1/search/saved", {"name": MARK, "query": f"q={MARK}"})["id"]]
    # one event-loop thread (hence one database connection) for both browsers
    a_client = TestClient(b_client.app, base_url=str(b_client.base_url))
    a_client.portal = b_client.portal
    a = Caller(a_client, login(a_client, "intruder"))
    yield SimpleNamespace(app=app, a=a, b=b, ids=ids, owner=owner, peer=peer, intruder=intruder)
    b_client.portal.call(app.db.close)
    running.__exit__(None, None, None)
    close_site(app)


#: Permissions A does not hold: their routes are refused (403) before any record is looked up.
NOT_HELD = {"docs_outgoing.manage", "docs_incoming.manage", "seals.manage", "leave.admin", "bulletin.manage"}


def id_routes(app) -> list[tuple[str, str, str]]:
    """(url pattern, method, permission) of every route of PLUGINS that takes a path parameter."""
    found = []
    for plugin in PLUGINS:
        for page in app.registry.pages.get(plugin, []):
            found += [(f"/{plugin}{page.path}", m, page.permission) for m in page.methods]
        for api in app.registry.apis.get(plugin, []):
            found += [(f"/api/v1/{plugin}{api.path}", m, api.permission) for m in api.methods]
    return [route for route in found if "{" in route[0]]


def urls(path: str, ids: dict[str, list[Any]]) -> list[str]:
    kinds = kind_of(path)
    params = re.findall(r"{(\w+)(?::\w+)?}", path)
    first = ids.get(kinds[0], [1])
    second = ids.get(kinds[1], [1]) if len(kinds) > 1 else [1]
    made = []
    for value in first:
        for other in second if len(params) > 1 else [None]:
            url = re.sub(r"{\w+(?::\w+)?}", str(value), path, count=1)
            if other is not None:
                url = re.sub(r"{\w+(?::\w+)?}", str(other), url, count=1)
            made.append(url)
    return made


def rows(app) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the plugins' tables and of the attachments, to prove that nothing changed."""
    from officium.core.files import Attachment

    tables = {"core_attachment": sorted(Attachment.select().tuples())}
    for plugin in PLUGINS:
        for model in app.registry.models.get(plugin, []):
            tables[model._meta.table_name] = sorted(model.select().tuples(), key=repr)
    return tables


def test_every_id_route_answers_404_for_anothers_record(world):
    app, a = world.app, world.a
    routes = id_routes(app)
    assert len(routes) > 120
    before = rows(app)
    refused = []
    for path, method, permission in routes:
        if path in SHARED:
            continue
        for url in urls(path, world.ids):
            for query in ("", "?inline=1", "?download=1", "?a=1&b=2") if method == "GET" else ("",):
                if url.startswith("/api/"):
                    answer = a.api(method, url + query, {"status": "x", "title": "改", "opinion": "同意"})
                else:
                    answer = a.client.request(
                        method,
                        url + query,
                        data=None
                        if method == "GET"
                        else {"csrf_token": a.csrf, "title": "改", "opinion": "同意"},
                        follow_redirects=False,
                    )
                expected = (403, 404) if permission in NOT_HELD else (404,)
                if answer.status_code not in expected:
                    refused.append((method, url + query, answer.status_code))
    assert refused == [], "\n".join(map(str, refused))
    assert rows(app) == before


def test_the_shared_routes_are_really_shared(world):
    a, seal = world.a, world.ids["seal"][0]
    for path in SHARED:
        assert a.client.get(path.replace("{id:int}", str(seal))).status_code == 200, path


def test_the_owner_reaches_the_same_ids(world):
    """The ids the intruder was refused are real: the owner opens every one of them."""
    b, ids = world.b, world.ids
    mail_copy = ids["mail"][2]  # B's own copy of the sent message
    for url in (
        f"/docs_incoming/{ids['incoming'][0]}",
        f"/docs_incoming/{ids['incoming'][0]}/print",
        f"/docs_incoming/{ids['incoming'][0]}/files/{ids['incoming_file'][0]}",
        f"/api/v1/docs_incoming/documents/{ids['incoming'][0]}",
        f"/docs_outgoing/{ids['outgoing'][0]}",
        f"/docs_outgoing/{ids['outgoing'][0]}/print",
        f"/docs_outgoing/{ids['outgoing'][0]}/versions",
        f"/docs_outgoing/{ids['outgoing'][0]}/files/{ids['outgoing_file'][0]}",
        f"/api/v1/docs_outgoing/documents/{ids['outgoing'][0]}/diff?a=1&b=2",
        f"/seals/requests/{ids['seal_request'][0]}",
        f"/seals/requests/{ids['seal_request'][0]}/document.pdf",
        f"/leave/{ids['leave'][0]}",
        f"/leave/{ids['leave'][0]}/documents/{ids['leave_file'][0]}",
        f"/bulletin/{ids['announcement'][0]}",
        f"/bulletin/{ids['announcement'][0]}/versions",
        f"/bulletin/{ids['announcement'][0]}/files/{ids['announcement_file'][0]}",
        f"/mail/{mail_copy}",
        f"/api/v1/mail/messages/{mail_copy}",
    ):
        assert b.client.get(url).status_code == 200, url


TITLES = (f"关于{MARK}的函", f"关于{MARK}的通知", f"{MARK}公告", f"{MARK}邮件", f"{MARK}草稿", f"{MARK}报送")


def _text(answer) -> str:
    kind = answer.headers.get("content-type", "")
    if "spreadsheetml" in kind:
        import io

        import openpyxl

        book = openpyxl.load_workbook(io.BytesIO(answer.content), read_only=True)
        return "\n".join(str(v) for sheet in book for row in sheet.iter_rows(values_only=True) for v in row)
    return answer.text if kind.startswith(("text/", "application/json")) else ""


def test_lists_counts_and_search_do_not_show_anothers_records(world):
    app, a = world.app, world.a
    leaked = []
    checked = 0
    lists = [("/", "GET"), ("/todo", "GET")]
    for plugin in PLUGINS:
        lists += [
            (f"/{plugin}{p.path}", "GET") for p in app.registry.pages.get(plugin, []) if "GET" in p.methods
        ]
        lists += [
            (f"/api/v1/{plugin}{p.path}", "GET")
            for p in app.registry.apis.get(plugin, [])
            if "GET" in p.methods
        ]
    for path, _ in lists:
        if "{" in path:
            continue
        for query in ("", f"?q={MARK}", f"?q={MARK}&box=sent", f"?q={MARK}&scope=all", "?box=drafts"):
            answer = a.client.get(path + query)
            if answer.status_code != 200:
                continue
            checked += 1
            text = _text(answer)
            leaked += [(path + query, title) for title in TITLES if title in text]
    assert checked > 40
    assert leaked == []
    # the owner's side of the same lists does show them (the check above can fail)
    b_text = world.b.client.get(f"/search/?q={MARK}").text + world.b.client.get("/mail/?box=sent").text
    assert f"{MARK}邮件" in b_text


def test_an_attachment_is_served_only_under_its_own_record(world):
    """A opens a record of A's own with the id of B's attachment in the URL: 404, never B's file."""
    from officium.core import files

    app, a, ids = world.app, world.a, world.ids
    own = {}
    own["incoming"] = a.made(
        "/api/v1/docs_incoming/documents",
        {
            "from_unit": "海关总署",
            "doc_number": "署办函〔2026〕7号",
            "title": "关于例行检查的函",
            "doc_type": "函",
            "urgency": "normal",
            "classification": "非涉密",
        },
    )["id"]
    own["outgoing"] = a.made(
        "/api/v1/docs_outgoing/documents",
        {
            "doc_type": "通知",
            "direction": "down",
            "urgency": "normal",
            "title": "关于例行检查的通知",
            "main_to": "各处室",
            "body": "一、要求\n按时完成。",
            "issuer_name": "江南局",
            "countersign_mode": "none",
        },
    )["id"]
    sent = a.made("/api/v1/mail/messages", {"to": "peer", "subject": "例行邮件", "body": "<p>正文</p>"})
    own["mail"] = sent["id"]
    own["leave"] = a.made(
        "/api/v1/leave/requests",
        {"leave_type": "personal", "start_date": "2026-07-01", "end_date": "2026-07-01", "reason": "事假"},
    )["id"]
    column = ids["column"][0]
    own["announcement"] = a.made(
        "/api/v1/bulletin/announcements", {"column": column, "title": "例行公告", "body": "<p>正文</p>"}
    )["id"]
    # A's own records each have a file of their own, which A can download (the URLs below are right)
    with write_transaction(app.db):
        for plugin, owner_type, key in (
            ("docs_incoming", "document", "incoming"),
            ("docs_outgoing", "attachment", "outgoing"),
            ("leave", "request", "leave"),
            ("bulletin", "announcement", "announcement"),
        ):
            mine = files.save_upload(
                app, ("本人.pdf", _pdf()), owner=(plugin, owner_type, own[key]), user=world.intruder
            )
            own[f"{key}_file"] = mine.id
    assert a.client.get(f"/docs_incoming/{own['incoming']}/files/{own['incoming_file']}").status_code == 200
    assert a.client.get(f"/docs_outgoing/{own['outgoing']}/files/{own['outgoing_file']}").status_code == 200
    assert a.client.get(f"/leave/{own['leave']}/documents/{own['leave_file']}").status_code == 200
    assert (
        a.client.get(f"/bulletin/{own['announcement']}/files/{own['announcement_file']}").status_code == 200
    )
    every_file = [i for key in ids if key.endswith("_file") for i in ids[key]]
    for template in (
        "/docs_incoming/{}/files/{}",
        "/api/v1/docs_incoming/documents/{}/files/{}",
    ):
        for file_id in every_file:
            assert a.client.get(template.format(own["incoming"], file_id)).status_code == 404
    for file_id in every_file:
        assert a.client.get(f"/docs_outgoing/{own['outgoing']}/files/{file_id}").status_code == 404
        for url in (
            f"/mail/{own['mail']}/files/{file_id}",
            f"/leave/{own['leave']}/documents/{file_id}",
            f"/bulletin/{own['announcement']}/files/{file_id}",
            f"/api/v1/bulletin/announcements/{own['announcement']}/files/{file_id}",
        ):
            for query in ("", "?inline=1"):
                assert a.client.get(url + query).status_code == 404, url


def test_every_unsafe_route_of_these_modules_checks_the_csrf_token(world):
    """The owner's own records, the owner's session: without the token, or from another site, every POST of
    these modules (pages and API) is refused with 403 and changes nothing."""
    app, b = world.app, world.b
    before = rows(app)
    unsafe = []
    for plugin in PLUGINS:
        unsafe += [(f"/{plugin}{p.path}", m) for p in app.registry.pages.get(plugin, []) for m in p.methods]
        unsafe += [
            (f"/api/v1/{plugin}{p.path}", m) for p in app.registry.apis.get(plugin, []) for m in p.methods
        ]
    unsafe = [(path, method) for path, method in unsafe if method not in ("GET", "HEAD")]
    assert len(unsafe) > 100
    wrong = []
    for path, method in unsafe:
        url = urls(path, world.ids)[0] if "{" in path else path
        body = {"title": "改", "subject": "改", "to": "peer", "body": "改", "opinion": "同意"}
        attempts = (
            ({}, None),  # no token at all
            ({"X-CSRF-Token": "0" * 43}, None),  # a made-up token
            ({"X-CSRF-Token": b.csrf, "Origin": "https://evil.example"}, None),  # another site
            ({"X-CSRF-Token": b.csrf, "Sec-Fetch-Site": "cross-site"}, None),
        )
        for headers, _ in attempts:
            if url.startswith("/api/"):
                answer = b.client.request(method, url, json=body, headers=headers)
            else:
                answer = b.client.request(method, url, data=body, headers=headers, follow_redirects=False)
            if answer.status_code != 403:
                wrong.append((method, url, headers, answer.status_code))
    assert wrong == [], "\n".join(map(str, wrong))
    assert rows(app) == before


XSS = (
    '<script>alert("x1")</script><img src=x onerror=alert("x2")><a href="javascript:alert(\'x3\')">链接</a>'
    '<svg onload=alert("x4")></svg><iframe src="https://evil.example"></iframe><p style="x" onclick="alert(5)">测绘防护正文</p>'
)


class _Active(HTMLParser):
    """Markup that would run: inline scripts, event handlers, javascript: URLs, embedded SVG and frames."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "script" and not values.get("src"):
            self.found.append("<script>")
        if tag in ("svg", "iframe", "object", "embed"):
            self.found.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"{tag} {name}")
            if name in ("href", "src", "action") and (value or "").strip().lower().startswith("javascript:"):
                self.found.append(f"{tag} {name}={value}")

    def handle_data(self, data: str) -> None:
        if self.lasttag == "script" and "alert(" in data:
            self.found.append("script text")


def _executable(html: str) -> list[str]:
    parser = _Active()
    parser.feed(html)
    return parser.found


def test_stored_markup_never_comes_back_executable(world):
    """A payload corpus in the subjects, titles and bodies of 邮件, 公告, 发文 and 收文, read back on every page that
    shows them (the record, print view, versions, lists, search with highlighting)."""
    b = world.b
    title = '测绘防护<script>alert("t")</script><img src=x onerror=alert(1)>'
    mail = b.made("/api/v1/mail/messages", {"to": "peer", "subject": title, "body": XSS})
    notice = b.made(
        "/api/v1/bulletin/announcements", {"column": world.ids["column"][0], "title": title, "body": XSS}
    )
    outgoing = b.made(
        "/api/v1/docs_outgoing/documents",
        {
            "doc_type": "通知",
            "direction": "down",
            "urgency": "normal",
            "title": title,
            "main_to": "各处室",
            "body": XSS,
            "issuer_name": "江南局",
            "countersign_mode": "none",
        },
    )
    b.made(f"/api/v1/docs_outgoing/documents/{outgoing['id']}", {"body": XSS + "\n" + title})
    incoming = b.made(
        "/api/v1/docs_incoming/documents",
        {
            "from_unit": title,
            "doc_number": "市监办函〔2026〕300号",
            "title": title,
            "doc_type": "函",
            "urgency": "normal",
            "classification": "非涉密",
            "note": XSS,
        },
    )
    pages = [
        f"/mail/{mail['id']}",
        "/mail/?box=sent",
        f"/mail/compose?draft={mail['id']}",
        f"/bulletin/{notice['id']}",
        f"/bulletin/{notice['id']}/edit",
        "/bulletin/mine",
        f"/docs_outgoing/{outgoing['id']}",
        f"/docs_outgoing/{outgoing['id']}/print",
        f"/docs_outgoing/{outgoing['id']}/versions",
        f"/docs_outgoing/{outgoing['id']}/edit",
        "/docs_outgoing/",
        f"/docs_incoming/{incoming['id']}",
        f"/docs_incoming/{incoming['id']}/print",
        "/docs_incoming/",
        "/search/?q=测绘防护",
        "/",
    ]
    found = {}
    shown = 0
    for url in pages:
        answer = b.client.get(url)
        if answer.status_code != 200:
            continue
        shown += "测绘防护" in answer.text
        bad = _executable(answer.text)
        if bad:
            found[url] = bad
    assert shown >= 10
    assert found == {}


SECRET = "机密★10年"


def test_the_secrecy_guard_covers_every_content_path(world):
    """A 密级 marking through every page and API that takes content in 收文, 发文, 公告 and 邮件: each is refused
    (4xx) with a ``<plugin>.secrecy_refused`` audit entry, and the marking is stored nowhere."""
    from officium.core.audit import AuditEntry

    app, b, ids = world.app, world.b, world.ids
    incoming = {
        "from_unit": "国家市场监督管理总局",
        "doc_number": "市监办函〔2026〕500号",
        "title": f"关于{SECRET}资料的函",
        "doc_type": "函",
        "urgency": "normal",
        "classification": "非涉密",
    }
    outgoing = {
        "doc_type": "通知",
        "direction": "down",
        "urgency": "normal",
        "title": f"关于{SECRET}资料的通知",
        "main_to": "各处室",
        "body": "一、要求\n按时完成。",
        "issuer_name": "江南局",
        "countersign_mode": "none",
    }
    notice = {"column": ids["column"][0], "title": f"{SECRET}公告", "body": "<p>正文</p>"}
    mail = {"to": "peer", "subject": f"{SECRET}邮件", "body": "<p>正文</p>"}
    calls = [
        ("docs_incoming", "api", "/api/v1/docs_incoming/documents", incoming),
        ("docs_incoming", "page", "/docs_incoming/new", incoming),
        ("docs_outgoing", "api", "/api/v1/docs_outgoing/documents", outgoing),
        (
            "docs_outgoing",
            "api",
            f"/api/v1/docs_outgoing/documents/{ids['outgoing'][0]}",
            {"title": outgoing["title"]},
        ),
        ("docs_outgoing", "page", "/docs_outgoing/new", outgoing),
        (
            "docs_outgoing",
            "api",
            f"/api/v1/docs_outgoing/documents/{ids['outgoing'][0]}",
            {"main_to": "局领导", "reason": f"按{SECRET}资料修改"},
        ),
        (
            "docs_outgoing",
            "page",
            f"/docs_outgoing/{ids['outgoing'][0]}/edit",
            {**outgoing, "title": "关于例行工作的通知", "reason": f"按{SECRET}资料修改"},
        ),
        ("bulletin", "api", "/api/v1/bulletin/announcements", notice),
        ("bulletin", "api", f"/api/v1/bulletin/announcements/{ids['announcement'][0]}/edit", notice),
        ("bulletin", "page", "/bulletin/new", notice),
        ("bulletin", "page", f"/bulletin/{ids['announcement'][0]}/edit", notice),
        ("mail", "api", "/api/v1/mail/messages", mail),
        ("mail", "api", "/api/v1/mail/drafts", mail),
        ("mail", "page", "/mail/compose", {**mail, "action": "send"}),
        ("mail", "page", "/mail/compose", {**mail, "action": "save"}),
    ]
    before = rows(app)
    wrong = []
    for plugin, kind, url, body in calls:
        audited = AuditEntry.select().where(AuditEntry.action == f"{plugin}.secrecy_refused").count()
        if kind == "api":
            answer = b.api("POST", url, body)
        else:
            answer = b.client.post(url, data={**body, "csrf_token": b.csrf}, follow_redirects=False)
        now = AuditEntry.select().where(AuditEntry.action == f"{plugin}.secrecy_refused").count()
        if not (400 <= answer.status_code < 500 and now == audited + 1):
            wrong.append((url, kind, answer.status_code, now - audited))
    assert wrong == [], "\n".join(map(str, wrong))
    after = rows(app)
    assert SECRET not in repr(after)
    assert after == before


def browser(world, username: str) -> Caller:
    """Another signed-in browser on the same event-loop thread (one database connection for all)."""
    client = TestClient(world.b.client.app, base_url=str(world.b.client.base_url))
    client.portal = world.b.client.portal
    return Caller(client, login(client, username))


def test_a_reader_of_a_published_announcement_may_not_manage_it(world):
    """Everyone reads a published announcement; only its author and the office see the read report, the
    versions, and may edit, remind, withdraw or delete it."""
    from officium.plugins.bulletin.access import OFFICE_ROLE

    app, a, b = world.app, world.a, world.b
    add_user(app, "office", name="办公室", unit=world.owner.unit, roles=[OFFICE_ROLE])
    office = browser(world, "office")
    column = office.made(
        "/api/v1/bulletin/columns",
        {
            "name": "全局栏目",
            "approval": "none",
            "readers": {"all": True},
            "publishers": {"roles": ["clerk"]},
        },
    )["id"]
    published = b.made(
        "/api/v1/bulletin/announcements",
        {"column": column, "title": "全局通知", "body": "<p>请周知。</p>", "submit": True},
    )
    n = published["id"]
    assert a.client.get(f"/bulletin/{n}").status_code == 200, "the column is read by everyone"
    before = rows(app)
    for method, url in (
        ("GET", f"/bulletin/{n}/edit"),
        ("POST", f"/bulletin/{n}/edit"),
        ("GET", f"/bulletin/{n}/readers"),
        ("GET", f"/bulletin/{n}/readers?export=xlsx"),
        ("GET", f"/bulletin/{n}/versions"),
        ("GET", f"/bulletin/{n}/versions/1"),
        ("POST", f"/bulletin/{n}/remind"),
        ("POST", f"/bulletin/{n}/withdraw"),
        ("POST", f"/bulletin/{n}/delete"),
        ("GET", f"/api/v1/bulletin/announcements/{n}/readers"),
        ("GET", f"/api/v1/bulletin/announcements/{n}/versions"),
        ("POST", f"/api/v1/bulletin/announcements/{n}/edit"),
        ("POST", f"/api/v1/bulletin/announcements/{n}/remind"),
        ("POST", f"/api/v1/bulletin/announcements/{n}/withdraw"),
        ("POST", f"/api/v1/bulletin/announcements/{n}/delete"),
        ("POST", f"/api/v1/bulletin/announcements/{n}/files"),
    ):
        if url.startswith("/api/"):
            answer = a.api(method, url, {"title": "改"})
        else:
            answer = a.client.request(
                method, url, data={"csrf_token": a.csrf, "title": "改"} if method == "POST" else None
            )
        assert answer.status_code in (403, 404), (method, url, answer.status_code)
    assert rows(app) == before


def test_a_recipient_may_not_recall_the_senders_message(world):
    app, b = world.app, world.b
    from officium.plugins.mail.models import Copy

    sent = b.made("/api/v1/mail/messages", {"to": "peer", "subject": "周知", "body": "<p>周知</p>"})
    received = Copy.get((Copy.message == Copy.get_by_id(sent["id"]).message_id) & (Copy.user == world.peer))
    peer = browser(world, "peer")
    client, csrf = peer.client, peer.csrf
    assert client.get(f"/mail/{received.id}").status_code == 200
    assert client.get(f"/mail/{sent['id']}").status_code == 404  # the sender's own copy
    before = rows(app)
    for url in (
        f"/api/v1/mail/messages/{received.id}/recall",
        f"/api/v1/mail/messages/{sent['id']}/recall",
    ):
        answer = client.post(url, json={}, headers={"X-CSRF-Token": csrf})
        assert answer.status_code in (400, 403, 404), (url, answer.status_code)
    assert rows(app) == before
