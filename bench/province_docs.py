"""The 收文 part of the province seed (``bench/province.py``): documents, their workflows, their files and
search entries, written in bulk exactly as the plugin and the engine would have written them one by one.

A document's life is drawn first (批办件 or 阅知件, how far it got, who acted and when), then turned into the
rows: the ``docs_incoming_document`` row with its 收文编号, the 分办 rows, the engine's instance, its work
items and 流转记录, the attachment rows (sharing a few real blobs of the files store) and the entry
``docs_incoming.feed`` would index.  Who handles each step follows the workflow's definition: 拟办 by the
receiving unit's 负责人, 领导批示 by leaders above it, 分办 and 归档 by its 综合人员, 承办 by the 综合人员 of the
主办/协办 units, 传阅 items for anyone.  Documents still being handled are recent; their open items are
exactly the ones the engine would have made, so ``engine.approve`` accepts them.

Also here: the page user's leave requests (through the leave plugin's service), the older 局发文 entries
that fill the search index, and the queries that pick the probes.
"""

from __future__ import annotations

import hashlib
import io
import json
import random
import zipfile
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from types import SimpleNamespace
from typing import Any

import bulk
import search_bench
from seed import progress

from officium.core import files
from officium.core.identity.models import RoleGrant, Unit, User
from officium.core.workflow import engine
from officium.core.workflow.models import Instance, WorkItem
from officium.plugins.docs_incoming.constants import DOC_TYPES, URGENCY_TITLES
from officium.plugins.docs_incoming.service import MANAGE

PLUGIN = "docs_incoming"
OBJECT_TYPE = "document"
SOURCE = "docs_incoming.document"
#: Documents written per transaction.
BATCH = 2000
#: 收文编号 rule (the plugin's default setting).
NUMBER_RULE = "收〔{year}〕{seq}号"
STEP_TITLES = {
    "propose": "拟办",
    "instruct": "领导批示",
    "assign": "分办",
    "handle": "承办",
    "archive": "答复与归档",
    "track": "传阅与归档",
}
#: Working days of each step (the workflow's ``days``), for the open items' deadlines.
STEP_DAYS = {"propose": 1, "instruct": 2, "assign": 1, "handle": 5, "archive": 5, "track": None}
HANDLE_STEPS = ("propose", "instruct", "assign", "handle", "archive")
#: How far a document still being handled has got (批办件), by weight.
OPEN_STAGES = (("propose", 15), ("instruct", 20), ("assign", 10), ("handle", 30), ("archive", 25))
#: Share of documents still being handled (the rest are archived, or registered/returned).
OPEN_SHARE = 0.2
#: The page user's unit gets at least this many documents, and the first ones of each fill wait for them.
PAGE_USER_DOCS = 400
PAGE_USER_OPEN = 25

SENDERS = [*search_bench.ORGS, "江南省人民政府", "江南省商务厅", "江南省卫生健康委员会", "海关总署办公厅"]
NUMBER_PREFIXES = ["署检函", "署办发", "江南府办", "江南商函", "江南卫函", "质检通", "署卫发", "署动植函"]
PROPOSALS = [
    "拟请{leader}阅示，由{lead}办理。",
    "拟送{leader}同志阅示后，请{lead}牵头办理。",
    "拟请{lead}主办，按来文要求按时报送。",
    "拟请{leader}阅批。",
]
INSTRUCTIONS = [
    "同意拟办意见，请{lead}抓紧办理。",
    "阅。请{lead}牵头研究落实，按时报送。",
    "同意。请{lead}认真研究，提出意见后报我。",
    "请{lead}按要求办理，重要情况及时报告。",
]
RESULTS = [
    "已按来文要求组织落实，有关材料已于{day}报送。",
    "已研究办理，情况已书面反馈来文单位。",
    "已转发各分支局执行，执行情况汇总后报送。",
    "已办理完毕，相关工作已纳入本年度工作计划。",
]
ASSIST = ["已配合办理，意见已反馈主办单位。", "已阅，按要求配合落实。"]
REPLIES = ["已于{day}书面答复来文单位。", "已电话答复来文单位联系人。"]
RETURN_REASONS = ["非本单位承办事项，请按职责另行报送。", "来文要素不全，请补充后重新报送。"]

#: The real blobs the attachment rows share: (file name, text).
BLOB_TEXTS = {
    "正文.docx": "各有关单位：根据工作安排，现将有关事项通知如下。一、提高认识，加强组织领导。"
    "二、明确责任分工，确保各项措施落到实处。三、请于规定时间内报送工作情况。特此通知。",
    "附件1.txt": "附件1：有关情况统计表填报说明。请各单位按照统计口径如实填报，由单位负责人审核后报送。",
    "附件2.txt": "附件2：联系人名单。请各单位确定一名联系人，填写姓名、职务和联系电话。",
}


# ------------------------------------------------------------------------------------------ the world


