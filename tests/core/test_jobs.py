"""Background jobs: declarations (register_jobs), due times, locks across processes, run records, the huey
queue, ``officium worker``, the consumer inside ``officium serve`` and the 后台任务 page.

Most tests drive jobs with ``run_due_jobs(app, now)`` and the FakeClock; no test sleeps."""

from __future__ import annotations

import threading
import types
import uuid
from datetime import datetime, timedelta

import pytest
from click.testing import CliRunner

from officium import Job, hookimpl
from officium.cli import main
from officium.core import jobs
from officium.core.config import JobsConfig, SiteConfig
from officium.core.db import write_transaction
from officium.core.errors import ConfigError, StartupError
from officium.core.jobs import (
    DatabaseLocks,
    JobLock,
    JobRun,
    RedisLocks,
    build_queue,
    is_due,
    run_due_jobs,
    run_job,
    serve_plan,
)
from officium.testing import add_user, app_client, login, make_plugin

CALLS: list[str] = []


def count_call(app):
    CALLS.append(app.clock().strftime("%H:%M"))
    return f"第 {len(CALLS)} 次"


def fail(app):
    raise ValueError("数据源不可用")


class JobHooks:
    @hookimpl
    def register_jobs(self, app):
        return [
            Job("tick.every5", count_call, every_minutes=5, title="每五分钟"),
            Job("tick.broken", fail, every_minutes=60, title="总是失败"),
        ]


@pytest.fixture
def site(site_factory):
    CALLS.clear()
    return site_factory(extra_plugins=[make_plugin("tick", JobHooks())])


def _ran(outcomes, name):
    return [o for o in outcomes if o.name == name]


def test_hook_register_jobs(site, clock):
    assert site.registry.jobs["tick.every5"].title == "每五分钟"
    assert {"core.workflow_deadlines", "core.send_email", "core.notification_cleanup"} <= set(site.registry.jobs)
    (first,) = _ran(run_due_jobs(site, clock()), "tick.every5")
    assert first.ok and first.message == "第 1 次" and CALLS == ["09:00"]
    assert _ran(run_due_jobs(site, clock()), "tick.every5") == []  # same minute: not again
    clock.advance(minutes=4, seconds=59)
    assert _ran(run_due_jobs(site, clock()), "tick.every5") == []
    clock.advance(seconds=1)
    assert [o.message for o in _ran(run_due_jobs(site, clock()), "tick.every5")] == ["第 2 次"]
    run = jobs.last_run("tick.every5")
    assert (run.started_at, run.finished_at, run.ok, run.message) == (clock(), clock(), True, "第 2 次")


def test_a_failing_job_is_recorded_and_retried_at_its_next_time(site, clock):
    (failed,) = _ran(run_due_jobs(site, clock()), "tick.broken")
    assert not failed.ok and failed.message == "ValueError: 数据源不可用"
    run = JobRun.get(JobRun.name == "tick.broken")
    assert run.ok is False and run.finished_at == clock()
    clock.advance(minutes=59)
    assert _ran(run_due_jobs(site, clock()), "tick.broken") == []
    clock.advance(minutes=1)
    assert len(_ran(run_due_jobs(site, clock()), "tick.broken")) == 1
    # other jobs ran on regardless
    assert len(CALLS) == 2


@pytest.mark.parametrize(
    ("job", "message"),
    [
        (Job("other.x", count_call, every_minutes=5), "必须以 bad. 开头"),
        (Job("bad.x", count_call), "只给出 every_minutes 或 cron 中的一个"),
        (Job("bad.x", count_call, every_minutes=5, cron="* * * * *"), "只给出 every_minutes 或 cron 中的一个"),
        (Job("bad.x", count_call, every_minutes=0), "只给出 every_minutes 或 cron 中的一个"),
        (Job("bad.x", count_call, every_minutes=-5), "every_minutes 应为正整数"),
        (Job("bad.x", count_call, cron="61 * * * *"), "cron 不合法"),
        (Job("bad.x", count_call, cron="0 2 * *"), "cron 不合法"),
        (Job("bad.x", "not callable", every_minutes=5), "func 不是函数"),
    ],
)
def test_bad_jobs_stop_the_start_up(site_factory, job, message):
    class Hooks:
        @hookimpl
        def register_jobs(self, app):
            return [job]

    with pytest.raises(StartupError, match=message):
        site_factory(extra_plugins=[make_plugin("bad", Hooks())])


