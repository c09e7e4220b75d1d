"""The 首页 panel lists what the board lists: its statements are built once per process with markers
where the reader's values go (bulletin/widget.py), so check them against the board's own queries for
every reader of a board with column scopes, announcement scopes by unit and by role, 必读 confirmed and
not, pinned ones, a scheduled one and more than a panel's worth."""

from __future__ import annotations

from datetime import timedelta

from officium.core.identity.access import STAFF_ROLE, effective_roles
from officium.core.identity.models import User
from officium.plugins.bulletin import board, scopes, widget

from .conftest import api, draft, make_column


def expected(bureau, user: User):
    who = scopes.viewer(user, frozenset())  # the board's way: roles read from the grants
    now = bureau.clock()
    pending = [a.id for a in board.must_read_pending(who, now).limit(widget.PENDING_MAX)]
    latest = [(a.id, a.mine.id if a.mine else None) for a in board.board(who, now, {}).limit(widget.LATEST_MAX)]
    return pending, latest


def shown(bureau, user: User):
    roles = effective_roles(bureau.app.registry, user) - {STAFF_ROLE}
    pending, latest = widget.lists(bureau.app, scopes.viewer(user, frozenset(), roles), bureau.clock())
    return [a.id for a in pending], [(a.id, a.mine.id if a.mine else None) for a in latest]


def test_the_panel_lists_what_the_board_lists_for_every_reader(bureau, people):
    office, zhou = people("wu"), people("zhou")
    everyone = make_column(office, "全局栏目（首页）")
    rsc_only = make_column(office, "人事处栏目（首页）", readers={"units": ["RSC"]})
    ids = [
        draft(zhou, everyone, "全局通知一", submit=True)["id"],
        draft(zhou, everyone, "置顶通知", pinned=True, submit=True)["id"],
        draft(zhou, rsc_only, "人事处必读", must_read=True, submit=True)["id"],
        draft(zhou, everyone, "两处联合必读", must_read=True, scope={"units": ["RSC", "CWC"]}, submit=True)["id"],
        draft(zhou, everyone, "致负责人", scope={"roles": ["leader"]}, submit=True)["id"],
    ]
    for n in range(6):
        ids.append(draft(zhou, everyone, f"全局通知（批量）{n}", submit=True)["id"])
    later = bureau.clock() + timedelta(days=2)
    draft(zhou, everyone, "定时发布", publish_at=later.strftime("%Y-%m-%dT%H:%M"), submit=True)
    # one reader confirms one 必读, another only reads it
    assert api(people("qian"), "POST", f"/announcements/{ids[2]}/confirm").status_code == 200
    assert people("ke").get(f"/bulletin/{ids[3]}").status_code == 200
    bureau.clock.now += timedelta(minutes=5)
    readers = list(User.select().where(User.status == "active"))
    assert len(readers) >= 9
    seen_pending = seen_latest = 0
    for user in readers:
        want = expected(bureau, user)
        assert shown(bureau, user) == want, user.username
        seen_pending += len(want[0])
        seen_latest += len(want[1])
    assert seen_pending and seen_latest  # the comparison compared something


def test_the_panel_on_the_dashboard(bureau, people):
    qian = people("qian")
    home = qian.get("/").text
    panel = home.split('data-widget="bulletin"', 1)[1].split("</section>", 1)[0]
    pending, latest = expected(bureau, User.get(User.username == "qian"))
    assert panel.count('href="/bulletin/') >= len(pending) + len(latest)
    for announcement_id in [*pending, *(i for i, _ in latest)]:
        assert f'href="/bulletin/{announcement_id}"' in panel
