"""The province-scale data set of ``make bench``: a bureau of 10,000 people with five years of work.

What :func:`seed_province` makes (``SCALES`` gives the sizes; "small" is the quick variant):

* users and units: ``bench/seed.py``'s ``seed_site`` (the demo bureau, then generated 科 and staff, each
  科 with a 负责人 and a 综合人员), every first-party plugin enabled;
* 休假: the page user's own leave requests of five years, filed and approved through the leave plugin's
  service and the workflow engine (so they are real in every respect);
* 收文 (:mod:`province_docs`): incoming documents registered by the units' 综合人员 over five years, each with
  its 收文编号, attachments metadata pointing at a few real blobs of the files store, and its workflow
  (``docs_incoming.handle``: 拟办 → 领导批示 → 分办 → 承办 → 归档, or ``docs_incoming.circulate``: 传阅)
  written as the engine writes it: the instance, its work items (待办 and 待阅, open or done), the
  流转记录, the 分办 rows and the search entry the plugin's feed would index.  Together they make the work
  items up to the requested number (a few hundred come from the leave requests and the demo);
* 电子邮件: ``bench/mail_bench.py``'s messages with one copy per recipient;
* 文档查询: the documents' own entries, then older 局发文 entries (index only) up to the requested number,
  as ``bench/search_bench.py`` writes them.

Everything goes through :mod:`bulk` (``executemany`` on SQLite, ``COPY`` on PostgreSQL) and is seeded from
fixed random seeds, so two runs make the same data.  ``PROBES`` (returned in the summary) names the pages
and APIs the load test drives, and ``--check`` requests each of them in-process for the user it names and
approves a few of the approvers' items through the API.

Run:  .venv/bin/python bench/province.py --site DIR --scale small|province [--database-url URL] [--reuse]
      .venv/bin/python bench/province.py --site DIR --check
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import bulk  # noqa: E402
import mail_bench  # noqa: E402
import province_docs  # noqa: E402
import search_bench  # noqa: E402
from seed import PAGE_USER, PASSWORD, seed_site  # noqa: E402

from officium.core.app import create_app  # noqa: E402
from officium.core.config import SiteConfig  # noqa: E402
from officium.core.identity.models import Unit, User  # noqa: E402
from officium.core.search.models import SearchDoc  # noqa: E402
from officium.core.workflow.models import WorkItem  # noqa: E402
from officium.plugins.docs_incoming.models import IncomingDocument  # noqa: E402
from officium.plugins.mail.models import Message  # noqa: E402

SCALES: dict[str, dict[str, int]] = {
    "province": {
        "users": 10_000,
        "units": 200,
        "work_items": 1_000_000,
        "documents": 300_000,
        "mail": 1_000_000,
        "search": 1_000_000,
    },
    "small": {
        "users": 2_000,
        "units": 200,
        "work_items": 20_000,
        "documents": 3_000,
        "mail": 20_000,
        "search": 20_000,
    },
}
#: The on_stage call made when exactly this many work items exist (the 待办 page is timed there too).
STAGE_ITEMS = 10_000
#: The seed cache (``reuse=True``): finished SQLite seeds, keyed by scale and the seeding code's hash.
CACHE = HERE / ".cache"
#: The files whose content decides what a seed contains (a change makes a new cache entry).
SEED_CODE = ("province.py", "province_docs.py", "bulk.py", "seed.py", "mail_bench.py", "search_bench.py")
#: Approvers handed to the load test: at most this many users, each with their approvable open items.
APPROVERS = 200
#: The page user's own leave requests (one or two a year, five years).
LEAVE_REQUESTS = 30

#: What the load test requests, as the page user (``document_path`` and ``approvers`` are added by the seed).
PROBES: dict = {
    "page_user": PAGE_USER,
    "todo_path": "/todo/",
    "todo_api": "/api/v1/core/todo?box=todo&per_page=20",
    "leave_api": "/api/v1/leave/requests?scope=mine&per_page=20",
    "search_path": "/search/?q=%E9%80%9A%E7%9F%A5",  # 通知
    "inbox_path": "/mail/",
    "approve_api": "/api/v1/core/workflow/items/{id}/approve",
    "approve_body": {"opinion": "同意"},
}

Echo = Callable[[str], None]
OnStage = Callable[[str, Path], None]


# ------------------------------------------------------------------------------------------- the cache


def cache_key(sizes: dict[str, int]) -> str:
    """The cache folder name of a seed of ``sizes``: the sizes and a hash of the seeding code and the
    migrations (a schema change makes an old seed useless)."""
    digest = hashlib.sha256(json.dumps(sizes, sort_keys=True).encode())
    for name in SEED_CODE:
        digest.update((HERE / name).read_bytes())
    root = HERE.parent / "officium"
    for path in sorted(root.rglob("migrations/*.py")):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
    label = next((k for k, v in SCALES.items() if v == sizes), "custom")
    return f"{label}-{digest.hexdigest()[:12]}"


def _copy_site(source: Path, target: Path) -> None:
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(source, target)


def _from_cache(site: Path, entry: Path, echo: Echo, on_stage: OnStage | None) -> dict:
    """Copy the cached 10k-stage site, report the stage, then the finished one."""
    t0 = time.perf_counter()
    if on_stage is not None:
        _copy_site(entry / "stage", site)
        echo(f"  reused the cached seed {entry.name} (10k stage)")
        on_stage("work_items_10k", site)
    _copy_site(entry / "done", site)
    summary = json.loads((entry / "summary.json").read_text())
    summary["reused"] = entry.name
    summary["seconds"]["copy_from_cache"] = round(time.perf_counter() - t0, 1)
    echo(f"  reused the cached seed {entry.name} in {summary['seconds']['copy_from_cache']} s")
    if on_stage is not None:
        on_stage("done", site)
    return summary


# ------------------------------------------------------------------------------------------- seeding


def _open(site: Path):
    return create_app(SiteConfig.load(site))


def _count(model) -> int:
    return model.select().count()


def seed_province(
    site: Path,
    sizes: dict[str, int],
    *,
    database_url: str | None = None,
    echo: Echo = print,
    on_stage: OnStage | None = None,
    reuse: bool = False,
    cache_dir: Path = CACHE,
) -> dict:
    """Create the site in ``site`` and fill it to ``sizes`` (see the module docstring); return the summary
    ``{"sizes": actual row counts, "seconds": per part, "probes": PROBES}``.

    ``on_stage("work_items_10k", site)`` is called once exactly 10,000 work items exist (the database is
    committed and closed then, so a server may open it), ``on_stage("done", site)`` at the end.  With
    ``reuse`` (SQLite only) a finished seed of the same sizes and seeding code is copied from
    ``cache_dir/<key>/`` when there is one, and a new seed is stored there for next time.
    """
    site = Path(site)
    entry = cache_dir / cache_key(sizes)
    if reuse and not database_url and (entry / "summary.json").exists():
        return _from_cache(site, entry, echo, on_stage)
    keep = reuse and not database_url
    seconds: dict[str, float] = {}
    t0 = time.perf_counter()
    seed_site(site, sizes["users"], sizes["units"], echo=echo, database_url=database_url)
    seconds["users_units"] = round(time.perf_counter() - t0, 1)

    app = _open(site)
    t = time.perf_counter()
    leave_ids = province_docs.seed_leave(app, PAGE_USER, LEAVE_REQUESTS)
    seconds["leave"] = round(time.perf_counter() - t, 1)
    echo(f"  filed and approved {len(leave_ids)} leave requests of {PAGE_USER} in {seconds['leave']} s")

    world = province_docs.World.load(app, PAGE_USER, random.Random(2026))
    items_before = _count(WorkItem)
    docs_before = _count(IncomingDocument)
    target_items, target_docs = sizes["work_items"], sizes["documents"]
    stage = min(STAGE_ITEMS, target_items)
    # the documents are shared between the stages in proportion to the work items they must make
    stage_docs = docs_before + round(
        (target_docs - docs_before) * (stage - items_before) / max(1, target_items - items_before)
    )
    t = time.perf_counter()
    writer = province_docs.DocumentWriter(app, world)
    with bulk.fast_writes(app.db):
        writer.fill(stage_docs - docs_before, stage - items_before, label="收文 10k")
    seconds["documents_10k"] = round(time.perf_counter() - t, 1)
    if on_stage is not None or keep:
        writer.finish()
        statistics(app)
        app.db.close()
        if keep:
            _copy_site(site, entry / "stage")
        if on_stage is not None:
            on_stage("work_items_10k", site)
        app = _open(site)
        writer.app = app
    t = time.perf_counter()
    with bulk.fast_writes(app.db):
        writer.fill(target_docs - stage_docs, target_items - stage, label="收文")
        writer.finish()
    seconds["documents"] = round(time.perf_counter() - t, 1)
    echo(f"  {writer.made_docs:,} documents, {writer.made_items:,} work items in {seconds['documents']} s")

    t = time.perf_counter()
    with bulk.fast_writes(app.db):
        mail_total = max(0, sizes["mail"] - _count(Message))
        user_ids = world.user_ids
        copies = mail_bench.fill(
            app, user_ids, world.unit_ids, mail_total, random.Random(10), favour=world.page_user_id
        )
    seconds["mail"] = round(time.perf_counter() - t, 1)
    echo(f"  {mail_total:,} messages, {copies:,} copies in {seconds['mail']} s")

    t = time.perf_counter()
    with bulk.fast_writes(app.db):
        rest = max(0, sizes["search"] - _count(SearchDoc))
        province_docs.fill_search(app, world, rest)
    seconds["search"] = round(time.perf_counter() - t, 1)
    echo(f"  {rest:,} more search entries in {seconds['search']} s")

    t = time.perf_counter()
    search_bench.finish_index(app, analyze=False)
    statistics(app)
    seconds["analyze"] = round(time.perf_counter() - t, 1)
    probes = find_probes(app, world)
    summary = {
        "sizes": actual_sizes(),
        "seconds": seconds | {"total": round(time.perf_counter() - t0, 1)},
        "probes": probes,
        "database": "PostgreSQL" if database_url else "SQLite",
    }
    app.db.close()
    if keep:
        _copy_site(site, entry / "done")
        (entry / "summary.json").write_text(json.dumps(summary, ensure_ascii=False, indent=1))
    if on_stage is not None:
        on_stage("done", site)
    return summary


def statistics(app) -> None:
    """PostgreSQL's planner statistics, as its autovacuum would soon gather them after a bulk load.  A
    SQLite site has none (nothing in Officium runs ANALYZE there), so neither has the seeded one: the pages
    are measured with the plans real sites get (as bench/todo_bench.py does)."""
    if bulk.is_postgres(app.db):
        bulk.analyze(app.db)


def actual_sizes() -> dict[str, int]:
    """The row counts of the seeded site, under the names of ``SCALES``."""
    return {
        "users": _count(User),
        "units": _count(Unit),
        "work_items": _count(WorkItem),
        "documents": _count(IncomingDocument),
        "mail": _count(Message),
        "search": _count(SearchDoc),
    }


# -------------------------------------------------------------------------------------------- probes


def find_probes(app, world: province_docs.World) -> dict:
    """:data:`PROBES` with what only the seeded data tells: a document page and the approvers' items."""
    return {
        **PROBES,
        "document_path": f"/docs_incoming/{province_docs.sample_document(world)}",
        "approvers": province_docs.approvers(app, APPROVERS),
    }