def test_a_job_declared_twice_stops_the_start_up(site_factory):
    class Hooks:
        @hookimpl
        def register_jobs(self, app):
            return [Job("dup.x", count_call, every_minutes=5), Job("dup.x", count_call, every_minutes=9)]

    with pytest.raises(StartupError, match=r"dup\.x 重复注册"):
        site_factory(extra_plugins=[make_plugin("dup", Hooks())])


def test_cron_times_and_catching_up():
    nightly = Job("x.nightly", count_call, cron="30 2 * * *")
    at = datetime(2026, 3, 3, 2, 30, 15)
    assert is_due(nightly, None, at)
    assert not is_due(nightly, at, at + timedelta(seconds=30))  # ran this minute
    assert not is_due(nightly, None, datetime(2026, 3, 3, 2, 29))
    assert is_due(nightly, datetime(2026, 3, 2, 2, 30), datetime(2026, 3, 3, 2, 38))  # 8 minutes late: caught up
    assert not is_due(nightly, datetime(2026, 3, 2, 2, 30), datetime(2026, 3, 3, 2, 45))  # too late: wait
    assert is_due(nightly, datetime(2026, 3, 2, 2, 30), datetime(2026, 3, 4, 2, 30))
    sundays = Job("x.weekly", count_call, cron="0 8 * * 0")
    assert is_due(sundays, None, datetime(2026, 3, 8, 8, 0)) and not is_due(sundays, None, datetime(2026, 3, 9, 8, 0))
    every = Job("x.every", count_call, every_minutes=10)
    assert is_due(every, None, at)
    assert not is_due(every, datetime(2026, 3, 3, 2, 30, 40), datetime(2026, 3, 3, 2, 39, 59))
    assert is_due(every, datetime(2026, 3, 3, 2, 30, 40), datetime(2026, 3, 3, 2, 40, 0))


def test_a_held_lock_skips_the_run_and_an_expired_one_is_taken_over(site, clock):
    job = site.registry.jobs["tick.every5"]
    with write_transaction(site.db):
        JobLock.create(name=job.name, owner="other-node:42", expires_at=clock() + timedelta(minutes=30))
    assert run_job(site, job, clock()) is None
    assert CALLS == [] and JobRun.select().where(JobRun.name == job.name).count() == 0
    clock.advance(minutes=31)  # the other node died: its lock expired
    outcome = run_job(site, job, clock())
    assert outcome is not None and outcome.ok and CALLS == ["09:31"]
    assert JobLock.select().where(JobLock.name == job.name).count() == 0  # released


def test_a_run_checks_again_under_the_lock(site, clock):
    """Two processes that both saw the job as due: the second finds the first one's run and does nothing."""
    job = site.registry.jobs["tick.every5"]
    assert jobs.due_jobs(site, clock()).count(job) == 1
    assert run_job(site, job, clock()) is not None
    assert run_job(site, job, clock()) is None
    assert CALLS == ["09:00"] and JobRun.select().where(JobRun.name == job.name).count() == 1


def test_never_twice_at_once_across_threads(site_factory, clock):
    started, other_tried = threading.Event(), threading.Event()
    calls = []

    def slow(app):
        calls.append(1)
        started.set()
        assert other_tried.wait(30), "the second runner never tried"
        return "done"

    class Hooks:
        @hookimpl
        def register_jobs(self, app):
            return [Job("slow.job", slow, every_minutes=1)]

    app = site_factory(extra_plugins=[make_plugin("slow", Hooks())])
    job = app.registry.jobs["slow.job"]
    results = {}

    def first():
        results["first"] = run_job(app, job, clock())
        app.db.close()

    runner = threading.Thread(target=first)
    runner.start()
    assert started.wait(30)
    results["second"] = run_job(app, job, clock(), force=True)  # even a forced run waits for the lock
    other_tried.set()
    runner.join(30)
    assert results["second"] is None and results["first"].message == "done" and calls == [1]