@dataclass
class World:
    """Who is who in the seeded site: users, units, and the holders of the roles the workflows name."""

    rng: random.Random
    now: datetime
    page_user_id: int
    page_unit_id: int
    user_ids: list[int]
    names: dict[int, str]
    usernames: dict[int, str]
    unit_ids: list[int]
    unit_names: dict[int, str]
    parents: dict[int, int | None]
    leaders: dict[int, list[int]]
    clerks: dict[int, list[int]]
    bureau_leaders: list[int]
    receiving: list[int] = field(default_factory=list)
    sample: int | None = None

    @classmethod
    def load(cls, app: Any, page_username: str, rng: random.Random) -> World:
        """Read the seeded site's people and roles."""
        users = list(User.select(User.id, User.name, User.username, User.unit).where(User.status == "active"))
        units = list(Unit.select(Unit.id, Unit.name, Unit.parent, Unit.code))
        leaders: dict[int, list[int]] = defaultdict(list)
        clerks: dict[int, list[int]] = defaultdict(list)
        for grant in (
            RoleGrant.select().where(RoleGrant.role.in_(("leader", "clerk"))).order_by(RoleGrant.user)
        ):
            (leaders if grant.role == "leader" else clerks)[grant.unit_id].append(grant.user_id)
        page_user = User.get(User.username == page_username)
        ld = next((u.id for u in units if u.code == "LD"), None)
        root = next(u.id for u in units if u.parent_id is None)
        world = cls(
            rng=rng,
            now=app.clock().replace(microsecond=0),
            page_user_id=page_user.id,
            page_unit_id=page_user.unit_id,
            user_ids=[u.id for u in users],
            names={u.id: u.name for u in users},
            usernames={u.id: u.username for u in users},
            unit_ids=[u.id for u in units],
            unit_names={u.id: u.name for u in units},
            parents={u.id: u.parent_id for u in units},
            leaders=dict(leaders),
            clerks=dict(clerks),
            bureau_leaders=[],
        )
        bureau = [u.id for u in users if u.unit_id == ld] if ld else []
        all_clerks = {c for held in clerks.values() for c in held}
        world.bureau_leaders = [i for i in bureau if i not in all_clerks] or world.up(world.leaders, root)
        world.receiving = [u for u in world.unit_ids if world.clerks.get(u) and world.up(world.leaders, u)]
        return world

    def up(self, table: dict[int, list[int]], unit: int | None) -> list[int]:
        """The role holders of ``unit``, or of its nearest parent that has some (as the engine resolves)."""
        seen = set()
        while unit is not None and unit not in seen:
            if table.get(unit):
                return table[unit]
            seen.add(unit)
            unit = self.parents.get(unit)
        return []


def office_hours(at: datetime) -> datetime:
    """``at`` moved into office hours (8:00-18:00 on a weekday) if it falls outside them: the evening and
    the weekend move to the next working morning, keeping the minutes."""
    if at.hour >= 18:
        at = (at + timedelta(days=1)).replace(hour=8)
    elif at.hour < 8:
        at = at.replace(hour=8)
    while at.weekday() >= 5:
        at = (at + timedelta(days=1)).replace(hour=8)
    return at


# ------------------------------------------------------------------------------------------- blobs