def check(site: Path, probes: dict, approvals: int = 3, echo: Echo = print) -> list[str]:
    """Request every probe in-process for the user it names and approve ``approvals`` items of the first
    approvers through the API; return the problems (empty when all answered 200).

    The approved items are taken out of ``probes["approvers"]`` (the CLI writes the summary back), so a
    load test after the check never approves an item twice.
    """
    from officium.testing import app_client, login

    app = _open(site)
    problems = []
    paths = [
        probes[k]
        for k in ("todo_path", "todo_api", "leave_api", "document_path", "search_path", "inbox_path")
    ]
    with app_client(app) as client:
        login(client, probes["page_user"], PASSWORD)
        for path in paths:
            response = client.get(path)
            echo(f"  {response.status_code} {path} ({len(response.content):,} bytes)")
            if response.status_code != 200:
                problems.append(f"{path}: {response.status_code}")
        todo = client.get(probes["todo_api"]).json()
        if len(todo.get("items", [])) < 20:
            problems.append(f"{probes['todo_api']}: {len(todo.get('items', []))} items, not 20")
        leave = client.get(probes["leave_api"]).json()
        if len(leave.get("items", [])) < 20:
            problems.append(f"{probes['leave_api']}: {len(leave.get('items', []))} items, not 20")
        for username, ids in list(probes["approvers"].items())[:approvals]:
            client.cookies.clear()
            token = login(client, username, PASSWORD)
            path = probes["approve_api"].format(id=ids[-1])
            response = client.post(path, json=probes["approve_body"], headers={"X-CSRF-Token": token})
            echo(f"  {response.status_code} POST {path} as {username}")
            if response.status_code != 200:
                problems.append(f"POST {path} as {username}: {response.status_code} {response.text[:300]}")
            ids.pop()
            if not ids:
                del probes["approvers"][username]
    app.db.close()
    return problems