def test_redis_locks():
    import redis

    client = redis.Redis.from_url("redis://127.0.0.1:6379/0")
    locks = RedisLocks(client, f"officium-test-{uuid.uuid4().hex}")
    now = datetime(2026, 3, 2, 9, 0)
    try:
        assert locks.acquire("core.x", "a", now, timedelta(minutes=1))
        assert not locks.acquire("core.x", "b", now, timedelta(minutes=1))
        locks.release("core.x", "b")  # not b's lock: stays
        assert not locks.acquire("core.x", "b", now, timedelta(minutes=1))
        assert 0 < client.pttl(f"{locks.prefix}:lock:core.x") <= 60_000  # expires on its own
        locks.release("core.x", "a")
        assert locks.acquire("core.x", "b", now, timedelta(minutes=1))
    finally:
        client.delete(f"{locks.prefix}:lock:core.x")
        client.close()


def test_the_queue_and_locks_follow_the_configuration(site):
    huey = build_queue(site)
    assert type(huey).__name__ == "SqliteHuey" and huey.storage.filename == str(site.config.data_dir / "jobs.db")
    assert isinstance(jobs.locks_for(site), DatabaseLocks)
    site.config.jobs = JobsConfig(redis_url="redis://127.0.0.1:6379/0")
    site._job_locks = None
    try:
        assert type(build_queue(site)).__name__ == "RedisHuey"
        assert isinstance(jobs.locks_for(site), RedisLocks)
        assert jobs.locks_for(site).prefix == jobs.queue_name(site)
    finally:
        site.config.jobs = JobsConfig()
        site._job_locks = None


def test_huey_tasks_really_run_jobs_in_immediate_mode(site, clock):
    huey = build_queue(site, immediate=True)
    assert huey.immediate
    huey.officium_tasks["dispatch"]()  # what the consumer's scheduler fires every minute
    assert CALLS == ["09:00"]
    assert {r.name for r in JobRun.select()} >= {"tick.every5", "tick.broken", "core.send_email"}
    clock.advance(minutes=5)
    huey.officium_tasks["run_job"]("tick.every5")
    huey.officium_tasks["run_job"]("no.such_job")  # a job of a disabled plugin is ignored
    assert CALLS == ["09:00", "09:05"]


def test_the_consumer_runs_inside_the_web_process_when_serve_says_so(site, monkeypatch):
    record = threading.Event()

    def watched(app):
        CALLS.append("embedded")
        record.set()

    site.registry.jobs["tick.every5"] = Job("tick.every5", watched, every_minutes=5)
    monkeypatch.setenv(jobs.EMBEDDED_ENV, "1")
    with app_client(site):
        consumer = site._job_consumer
        assert consumer is not None and consumer.workers == 2
        # the scheduler fires the dispatcher at once on start; wait (not sleep) for the job's run
        assert record.wait(30), "the embedded consumer did not run the job"
    assert site._job_consumer is None and consumer.stop_flag.is_set()
    assert CALLS == ["embedded"] and jobs.last_run("tick.every5").ok


def test_no_consumer_in_the_web_process_unless_asked(site):
    with app_client(site):
        assert getattr(site, "_job_consumer", None) is None


def test_serve_plan():
    def config(redis_url=""):
        return SiteConfig(site_dir=".", secret="s" * 40, jobs=JobsConfig(redis_url=redis_url))

    embedded, note = serve_plan(config(), 1)
    assert embedded and "本 Web 进程内运行" in note
    embedded, note = serve_plan(config(), 2)
    assert not embedded and "officium worker" in note
    embedded, note = serve_plan(config("redis://127.0.0.1:6379/0"), 1)
    assert not embedded and "Redis" in note


