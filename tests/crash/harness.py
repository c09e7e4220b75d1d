"""Crash harness: service-layer writes in a child process killed with SIGKILL at random moments, restarted,
again and again; then every acknowledged write must be there and nothing half-applied.

SQLite only: the harness kills a process writing to a local database file, which is exactly what SQLite's
WAL and ``synchronous=FULL`` must survive.  PostgreSQL's durability is the server's (a killed client only
loses its open transaction), so there is nothing of ours to test there.

The parent (``python -m tests.crash.harness SITE --cycles N --seed S``) is a plain single-threaded process:
it builds the site's app once (``create_app``), closes its database, then ``fork()``s each child, so a cycle
costs milliseconds, not a Python start.  Each child opens the database afresh — where SQLite recovers from
the previous kill, as a restarted server does — runs ``PRAGMA quick_check``, signals that it is ready, then loops over random writes: start a document (``engine.start``), approve an open work
item (``engine.approve``: item, ActionLog row and audit row in one transaction), append an audit note, store
an attachment (blob, then row).  After each commit it appends one line to the ack file and ``fsync``s it.
The parent sleeps a seeded random delay and kills the child with SIGKILL.  After the last cycle it checks:

- every acknowledged write is present (a torn last ack line, written when the kill came, is ignored);
- no business transaction is half-applied: per document, done work items approved == ActionLog approve
  rows == audit approve rows, one submit log row and one submit audit row, at least one work item;
- ``verify_chain`` passes; ``PRAGMA integrity_check`` is ``ok`` and ``foreign_key_check`` finds nothing;
- every attachment row's blob exists and matches its hash.

``bench/crash_bench.py`` runs the long version (500 cycles); tests/core/test_crash.py the short one.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import sys
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from officium.core import audit, files
from officium.core.app import OfficiumApp, create_app
from officium.core.audit import AuditEntry
from officium.core.config import SiteConfig, write_config
from officium.core.db import write_transaction
from officium.core.identity.models import User
from officium.core.migrations_runner import upgrade
from officium.core.workflow import engine
from officium.core.workflow.models import ActionLog, Instance, WorkItem
from tests.core import flows

ACK_NAME = "acks.log"


def open_site(site: Path, *, check_schema: bool = True) -> OfficiumApp:
    """The crash site's app: always SQLite, with the ``flows`` test plugin (its workflows)."""
    return create_app(SiteConfig.load(site), extra_plugins=[flows.make_plugin()], check_schema=check_schema)


def prepare(site: Path) -> None:
    """Create the SQLite site (whatever database the test run uses) with the people the workflows name."""
    write_config(site, database_url="sqlite:///data/officium.db", enabled_plugins=[])
    app = open_site(site, check_schema=False)
    try:
        upgrade(app)
        flows.staff(app)
    finally:
        app.db.close()


def _close(app: OfficiumApp) -> None:
    app.db.close()


# ---------------------------------------------------------------------------------------------- child