# ------------------------------------------------------------------------------------------------ CLI


def main(argv: list[str] | None = None) -> int:
    """Seed (printing the summary) or, with ``--check``, verify the probes of a seeded site."""
    parser = argparse.ArgumentParser(description="The province-scale data set of make bench.")
    parser.add_argument("--site", type=Path, required=True, help="site folder (made, or checked)")
    parser.add_argument("--scale", choices=sorted(SCALES), default="small")
    parser.add_argument("--database-url", help="PostgreSQL URL of an empty database (default: SQLite)")
    parser.add_argument("--reuse", action="store_true", help="copy a cached seed (SQLite), or cache this one")
    parser.add_argument("--check", action="store_true", help="verify the probes of the seeded site in --site")
    args = parser.parse_args(argv)
    summary_file = args.site / "bench-summary.json"
    if args.check:
        summary = json.loads(summary_file.read_text())
        problems = check(args.site, summary["probes"])
        summary_file.write_text(json.dumps(summary, ensure_ascii=False, indent=1))
        for problem in problems:
            print(f"  PROBLEM {problem}")
        print("check: " + ("FAILED" if problems else "every probe answered 200"))
        return 1 if problems else 0
    summary = seed_province(args.site, SCALES[args.scale], database_url=args.database_url, reuse=args.reuse)
    summary_file.write_text(json.dumps(summary, ensure_ascii=False, indent=1))
    shown = {k: v for k, v in summary["probes"].items() if k != "approvers"}
    approvers = summary["probes"]["approvers"]
    print(json.dumps({**summary, "probes": shown}, ensure_ascii=False, indent=1))
    print(
        f"approvers: {len(approvers)} users, {sum(len(v) for v in approvers.values()):,} approvable open items"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