def _docx(text: str) -> bytes:
    """A minimal Word document holding ``text`` (what ``files.extract_text`` reads back)."""
    body = "".join(f"<w:p><w:r><w:t>{line}</w:t></w:r></w:p>" for line in text.split("。") if line)
    xml = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        f"<w:body>{body}</w:body></w:document>"
    )
    types = (
        '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
        'content-types"><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/'
        'document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.'
        'main+xml"/></Types>'
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(zipfile.ZipInfo("[Content_Types].xml", (2026, 1, 1, 0, 0, 0)), types)
        archive.writestr(zipfile.ZipInfo("word/document.xml", (2026, 1, 1, 0, 0, 0)), xml)
    return buffer.getvalue()


def write_blobs(app: Any) -> list[tuple[str, str, int, str, str]]:
    """Store the shared blobs in the files store; ``(filename, content type, size, sha256, text)`` each."""
    out = []
    for name, text in BLOB_TEXTS.items():
        data = _docx(text) if name.endswith(".docx") else text.encode()
        digest = hashlib.sha256(data).hexdigest()
        path = files.blob_path(app, digest)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        kind = files.TYPES[name.rsplit(".", 1)[1]][0]
        out.append((name, kind, len(data), digest, files.text_of(name, data)))
    return out


# ------------------------------------------------------------------------------------ the documents

#: The tables a document's rows go to, in the order they are written: key → (table, columns).
TABLES = {
    "docs": (
        "docs_incoming_document",
        "id unit_id year seq number from_unit doc_number title doc_type urgency classification copies "
        "received_on due_date note registered_by_id registered_at status handling reviewed_by_id "
        "reviewed_at return_reason result concluded_at reply replied_at archived_at source_plugin "
        "source_type source_id",
    ),
    "assignments": ("docs_incoming_assignment", "document_id unit_id role"),
    "instances": (
        "core_wf_instance",
        "id plugin workflow object_type object_id title url unit_id drafter_id urgency state step fields "
        "started_at finished_at suspended_at version",
    ),
    "items": (
        "core_work_item",
        "id instance_id plugin kind step assignee_id principal_id state seq added title url urgency "
        "created_at due_at done_at action opinion actor_id reminded_at escalated_at",
    ),
    "logs": (
        "core_wf_log",
        "instance_id step action actor_id on_behalf_of_id opinion detail ip at",
    ),
    "attachments": (
        "core_attachment",
        "plugin owner_type owner_id filename content_type size sha256 uploaded_by_id uploaded_at deleted_at",
    ),
}


@dataclass
class Item:
    """A work item as drawn, before it gets its id."""

    kind: str
    step: str
    assignee: int
    state: str
    created: datetime
    done: datetime | None = None
    action: str = ""
    opinion: str = ""
    seq: int = 0


class DocumentWriter:
    """Draws documents and writes them in batches; ``fill`` makes exactly the asked number of documents
    and work items."""

    def __init__(self, app: Any, world: World) -> None:
        self.app = app
        self.world = world
        self.rng = world.rng
        self.blobs = write_blobs(app)
        db = app.db
        self.next_doc = bulk.next_id(db, "docs_incoming_document")
        self.next_instance = bulk.next_id(db, "core_wf_instance")
        self.next_item = bulk.next_id(db, "core_work_item")
        self.next_search = bulk.next_id(db, "core_search_doc")
        self.counters: dict[tuple[int, int], int] = defaultdict(int)
        for unit, year, last in db.execute_sql(
            "SELECT unit_id, year, last FROM docs_incoming_counter"
        ).fetchall():
            self.counters[(unit, year)] = last
        self.made_docs = self.made_items = 0
        self.page_open = 0
        self.start = world.now - timedelta(days=5 * 365)
        self._attachment_tokens: dict[tuple[int, ...], tuple[str, list[str]]] = {}
        self._reset()

    def _reset(self) -> None:
        self.rows: dict[str, list[tuple]] = {k: [] for k in TABLES}
        self.search: tuple[list, list, list, list] = ([], [], [], [])

    # -------------------------------------------------------------------------------- drawing

    def _unit(self, total_docs: int) -> int:
        w = self.world
        favour = max(0.0, PAGE_USER_DOCS / max(total_docs, 1) - 1 / len(w.receiving))
        if w.page_unit_id in w.receiving and self.rng.random() < favour:
            return w.page_unit_id
        return self.rng.choice(w.receiving)

    def _readers(self, count: int) -> list[int]:
        w = self.world
        people = self.rng.sample(w.user_ids, min(count, len(w.user_ids)))
        if self.rng.random() < 0.02 and w.page_user_id not in people:
            people[0] = w.page_user_id
        return people

    def _step_time(self, at: datetime, hours: tuple[int, int] = (1, 30)) -> datetime:
        """A moment some hours after ``at``, in office hours, never later than now."""
        later = office_hours(at + timedelta(minutes=self.rng.randrange(hours[0] * 60, hours[1] * 60)))
        return min(later, self.world.now - timedelta(minutes=10))

    def fill(self, docs: int, items: int, label: str) -> None:
        """Write ``docs`` documents making exactly ``items`` work items (see the module docstring)."""
        made_items = 0
        last_circulated: list[tuple[int, int, int, datetime]] = []
        page_open = 0
        for j in range(docs):
            expected = items * j / max(docs, 1)
            deficit = expected - made_items
            room = items - made_items
            favour_open = False
            unit = self._unit(docs)
            if unit == self.world.page_unit_id and page_open < PAGE_USER_OPEN:
                favour_open = True
            plan = self._plan(deficit, favour_open)
            doc_items = self._draw(unit, plan)
            if len(doc_items[0]) > room:  # it does not fit: a document registered but not reviewed yet
                self._discard_last()
                doc_items = self._draw(unit, {"kind": "registered"})
            made_items += len(doc_items[0])
            if plan.get("open") and favour_open and doc_items[0]:
                page_open += 1
            if doc_items[1] is not None:
                last_circulated.append(doc_items[1])
                last_circulated = last_circulated[-50:]
            if len(self.rows["docs"]) >= BATCH:
                self._flush()
                progress(label[:8], j + 1, docs)
        # the few items still missing: more readers on the last 传阅 of the batch (传阅 may be sent again)
        missing = items - made_items
        if missing > 0:
            if not last_circulated:
                doc_items = self._draw(self._unit(docs), {"kind": "circulate", "open": False, "readers": 1})
                made_items += len(doc_items[0])
                last_circulated = [doc_items[1]]
                missing = items - made_items
            self._more_readers(last_circulated[-1], missing)
            made_items += missing
        self._flush()
        progress(label[:8], docs, docs)
        self.made_items += made_items
        self.made_docs += docs

    def _plan(self, deficit: float, favour_open: bool) -> dict:
        """What kind of document comes next: the mix, steered so the work items come out as asked."""
        rng = self.rng
        if favour_open:
            return {"kind": "handle", "open": True, "stage": "propose"}
        if deficit < -30:
            return {"kind": "registered" if rng.random() < 0.7 else "returned"}
        roll = rng.random()
        is_open = rng.random() < OPEN_SHARE
        if roll < 0.05 and deficit < 10:
            return {"kind": "registered" if rng.random() < 0.6 else "returned"}
        if roll < 0.5 and deficit > -5:
            stage = rng.choices([s for s, _ in OPEN_STAGES], [w for _, w in OPEN_STAGES])[0]
            return {"kind": "handle", "open": is_open, "stage": stage}
        readers = 1 + (1 if rng.random() < 0.1 else 0)
        if deficit > 5:
            readers += min(40, int(deficit // 4) + 1)
        return {"kind": "circulate", "open": is_open, "readers": readers}

    def _discard_last(self) -> None:
        """Forget the document drawn last (it did not fit); its ids are simply skipped."""
        doc_id, unit, year = self.rows["docs"].pop()[:3]
        self.counters[(unit, year)] -= 1
        if self.world.sample == doc_id:
            self.world.sample = None
        for key in ("assignments", "attachments"):
            self.rows[key] = [
                r for r in self.rows[key] if str(r[0 if key == "assignments" else 2]) != str(doc_id)
            ]
        instance_ids = {r[0] for r in self.rows["instances"] if r[4] == str(doc_id)}
        self.rows["instances"] = [r for r in self.rows["instances"] if r[0] not in instance_ids]
        self.rows["items"] = [r for r in self.rows["items"] if r[1] not in instance_ids]
        self.rows["logs"] = [r for r in self.rows["logs"] if r[0] not in instance_ids]
        docs, texts, readers, fts = self.search
        search_id = docs[-1][0]
        docs.pop()
        texts.pop()
        self.search = (docs, texts, [r for r in readers if r[0] != search_id], fts[:-1])

    def _draw(self, unit: int, plan: dict) -> tuple[list[tuple], tuple | None] | None:
        """Draw one document of ``plan`` in ``unit`` and queue its rows; returns its item rows and, for a
        传阅, what :meth:`_more_readers` needs."""
        w, rng = self.world, self.rng
        kind = plan["kind"]
        is_open = plan.get("open", False)
        if kind in ("registered",) or is_open:
            received = w.now - timedelta(minutes=rng.randrange(60 * 24 * 3, 60 * 24 * 25))
            if kind == "registered":
                received = w.now - timedelta(minutes=rng.randrange(30, 60 * 24 * 3))
        else:
            span = int((w.now - self.start).total_seconds() // 60) - 60 * 24 * 30
            received = self.start + timedelta(minutes=rng.randrange(span))
        received = min(office_hours(received.replace(second=0, microsecond=0)), w.now - timedelta(minutes=30))
        clerk = w.clerks[unit][0]
        doc_id = self.next_doc
        self.next_doc += 1
        year = received.year
        self.counters[(unit, year)] += 1
        seq = self.counters[(unit, year)]
        topic = rng.choice(search_bench.TOPICS)
        title = rng.choice(search_bench.TITLE_FORMS).format(t=topic, y=year, o=rng.choice(SENDERS))
        sender = rng.choice(SENDERS)
        doc_number = f"{rng.choice(NUMBER_PREFIXES)}〔{year}〕{rng.randrange(1, 400)}号"
        urgency = rng.choices(("normal", "urgent", "very_urgent"), (80, 15, 5))[0]
        due_date = (received + timedelta(days=rng.randrange(3, 15))).date() if urgency != "normal" else None
        if due_date is None and rng.random() < 0.3:
            due_date = (received + timedelta(days=rng.randrange(10, 30))).date()
        number = NUMBER_RULE.format(year=year, seq=seq)
        doc = {
            "id": doc_id,
            "unit": unit,
            "year": year,
            "seq": seq,
            "number": number,
            "from_unit": sender,
            "doc_number": doc_number,
            "title": title,
            "doc_type": rng.choice(DOC_TYPES[5:]),
            "urgency": urgency,
            "due_date": due_date,
            "clerk": clerk,
            "received": received,
            "status": kind,
            "handling": "",
            "reviewed_by": None,
            "reviewed_at": None,
            "return_reason": "",
            "result": "",
            "concluded_at": None,
            "reply": "",
            "replied_at": None,
            "archived_at": None,
        }
        items: list[Item] = []
        logs: list[tuple] = []
        assignments: list[tuple[int, str]] = []
        instance = None
        reviewed = self._step_time(received, (0, 20))
        if kind == "returned":
            doc.update(reviewed_by=clerk, reviewed_at=reviewed, return_reason=rng.choice(RETURN_REASONS))
        elif kind in ("handle", "circulate"):
            doc.update(
                reviewed_by=clerk, reviewed_at=reviewed, handling="handle" if kind == "handle" else "read"
            )
            instance = self._lifecycle(doc, plan, items, logs, assignments, reviewed)
        return self._queue(doc, items, logs, assignments, instance)

    def _lifecycle(
        self,
        doc: dict,
        plan: dict,
        items: list[Item],
        logs: list[tuple],
        assignments: list[tuple[int, str]],
        at: datetime,
    ) -> dict:
        """Draw the workflow of an accepted document: its items and log, up to where it stands."""
        w, rng = self.world, self.rng
        unit, clerk = doc["unit"], doc["clerk"]
        logs.append(("drafter", "submit", clerk, "初审通过。", "", at))
        is_open = plan.get("open", False)
        if doc["status"] == "circulate":
            clerks = w.up(w.clerks, unit)
            readers = self._readers(plan["readers"])
            sent = self._step_time(at, (0, 2))
            for position, person in enumerate(clerks):
                items.append(Item("todo", "track", person, "open", at, seq=position))
            logs.append(
                (
                    "track",
                    "circulate",
                    clerk,
                    "",
                    json.dumps({"readers": [w.usernames[p] for p in readers]}, ensure_ascii=False),
                    sent,
                )
            )
            read_share = 0.5 if is_open else 0.95
            for person in readers:
                item = Item("read", "circulate", person, "open", sent)
                if rng.random() < read_share:
                    item.state, item.action = "done", "read"
                    item.done = min(self._step_time(sent, (1, 72)), w.now - timedelta(minutes=5))
                    logs.append(("circulate", "read", person, "", "", item.done))
                items.append(item)
            if is_open:
                doc["status"] = "circulating"
                return {
                    "workflow": "circulate",
                    "step": "track",
                    "state": "running",
                    "at": at,
                    "finished": None,
                }
            finished = self._step_time(max([at] + [i.done for i in items if i.done]), (2, 48))
            track = items[0]
            track.state, track.done, track.action, track.opinion = "done", finished, "approve", "归档。"
            for other in items[1 : len(clerks)]:
                other.state = "taken"
            logs.append(("track", "approve", track.assignee, "归档。", "", finished))
            logs.append(("", "finish", track.assignee, "", "", finished))
            doc.update(status="archived", archived_at=finished)
            return {"workflow": "circulate", "step": "", "state": "done", "at": at, "finished": finished}
        # 批办件
        stop = HANDLE_STEPS.index(plan["stage"]) if is_open else len(HANDLE_STEPS)
        lead = rng.choice(w.receiving)
        assists = [u for u in rng.sample(w.receiving, 1) if u != lead] if rng.random() < 0.5 else []
        parent_leaders = w.up(w.leaders, w.parents.get(unit)) or w.bureau_leaders
        leaders = list(
            dict.fromkeys(
                [rng.choice(parent_leaders)] + ([rng.choice(w.bureau_leaders)] if rng.random() < 0.4 else [])
            )
        )
        names = {"lead": w.unit_names[lead], "leader": w.names[leaders[0]]}
        t = at
        handlers_of = {
            "propose": w.up(w.leaders, unit),
            "instruct": leaders,
            "assign": w.up(w.clerks, unit),
            "handle": [w.clerks[lead][0]] + [w.clerks[a][0] for a in assists],
            "archive": w.up(w.clerks, unit),
        }
        mode_all = {"instruct", "handle"}
        state = "running"
        step_name = ""
        finished = None
        for index, step in enumerate(HANDLE_STEPS):
            if step == "handle":
                assignments.append((lead, "lead"))
                assignments.extend((a, "assist") for a in assists)
            people = handlers_of[step]
            entered = t
            if index == stop:
                step_name = step
                for position, person in enumerate(people):
                    items.append(Item("todo", step, person, "open", entered, seq=position))
                if step == "instruct" and len(people) > 1 and rng.random() < 0.5:
                    # one of two leaders has instructed already
                    first = items[-len(people)]
                    self._done(first, step, names, entered, logs, doc)
                if step == "archive":
                    doc.update(status="concluded", concluded_at=entered)
                else:
                    doc["status"] = "handling"
                break
            acted = []
            for position, person in enumerate(people):
                item = Item("todo", step, person, "open", entered, seq=position)
                items.append(item)
                if step in mode_all or position == 0:
                    self._done(item, step, names, entered, logs, doc, lead_item=position == 0)
                    acted.append(item)
                else:
                    item.state = "taken"
            t = max(i.done for i in acted)
            if step == "handle":
                doc["concluded_at"] = t
            if step == "archive" and rng.random() < 0.2:
                doc.update(reply=rng.choice(REPLIES).format(day=t.date().isoformat()), replied_at=t)
        else:
            finished = t
            logs.append(("", "finish", items[-1].assignee, "", "", t))
            doc.update(status="archived", archived_at=t)
            state = "done"
        return {"workflow": "handle", "step": step_name, "state": state, "at": at, "finished": finished}

    def _done(
        self,
        item: Item,
        step: str,
        names: dict,
        entered: datetime,
        logs: list[tuple],
        doc: dict,
        lead_item: bool = True,
    ) -> None:
        rng = self.rng
        done = self._step_time(entered, (1, 30) if doc["status"] != "handling" else (1, 8))
        if step == "propose":
            opinion = rng.choice(PROPOSALS).format(**names)
        elif step == "instruct":
            opinion = rng.choice(INSTRUCTIONS).format(**names)
        elif step == "assign":
            opinion = f"请{names['lead']}主办。"
        elif step == "handle":
            opinion = (
                rng.choice(RESULTS).format(day=done.date().isoformat()) if lead_item else rng.choice(ASSIST)
            )
            if lead_item:
                doc["result"] = opinion
        else:
            opinion = "归档。"
        item.state, item.done, item.action, item.opinion = "done", done, "approve", opinion
        logs.append((step, "approve", item.assignee, opinion, "", done))

    # -------------------------------------------------------------------------------- rows

    def _queue(
        self, doc: dict, items: list[Item], logs: list[tuple], assignments: list, instance: dict | None
    ) -> tuple[list[tuple], tuple | None]:
        w, rng = self.world, self.rng
        doc_id = doc["id"]
        url = f"/docs_incoming/{doc_id}"
        full_title = f"{doc['number']}《{doc['title']}》"
        self.rows["docs"].append(
            (
                doc_id,
                doc["unit"],
                doc["year"],
                doc["seq"],
                doc["number"],
                doc["from_unit"],
                doc["doc_number"],
                doc["title"],
                doc["doc_type"],
                doc["urgency"],
                "非涉密",
                rng.choice((1, 1, 1, 2, 3)),
                doc["received"].date(),
                doc["due_date"],
                "",
                doc["clerk"],
                doc["received"],
                doc["status"] if doc["status"] not in ("handle", "circulate") else "handling",
                doc["handling"],
                doc["reviewed_by"],
                doc["reviewed_at"],
                doc["return_reason"],
                doc["result"],
                doc["concluded_at"],
                doc["reply"],
                doc["replied_at"],
                doc["archived_at"],
                "",
                "",
                "",
            )
        )
        for unit, role in assignments:
            self.rows["assignments"].append((doc_id, unit, role))
        attachments = self._attachments(doc)
        item_rows: list[tuple] = []
        circulated = None
        if instance is not None:
            instance_id = self.next_instance
            self.next_instance += 1
            fields = json.dumps({"doc_type": doc["doc_type"]}, ensure_ascii=False)
            version = sum(1 for i in items if i.action == "approve")
            self.rows["instances"].append(
                (
                    instance_id,
                    PLUGIN,
                    instance["workflow"],
                    OBJECT_TYPE,
                    str(doc_id),
                    full_title,
                    url,
                    doc["unit"],
                    doc["clerk"],
                    doc["urgency"],
                    instance["state"],
                    instance["step"],
                    fields,
                    instance["at"],
                    instance["finished"],
                    None,
                    version,
                )
            )
            due_limit = datetime.combine(doc["due_date"], time(23, 59, 59)) if doc["due_date"] else None
            for item in items:
                item_rows.append(
                    self._item_row(instance_id, item, full_title, url, doc["urgency"], due_limit)
                )
            for step, action, actor, opinion, detail, at in logs:
                self.rows["logs"].append((instance_id, step, action, actor, None, opinion, detail, "", at))
            if instance["workflow"] == "circulate":
                sent = next(at for _, action, _, _, _, at in logs if action == "circulate")
                circulated = (instance_id, full_title, url, sent, doc["urgency"], doc["clerk"])
            if (
                doc["unit"] == w.page_unit_id
                and instance["workflow"] == "handle"
                and instance["state"] == "done"
                and attachments
            ):
                w.sample = doc_id
        self.rows["items"].extend(item_rows)
        self._index(doc, items, attachments)
        return item_rows, circulated

    def _item_row(
        self, instance_id: int, item: Item, title: str, url: str, urgency: str, due_limit: datetime | None
    ) -> tuple:
        item_id = self.next_item
        self.next_item += 1
        due = None
        days = STEP_DAYS.get(item.step)
        if item.kind == "todo" and days:
            due = item.created + timedelta(days=days + days * 2 // 5)
            if due_limit is not None and due > due_limit:
                due = due_limit
        actor = item.assignee if item.state == "done" else None
        return (
            item_id,
            instance_id,
            PLUGIN,
            item.kind,
            item.step,
            item.assignee,
            None,
            item.state,
            item.seq,
            0,
            title,
            url,
            urgency,
            item.created,
            due,
            item.done,
            item.action,
            item.opinion,
            actor,
            None,
            None,
        )

    def _more_readers(self, circulated: tuple, count: int) -> None:
        """传阅 again to ``count`` more readers (to make the work items come out exactly)."""
        instance_id, title, url, sent, urgency, clerk = circulated
        readers = self._readers(count)
        at = sent + timedelta(hours=2)
        for person in readers:
            self.rows["items"].append(
                self._item_row(
                    instance_id, Item("read", "circulate", person, "open", at), title, url, urgency, None
                )
            )
        detail = json.dumps({"readers": [self.world.usernames[p] for p in readers]}, ensure_ascii=False)
        self.rows["logs"].append((instance_id, "track", "circulate", clerk, None, "", detail, "", at))

    def _attachments(self, doc: dict) -> list[int]:
        count = self.rng.choices((0, 1, 2, 3), (15, 45, 30, 10))[0]
        chosen = list(range(count))
        for index in chosen:
            name, kind, size, digest, _ = self.blobs[index]
            filename = f"{doc['title'][:60]}.docx" if index == 0 else name
            self.rows["attachments"].append(
                (
                    PLUGIN,
                    OBJECT_TYPE,
                    str(doc["id"]),
                    filename,
                    kind,
                    size,
                    digest,
                    doc["clerk"],
                    doc["received"],
                    None,
                )
            )
        return chosen

    def _index(self, doc: dict, items: list[Item], attachments: list[int]) -> None:
        """The entry ``docs_incoming.feed.entry`` would index for the document as it stands."""
        w = self.world
        lines = [f"收文编号：{doc['number']}", f"来文字号：{doc['doc_number']}"]
        done = sorted(
            (i for i in items if i.kind == "todo" and i.state == "done" and i.action == "approve"),
            key=lambda i: i.done,
        )
        lines += [f"{STEP_TITLES[i.step]} {w.names[i.assignee]}：{i.opinion}" for i in done if i.opinion]
        if doc["result"]:
            lines.append(f"办理结果：{doc['result']}")
        if doc["reply"]:
            lines.append(f"答复：{doc['reply']}")
        body = "\n".join(lines)
        attachment_text = "\n".join(t for t in (self.blobs[i][4] for i in attachments) if t)
        people = {doc["clerk"], *w.clerks.get(doc["unit"], []), *(i.assignee for i in items)}
        readers = [("user", str(p)) for p in sorted(people)] + [("permission", MANAGE)]
        search_id = self.next_search
        self.next_search += 1
        urgency = URGENCY_TITLES[doc["urgency"]]
        number = " ".join(x for x in (doc["doc_number"], doc["number"]) if x)
        row = (
            search_id,
            SOURCE,
            str(doc["id"]),
            PLUGIN,
            doc["title"],
            f"/docs_incoming/{doc['id']}",
            number[:100],
            doc["from_unit"],
            "",
            doc["year"],
            doc["unit"],
            doc["doc_type"],
            urgency,
            doc["received"].date(),
            doc["received"],
            w.now,
        )
        shape = SimpleNamespace(
            title=doc["title"],
            doc_number=number[:100],
            from_unit=doc["from_unit"],
            issuer_unit="",
            doc_type=doc["doc_type"],
            urgency=urgency,
        )
        docs, texts, reader_rows, fts = self.search
        docs.append(row)
        texts.append((search_id, body, attachment_text))
        reader_rows.extend((search_id, kind, value) for kind, value in readers)
        verify = search_id % 1000 == 0  # every thousandth entry is checked against the core's functions
        columns = search_bench.token_columns(shape, body, attachment_text, readers, verify)
        fts.append(search_bench.fts_row(self.app, search_id, columns, verify))

    def _flush(self) -> None:
        db = self.app.db
        with db.atomic():
            for key, (table, columns) in TABLES.items():
                if self.rows[key]:
                    bulk.bulk_insert(db, table, columns.split(), self.rows[key])
            search_bench.write_entries(self.app, *self.search)
        self._reset()

    def finish(self) -> None:
        """Write the 收文编号 counters (so the next registration continues each unit's sequence) and move the
        PostgreSQL sequences past the ids written here."""
        self._flush()
        db = self.app.db
        with db.atomic():
            db.execute_sql("DELETE FROM docs_incoming_counter")
            bulk.bulk_insert(
                db,
                "docs_incoming_counter",
                ["unit_id", "year", "last"],
                [(unit, year, last) for (unit, year), last in sorted(self.counters.items())],
            )
        for table in ("docs_incoming_document", "core_wf_instance", "core_work_item", "core_search_doc"):
            bulk.sync_sequence(db, table)


# -------------------------------------------------------------------------------------- the rest


def fill_search(app: Any, world: World, count: int, seed: int = 2027) -> None:
    """``count`` older 局发文 entries (index only: the documents predate the system) up to the asked size,
    as ``search_bench`` makes them."""
    rng = random.Random(seed)
    first = bulk.next_id(app.db, "core_search_doc")
    start = (world.now - timedelta(days=5 * 365)).date()
    for offset in range(0, count, BATCH * 5):
        batch = ([], [], [], [])
        for i in range(first + offset, first + min(offset + BATCH * 5, count)):
            doc, text, readers = search_bench.make_record(
                rng,
                i,
                world.unit_ids,
                world.user_ids,
                start,
                source="docs_outgoing.document",
                issuer="江南出入境检验检疫局",
                permission="docs_outgoing.manage",
                number_prefixes=search_bench.NUMBER_PREFIXES,
            )
            doc["indexed_at"] = world.now
            batch[0].append(tuple(doc.values()))
            batch[1].append((i, text["body"], text["attachments_text"]))
            batch[2].extend((i, kind, value) for kind, value in readers)
            shape = SimpleNamespace(**doc)
            verify = i - first < 100
            columns = search_bench.token_columns(
                shape, text["body"], text["attachments_text"], readers, verify
            )
            batch[3].append(search_bench.fts_row(app, i, columns, verify))
        with app.db.atomic():
            search_bench.write_entries(app, *batch)
        progress("检索", min(offset + BATCH * 5, count), count)
    bulk.sync_sequence(app.db, "core_search_doc")


def _file_leave(app: Any, user: User, n: int, day: date) -> int:
    """File one leave request starting on ``day`` a week before, then approve each step a few hours apart
    as whoever holds it; returns its id.  Raises the service's LeaveError (a holiday, an overlap)."""
    from officium.plugins.leave import requests

    end = day + timedelta(days=n % 2)
    filed = datetime.combine(day - timedelta(days=7), time(9, 30))
    app.clock = lambda: filed
    with app.db.atomic():
        leave = requests.file(
            app,
            user,
            {
                "leave_type": "personal" if n % 3 else "annual",
                "start_date": day.isoformat(),
                "end_date": end.isoformat(),
                "reason": ("家中有事" if n % 3 else "年休假") + f"（{day.year}年）",
            },
        )
        instance = engine.instance_for("leave", "request", leave.id)
        step = 0
        while Instance.get_by_id(instance.id).state == "running":
            step += 1
            app.clock = lambda at=filed + timedelta(hours=3 * step): at
            item = (
                WorkItem.select()
                .where(
                    (WorkItem.instance == instance) & (WorkItem.kind == "todo") & (WorkItem.state == "open")
                )
                .order_by(WorkItem.id)
                .first()
            )
            engine.approve(app, item.id, item.assignee, opinion="同意。")
    return leave.id


def seed_leave(app: Any, username: str, count: int) -> list[int]:
    """``count`` leave requests of ``username`` over five years, filed and approved through the leave
    plugin's service and the engine at the time they happened (the app's clock is moved back); a day the
    service refuses (a public holiday) moves to the next one."""
    from officium.plugins.leave.requests import LeaveError

    user = User.get(User.username == username)
    real_clock = app.clock
    now = real_clock()
    made = []
    try:
        for n in range(count):
            day = (now - timedelta(days=5 * 365) + timedelta(days=n * 5 * 365 // count + 10)).date()
            for _ in range(20):
                try:
                    made.append(_file_leave(app, user, n, day))
                    break
                except LeaveError:
                    day += timedelta(days=1)
    finally:
        app.clock = real_clock
    return made


def sample_document(world: World) -> int:
    """A finished 批办件 of the page user's unit with attachments (they gave its 拟办 opinion)."""
    if world.sample is None:
        raise SystemExit("no document of the page user's unit was finished: seed more documents")
    return world.sample


def approvers(app: Any, limit: int) -> dict[str, list[int]]:
    """The users with the most open items ``engine.approve`` accepts without choosing anyone (领导批示, 承办,
    归档, 传阅与归档), each with those items; a step that any one of several people may take is left out
    when several hold it (the first to approve would take it from the others)."""
    rows = app.db.execute_sql(
        "SELECT w.id, w.assignee_id, w.instance_id, w.step FROM core_work_item w "
        "JOIN core_wf_instance i ON i.id = w.instance_id "
        "WHERE w.plugin = 'docs_incoming' AND w.kind = 'todo' AND w.state = 'open' AND i.state = 'running' "
        "AND w.step = i.step AND w.step IN ('instruct', 'handle', 'archive', 'track') ORDER BY w.id"
    ).fetchall()
    holders: dict[tuple[int, str], int] = defaultdict(int)
    for _, _, instance, step in rows:
        holders[(instance, step)] += 1
    page_user = (
        User.get(User.username == "heping").id if User.get_or_none(User.username == "heping") else None
    )
    by_user: dict[int, list[int]] = defaultdict(list)
    for item, user, instance, step in rows:
        if step in ("archive", "track") and holders[(instance, step)] > 1:
            continue
        if user != page_user:  # the page user's 待办 stays as it is while the load runs
            by_user[user].append(item)
    top = sorted(by_user.items(), key=lambda kv: (-len(kv[1]), kv[0]))[:limit]
    names = {
        u.id: u.username for u in User.select(User.id, User.username).where(User.id.in_([u for u, _ in top]))
    }
    return {names[user]: ids for user, ids in top}
