"""Several stateless web nodes: a session, sign-in lockout, a workflow step, an attachment and the periodic
jobs, each seen the same way from every node (see conftest.py for the processes)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from itertools import pairwise

import httpx
import pytest

from officium.core.files import Attachment
from officium.core.jobs import JobRun
from officium.core.workflow.models import ActionLog, WorkItem
from officium.plugins.mail.models import Copy
from officium.testing import TEST_PASSWORD
from tests.scale.conftest import csrf, wait_for

pytestmark = pytest.mark.postgresql

API = "/api/v1/change_requests"


def test_the_web_nodes_leave_the_jobs_to_the_workers(cluster):
    for node in cluster.nodes.values():
        assert "后台任务队列在 Redis 上：请另外运行 `officium worker`" in node.output()
    for worker in cluster.workers:
        assert "队列 Redis（redis://127.0.0.1:6379/0）" in worker.output(), worker.output()


def test_a_session_started_on_one_node_continues_on_the_other(cluster):
    browser, token = cluster.sign_in("a", "zhou")
    try:
        me = browser.get(f"{cluster.b}/api/v1/core/me")
        assert me.status_code == 200 and me.json()["name"] == "周静"
        home = browser.get(f"{cluster.b}/")
        assert home.status_code == 200 and "周静" in home.text
        # a form posted to node B with the CSRF token node A rendered: the token lives with the session
        filed = browser.post(
            f"{cluster.b}{API}/requests",
            json={"kind": "new_account", "name": "陈新", "username": "chenxin", "reason": "新入职"},
            headers={"X-CSRF-Token": token},
        )
        assert filed.status_code == 201, filed.text
        assert browser.get(f"{cluster.a}{API}/requests/{filed.json()['id']}").json()["status"] == "leader"
        # signing out on B ends the session on A too
        assert browser.post(f"{cluster.b}/logout", data={"csrf_token": token}).status_code == 303
        assert browser.get(f"{cluster.a}/api/v1/core/me").status_code == 401
        assert browser.get(f"{cluster.a}/").headers["location"].startswith("/login")
    finally:
        browser.close()


def test_failed_sign_ins_on_both_nodes_count_towards_one_lockout(cluster):
    def attempt(node: str, password: str) -> httpx.Response:
        with httpx.Client(timeout=30) as browser:
            base = cluster.nodes[node].url
            token = csrf(browser.get(f"{base}/login").text)
            return browser.post(
                f"{base}/login", data={"username": "qian", "password": password, "csrf_token": token}
            )

    for n in range(5):  # the default policy locks after 5 failures; they alternate between the nodes
        refused = attempt("ab"[n % 2], f"wrong-{n}")
        assert refused.status_code == 400 and "用户名或密码不正确" in refused.text
    for node in ("a", "b"):
        locked = attempt(node, TEST_PASSWORD)
        assert locked.status_code == 400 and "已临时锁定" in locked.text


def test_an_approval_on_one_node_is_seen_on_the_other(cluster):
    clerk, clerk_token = cluster.sign_in("b", "zhou")
    leader, leader_token = cluster.sign_in("b", "wang")
    try:
        filed = clerk.post(
            f"{cluster.b}{API}/requests",
            json={"kind": "new_account", "name": "林木", "username": "linmu", "reason": "调入"},
            headers={"X-CSRF-Token": clerk_token},
        )
        assert filed.status_code == 201, filed.text
        change = filed.json()["id"]
        assert leader.get(f"{cluster.b}{API}/requests/{change}").json()["actions"] == ["approve", "return"]
        approved = leader.post(
            f"{cluster.a}/change_requests/{change}/approve",
            data={"csrf_token": leader_token, "opinion": "同意，请信息化处办理"},
        )
        assert approved.status_code == 303, re.findall(r"class=\"field-error[^>]*>([^<]*)", approved.text)
        seen = clerk.get(f"{cluster.b}{API}/requests/{change}").json()
        assert seen["status"] == "carry_out"
        assert [row["action"] for row in seen["timeline"]] == ["submit", "approve"]
        assert leader.get(f"{cluster.b}{API}/requests/{change}").json()["actions"] == []
        page = leader.get(f"{cluster.b}/change_requests/{change}").text
        assert "同意，请信息化处办理" in page and "待信息化处办理" in page
        (log,) = ActionLog.select().where(
            ActionLog.action == "approve", ActionLog.opinion == "同意，请信息化处办理"
        )
        done = WorkItem.select().where(WorkItem.instance == log.instance, WorkItem.state == "done")
        assert [item.assignee.username for item in done] == ["wang"]
    finally:
        clerk.close()
        leader.close()


def test_an_attachment_uploaded_on_one_node_downloads_on_the_other(cluster):
    sender, token = cluster.sign_in("a", "zhou")
    reader, _ = cluster.sign_in("b", "wang")
    content = "人事处 2026 年度培训计划（共享存储）".encode()
    try:
        sent = sender.post(
            f"{cluster.a}/mail/compose",
            data={"csrf_token": token, "to": "wang", "subject": "培训计划", "body": "<p>请阅。</p>"},
            files={"attachments": ("培训计划.txt", content, "text/plain")},
        )
        assert sent.status_code == 303, sent.text[:500]
        attachment = (
            Attachment.select().where(Attachment.plugin == "mail").order_by(Attachment.id.desc()).get()
        )
        copy = Copy.get(
            (Copy.message == int(attachment.owner_id)) & (Copy.kind == "to") & (Copy.user.is_null(False))
        )
        got = reader.get(f"{cluster.b}/mail/{copy.id}/files/{attachment.id}")
        assert got.status_code == 200 and got.content == content
        assert "attachment" in got.headers["content-disposition"]
        sha = attachment.sha256
        assert (cluster.shared_files / sha[:2] / sha).read_bytes() == content
        node_b_site = cluster.app.config.site_dir.parent / "node-b"
        assert not (node_b_site / "data" / "files").exists()  # node B stores nothing of its own
    finally:
        sender.close()
        reader.close()


def test_each_periodic_job_runs_once_per_period_across_the_workers(cluster):
    # Both workers' schedulers fire the dispatcher as they start and queue every due job; the job lock
    # (Redis SET NX) and the second look under it let one run through.  Poll the run log for the results.
    ten_minutely = "core.workflow_deadlines"
    minutely = sorted(n for n, j in cluster.app.registry.jobs.items() if j.every_minutes == 1)
    assert "core.send_email" in minutely

    def finished():
        runs = list(JobRun.select().where(JobRun.finished_at.is_null(False)))
        return runs if {r.name for r in runs} >= {ten_minutely, *minutely} else None

    runs = wait_for(finished, "the workers to run every due job", deadline=60, every=0.2)
    for worker in cluster.workers:
        assert "Enqueueing periodic task officium.core.jobs.officium.dispatch" in worker.output(), (
            worker.output()
        )
    by_job: dict[str, list] = {}
    for run in runs:
        by_job.setdefault(run.name, []).append(run.started_at.replace(second=0, microsecond=0))
    assert len(by_job[ten_minutely]) == 1, by_job[ten_minutely]
    for name in minutely:  # the test may cross a minute boundary: then one run in each minute
        minutes = sorted(by_job[name])
        assert all(later - earlier >= timedelta(minutes=1) for earlier, later in pairwise(minutes))
    assert all(run.ok for run in runs), [(r.name, r.message) for r in runs if not r.ok]


def test_a_job_held_by_another_node_is_skipped_then_runs_once(cluster):
    """The lock, deterministically: while another node (the test) holds a due job's Redis lock, the workers
    skip it; once released, many queued runs of it from both workers give exactly one run."""
    import redis

    from officium.core import jobs

    app, name = cluster.app, "core.workflow_deadlines"
    first = wait_for(lambda: jobs.last_run(name), "the first run of the job")  # as the workers started
    wait_for(lambda: jobs.last_run(name).finished_at is not None, "the first run to finish")
    huey = jobs.build_queue(app)
    run_one = huey.officium_tasks["run_job"]
    locks = jobs.RedisLocks(redis.Redis.from_url(app.config.jobs.redis_url), jobs.queue_name(app))

    def queue_runs(count: int) -> list[str]:
        tasks = [run_one.s(name) for _ in range(count)]
        for task in tasks:
            huey.enqueue(task)
        return [task.id for task in tasks]

    def executed(ids: list[str]) -> bool:
        logs = "".join(worker.output() for worker in cluster.workers)
        return all(f"{task_id} executed" in logs for task_id in ids)

    # the lock is released just after the run is recorded as finished
    wait_for(lambda: locks.acquire(name, "node-c", datetime.now(), timedelta(minutes=5)), "the job's lock")
    try:
        JobRun.delete().where(JobRun.name == name).execute()  # due again
        held = queue_runs(6)
        wait_for(lambda: executed(held), "the workers to take the queued runs", deadline=60)
        logs = "".join(worker.output() for worker in cluster.workers)
        assert logs.count(f"job {name} is running elsewhere; skipped") >= 6
        assert JobRun.select().where(JobRun.name == name).count() == 0
    finally:
        locks.release(name, "node-c")
        locks.client.close()
    ids = queue_runs(6)
    wait_for(lambda: executed(ids), "the workers to take the queued runs", deadline=60)
    (run,) = JobRun.select().where(JobRun.name == name)
    assert run.ok and run.finished_at is not None and run.started_at > first.started_at


def test_a_node_carries_on_after_losing_its_database_connections(cluster):
    browser, token = cluster.sign_in("a", "zhou")
    try:
        assert cluster.nodes["a"].terminate_connections() >= 1
        home = browser.get(f"{cluster.a}/")  # retried on a new connection: the user notices nothing
        assert home.status_code == 200 and "周静" in home.text
        assert cluster.nodes["a"].terminate_connections() >= 1
        filed = browser.post(
            f"{cluster.a}{API}/requests",
            json={"kind": "new_account", "name": "高远", "username": "gaoyuan", "reason": "借调"},
            headers={"X-CSRF-Token": token},
        )
        assert filed.status_code == 201, filed.text
        listed = browser.get(f"{cluster.b}{API}/requests").json()["items"]
        assert [r["id"] for r in listed].count(filed.json()["id"]) == 1  # filed once, not twice
        assert "the database connection was lost" in cluster.nodes["a"].output()
    finally:
        browser.close()


def test_without_redis_the_job_lock_is_a_database_row_every_process_respects(tmp_path):
    """No Redis: each node's ``officium worker --once`` (system cron) takes the ``core_job_lock`` row."""
    import subprocess

    from officium.core import jobs
    from officium.testing import close_site, make_site
    from tests.scale.conftest import OFFICIUM

    app = make_site(tmp_path / "site", clock=datetime.now)
    name = "core.workflow_deadlines"

    def run_once_on_two_nodes() -> list[str]:
        env = {"PATH": "/usr/bin:/bin", "PYTHONUNBUFFERED": "1"}
        site = str(app.config.site_dir)
        both = [
            subprocess.Popen(
                [OFFICIUM, "--site", site, "worker", "--once"], stdout=subprocess.PIPE, text=True, env=env
            )
            for _ in range(2)
        ]
        outputs = [p.communicate(timeout=120)[0] for p in both]
        assert [p.returncode for p in both] == [0, 0], outputs
        return outputs

    try:
        locks = jobs.DatabaseLocks(app)
        assert locks.acquire(name, "node-c", datetime.now(), timedelta(minutes=5))
        outputs = run_once_on_two_nodes()
        assert not any(name in out for out in outputs), outputs
        assert JobRun.select().where(JobRun.name == name).count() == 0
        locks.release(name, "node-c")
        outputs = run_once_on_two_nodes()
        assert sum(f"✓ {name}" in out for out in outputs) == 1, outputs
        assert JobRun.select().where(JobRun.name == name).count() == 1
    finally:
        close_site(app)