def child(app: OfficiumApp, site: Path, cycle: int, seed: int, ready_fd: int) -> None:
    """Write forever (until killed), acknowledging each committed write in the ack file.

    ``app`` was built by the parent, which closed its database before forking: the child opens the database
    afresh, which is where SQLite recovers from the previous child's kill (WAL replay, hot journal).
    """
    rng = random.Random(seed * 100_003 + cycle)
    app.db.connect()
    app.db.execute_sql("PRAGMA quick_check")
    writer = User.get(User.username == "writer")
    ack = os.open(site / ACK_NAME, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    os.write(ready_fd, b"r")
    os.close(ready_fd)
    n = 0
    while True:
        n += 1
        tag = f"{cycle}-{n}"
        roll = rng.random()
        if roll < 0.35:
            with write_transaction(app.db):
                engine.start(
                    app,
                    "flows.single",
                    object_type="doc",
                    object_id=tag,
                    title=f"断电测试文件 {tag}",
                    url=flows.doc_url(tag),
                    drafter=writer,
                )
            line = f"start {tag}"
        elif roll < 0.8:
            open_items = list(
                WorkItem.select(WorkItem.id, WorkItem.assignee).where(WorkItem.state == "open").limit(50)
            )
            if not open_items:
                continue
            item = rng.choice(open_items)
            with write_transaction(app.db):
                engine.approve(app, item.id, User.get_by_id(item.assignee_id), opinion=f"同意（{tag}）")
            line = f"approve {item.id}"
        elif roll < 0.9:
            with write_transaction(app.db):
                entry = audit.record(app, "core.crash_note", summary=f"note {tag}")
            line = f"note {entry.id}"
        else:
            with write_transaction(app.db):
                row = files.save_upload(
                    app,
                    (f"{tag}.txt", f"附件内容 {tag} {rng.random()}".encode()),
                    owner=("flows", "doc", tag),
                    user=writer,
                )
            line = f"file {row.id} {row.sha256}"
        os.write(ack, (line + "\n").encode())
        os.fsync(ack)


# --------------------------------------------------------------------------------------------- parent


@dataclass
class Result:
    cycles: int = 0
    acknowledged: Counter = field(default_factory=Counter)
    lost: list[str] = field(default_factory=list)
    half_applied: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    integrity: str = ""
    audit_rows: int = 0
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.lost and not self.half_applied and not self.problems and self.integrity == "ok"

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["acknowledged"] = dict(self.acknowledged)
        data["acknowledged_total"] = sum(self.acknowledged.values())
        data["ok"] = self.ok
        return data


def _fork(target: Any, *args: Any) -> tuple[int, int]:
    """Run ``target(*args, ready_fd)`` in a forked child; return (pid, read end of its ready pipe)."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        os.close(read_fd)
        code = 0
        try:
            target(*args, write_fd)
        except BaseException:
            import traceback

            traceback.print_exc()
            code = 1
        finally:
            os._exit(code)
    os.close(write_fd)
    return pid, read_fd


def run(site: Path, cycles: int, seed: int, max_delay: float = 0.25, echo: Any = None) -> Result:
    """Prepare the site if needed, run ``cycles`` kill cycles, then verify; see the module docstring."""
    started = time.monotonic()
    if not (site / "officium.toml").exists():
        pid, _ = _fork(lambda fd: prepare(site))
        _, status = os.waitpid(pid, 0)
        if os.waitstatus_to_exitcode(status) != 0:
            raise RuntimeError("preparing the crash site failed")
    rng = random.Random(seed)
    result = Result()
    app = open_site(site)  # built once (plugins, registries, schema check); each child reconnects
    app.db.close()
    for cycle in range(1, cycles + 1):
        pid, ready = _fork(child, app, site, cycle, seed)
        signalled = os.read(ready, 1)
        os.close(ready)
        if signalled != b"r":
            os.waitpid(pid, 0)
            result.problems.append(f"cycle {cycle}: the child failed to start (see stderr)")
            break
        time.sleep(rng.uniform(0.0, max_delay))
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        result.cycles = cycle
        if echo and (cycle % 50 == 0 or cycle == cycles):
            echo(f"{cycle}/{cycles} kill cycles")
    verify(site, result)
    result.seconds = round(time.monotonic() - started, 1)
    return result


def read_acks(site: Path) -> list[tuple[str, ...]]:
    """The complete lines of the ack file (a torn last line, cut by the kill, is not an acknowledgement)."""
    path = site / ACK_NAME
    if not path.exists():
        return []
    text = path.read_text(encoding="utf-8", errors="replace")
    complete = text[: text.rfind("\n") + 1] if "\n" in text else ""
    return [tuple(line.split()) for line in complete.splitlines() if line.strip()]


def verify(site: Path, result: Result | None = None) -> Result:
    """Check the site after the kills (see the module docstring); fill and return ``result``."""
    result = result or Result()
    app = open_site(site)
    try:
        _verify(app, site, result)
    finally:
        _close(app)
    return result


def _verify(app: OfficiumApp, site: Path, result: Result) -> None:
    db = app.db
    result.integrity = "; ".join(r[0] for r in db.execute_sql("PRAGMA integrity_check").fetchall())
    broken = db.execute_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        result.problems.append(f"foreign_key_check: {len(broken)} rows")
    chain = audit.verify_chain(app)
    if not chain.ok:
        result.problems.append(f"audit chain: {chain.message}")
    result.audit_rows = chain.checked

    for ack in read_acks(site):
        kind = ack[0]
        result.acknowledged[kind] += 1
        if kind == "start":
            present = (
                Instance.select()
                .where((Instance.plugin == "flows") & (Instance.object_id == ack[1]))
                .exists()
            )
        elif kind == "approve":
            item = WorkItem.get_or_none(WorkItem.id == int(ack[1]))
            present = item is not None and item.state == "done" and item.action == "approve"
        elif kind == "note":
            present = (
                AuditEntry.select()
                .where((AuditEntry.id == int(ack[1])) & (AuditEntry.action == "core.crash_note"))
                .exists()
            )
        elif kind == "file":
            row = files.Attachment.get_or_none(files.Attachment.id == int(ack[1]))
            present = row is not None and row.sha256 == ack[2]
        else:
            present = False
        if not present:
            result.lost.append(" ".join(ack))

    # per document: the three records of each approval, and of the submission, all there or none
    approved_items = Counter(
        i.instance_id
        for i in WorkItem.select(WorkItem.instance).where(
            (WorkItem.state == "done") & (WorkItem.action == "approve")
        )
    )
    logs = Counter((r.instance_id, r.action) for r in ActionLog.select(ActionLog.instance, ActionLog.action))
    audits = Counter(
        (r.object_id, r.action)
        for r in AuditEntry.select(AuditEntry.object_id, AuditEntry.action).where(
            AuditEntry.plugin == "flows"
        )
    )
    has_items = {i.instance_id for i in WorkItem.select(WorkItem.instance).distinct()}
    for instance in Instance.select(Instance.id, Instance.object_id).where(Instance.plugin == "flows"):
        counts = (
            approved_items[instance.id],
            logs[(instance.id, "approve")],
            audits[(instance.object_id, "flows.workflow.approve")],
        )
        if len(set(counts)) != 1:
            result.half_applied.append(f"document {instance.object_id}: items/log/audit approvals {counts}")
        submitted = (logs[(instance.id, "submit")], audits[(instance.object_id, "flows.workflow.submit")])
        if submitted != (1, 1) or instance.id not in has_items:
            result.half_applied.append(f"document {instance.object_id}: submit log/audit {submitted}")
    store = files.check_store(app)
    if not store.ok:
        result.problems.append(f"attachments: {len(store.missing)} missing, {len(store.corrupt)} corrupt")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("site", type=Path)
    parser.add_argument("--cycles", type=int, default=15)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--max-delay", type=float, default=0.25, help="longest random delay before a kill (s)"
    )
    args = parser.parse_args(argv)
    result = run(args.site, args.cycles, args.seed, args.max_delay, echo=lambda s: print(s, file=sys.stderr))
    print(json.dumps(result.as_dict(), ensure_ascii=False))
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