def test_worker_once_runs_the_due_jobs(app, monkeypatch, clock):
    monkeypatch.setenv("OFFICIUM_SITE", str(app.config.site_dir))
    result = CliRunner().invoke(main, ["worker", "--once"])
    assert result.exit_code == 0, result.output
    assert "✓ core.send_email：未配置 SMTP" in result.output and "✓ core.workflow_deadlines：" in result.output
    assert JobRun.select().where(JobRun.name == "core.workflow_deadlines").count() == 1
    again = CliRunner().invoke(main, ["worker", "--once"])  # real time, seconds later: not due again
    assert again.exit_code == 0 and "core.workflow_deadlines" not in again.output
    assert JobRun.select().where(JobRun.name == "core.workflow_deadlines").count() == 1


def test_worker_help_and_serve_note():
    result = CliRunner().invoke(main, ["worker", "--help"])
    assert result.exit_code == 0 and "--once" in result.output


def test_jobs_page_for_the_system_administrator(site, clock):
    add_user(site, "sysadm", roles=["sysadmin"])
    add_user(site, "zhang")
    with app_client(site) as client:
        login(client, "sysadm")
        page = client.get("/admin/jobs").text
        assert 'data-testid="jobs-stale"' in page and "还没有任何任务运行过" in page
        assert 'data-job="tick.every5"' in page and "每 5 分钟" in page and "从未运行" in page
        run_due_jobs(site, clock())
        page = client.get("/admin/jobs").text
        assert 'data-testid="jobs-stale"' not in page
        assert "ValueError: 数据源不可用" in page and "第 1 次" in page and "SQLite" in page
        clock.advance(minutes=11)
        assert "已超过 10 分钟没有任务运行" in client.get("/admin/jobs").text
    with app_client(site) as client:
        login(client, "zhang")
        assert client.get("/admin/jobs").status_code == 403


def test_run_records_are_pruned_but_the_last_one_stays(site, clock):
    run_due_jobs(site, clock())
    clock.advance(days=jobs.KEEP_RUNS_DAYS, minutes=5)
    run_due_jobs(site, clock())
    starts = [r.started_at for r in JobRun.select().where(JobRun.name == "tick.every5")]
    assert starts == [clock()]
    assert jobs.last_run("tick.broken").started_at == clock()


def test_run_job_refuses_to_run_inside_a_transaction(site, clock):
    with pytest.raises(RuntimeError, match="inside a transaction"), write_transaction(site.db):
        run_job(site, site.registry.jobs["tick.every5"], clock())


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[jobs]\nredis_url = "http://127.0.0.1:6379"\n', "redis_url 应以"),
        ("[jobs]\nworkers = 0\n", "workers 应为 1–32"),
        ("[jobs]\nqueue = 1\n", "未知的配置项：queue"),
    ],
)
def test_bad_jobs_settings(tmp_path, text, message):
    (tmp_path / "officium.toml").write_text(f'secret = "{"s" * 40}"\n' + text, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        SiteConfig.load(tmp_path)


def test_jobs_settings(tmp_path, monkeypatch):
    monkeypatch.setenv("OA_REDIS", "redis://127.0.0.1:6379/2")
    (tmp_path / "officium.toml").write_text(
        f'secret = "{"s" * 40}"\n[jobs]\nredis_url = {{ "$env" = "OA_REDIS" }}\nworkers = 4\n', encoding="utf-8"
    )
    assert SiteConfig.load(tmp_path).jobs == JobsConfig(redis_url="redis://127.0.0.1:6379/2", workers=4)


def test_every_node_of_a_site_uses_one_queue_whatever_it_calls_the_database():
    def site(url, secret="s" * 40):
        return types.SimpleNamespace(config=SiteConfig(site_dir=".", secret=secret, database_url=url))

    node_a = site("postgresql://oa@db1.intra:5432/oa")
    node_b = site("postgresql://oa@10.0.0.5:5432/oa")  # the same database under another name
    assert jobs.queue_name(node_a) == jobs.queue_name(node_b)
    other_site = site("postgresql://oa@db1.intra:5432/oa", secret="t" * 40)
    assert jobs.queue_name(other_site) != jobs.queue_name(node_a)
