"""Background jobs: the huey queue, periodic jobs plugins declare (``register_jobs``), locks and run records.

The queue is huey: ``SqliteHuey`` in the site's data folder by default, ``RedisHuey`` when
``[jobs] redis_url`` is configured.  Its consumer runs in ``officium worker`` (or, for the embedded default
of one web worker and no Redis, in threads inside ``officium serve``).  Once a minute its scheduler fires
the ``officium.dispatch`` task, which queues one ``officium.run_job`` task per due job.

Whatever calls a job, :func:`run_job` decides: it takes the job's lock (a ``core_job_lock`` row with an
expiry, or Redis ``SET NX PX`` on Redis), checks again under the lock that the job is still due (another
process may have just run it), records the run in ``core_job_run`` and releases the lock.  So a job runs at
most once per due time however many consumers and web workers there are.  Tests call
:func:`run_due_jobs` with the FakeClock's time instead of running a consumer.
"""

from __future__ import annotations

import hashlib
import logging
import os
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from peewee import BooleanField, CharField, DateTimeField, IntegrityError, TextField

from officium.core.db import BaseModel, connection_lost, discard_connection, write_transaction
from officium.core.errors import StartupError
from officium.core.registry import Job

if TYPE_CHECKING:
    from huey import Huey
    from huey.consumer import Consumer

    from officium.core.app import OfficiumApp

log = logging.getLogger("officium.jobs")

#: A cron job whose minute passed while no consumer ran is still started this many minutes late.
CRON_CATCH_UP_MINUTES = 10
#: Run records older than this are deleted (the last run of each job is always kept).
KEEP_RUNS_DAYS = 7
#: Set by ``officium serve`` for its single worker: run the job consumer in threads of that process.
EMBEDDED_ENV = "OFFICIUM_EMBEDDED_JOBS"


# -------------------------------------------------------------------------------------------- tables


class JobLock(BaseModel):
    """A job being run right now, by ``owner``, until ``expires_at`` at the latest."""

    name = CharField(max_length=128, primary_key=True)
    owner = CharField(max_length=128)
    expires_at = DateTimeField()

    class Meta:
        table_name = "core_job_lock"


class JobRun(BaseModel):
    """One run of a periodic job: when, whether it worked, and what it said."""

    name = CharField(max_length=128)
    started_at = DateTimeField()
    finished_at = DateTimeField(null=True)
    ok = BooleanField(null=True)
    message = TextField(default="")

    class Meta:
        table_name = "core_job_run"
        indexes = ((("name", "started_at"), False),)


MODELS = [JobLock, JobRun]


# ------------------------------------------------------------------------------------ declarations


@lru_cache(maxsize=256)
def cron_matcher(expr: str) -> Any:
    """A function telling whether a datetime's minute matches the five-field cron ``expr``."""
    from huey import crontab

    fields = expr.split()
    if len(fields) != 5:
        raise ValueError(f"cron 表达式 {expr!r} 应有 5 段：分 时 日 月 周。")
    minute, hour, day, month, weekday = fields
    return crontab(minute, hour, day, month, weekday, strict=True)


def describe_schedule(job: Job) -> str:
    """The schedule in Chinese for the jobs page."""
    if job.every_minutes:
        minutes = job.every_minutes
        if minutes % 1440 == 0:
            return f"每 {minutes // 1440} 天"
        if minutes % 60 == 0:
            return f"每 {minutes // 60} 小时"
        return f"每 {minutes} 分钟"
    return f"cron：{job.cron}"


def collect_jobs(app: OfficiumApp) -> None:
    """Fill ``app.registry.jobs`` from ``register_jobs``; refuse bad names, schedules and duplicates."""
    from officium.core.registry_collect import _expect, per_plugin

    owner: dict[str, str] = {}
    for plugin, declared in per_plugin(app, "register_jobs", app=app):
        for job in declared:
            _expect(plugin, "register_jobs", job, Job)
            if not job.name.startswith(f"{plugin}."):
                raise StartupError(f"插件 {plugin} 的后台任务 {job.name} 必须以 {plugin}. 开头。")
            if job.name in owner:
                raise StartupError(
                    f"后台任务 {job.name} 重复注册：插件 {owner[job.name]} 和 {plugin} 都声明了它。"
                )
            if not callable(job.func):
                raise StartupError(f"插件 {plugin} 的后台任务 {job.name} 的 func 不是函数。")
            if bool(job.every_minutes) == bool(job.cron):
                raise StartupError(
                    f"插件 {plugin} 的后台任务 {job.name} 应当只给出 every_minutes 或 cron 中的一个。"
                )
            if job.every_minutes is not None and (
                not isinstance(job.every_minutes, int)
                or isinstance(job.every_minutes, bool)
                or job.every_minutes < 1
            ):
                raise StartupError(f"插件 {plugin} 的后台任务 {job.name} 的 every_minutes 应为正整数。")
            if job.cron:
                try:
                    cron_matcher(job.cron)
                except ValueError as exc:
                    raise StartupError(f"插件 {plugin} 的后台任务 {job.name} 的 cron 不合法：{exc}") from exc
            if job.timeout_minutes < 1:
                raise StartupError(f"插件 {plugin} 的后台任务 {job.name} 的 timeout_minutes 应为正整数。")
            owner[job.name] = plugin
            app.registry.jobs[job.name] = job


# ---------------------------------------------------------------------------------------- due times


def _minute(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


def is_due(job: Job, last_started: datetime | None, now: datetime) -> bool:
    """Whether ``job`` should run at ``now``, given when its last run started (None: never).

    Times are compared by the minute, because the dispatcher fires once a minute, never exactly on the
    second.  A cron job whose minute was missed (no consumer running) still starts up to
    ``CRON_CATCH_UP_MINUTES`` late; after that it waits for its next time, as cron does.
    """
    current = _minute(now)
    last = _minute(last_started) if last_started is not None else None
    if job.every_minutes:
        return last is None or current >= last + timedelta(minutes=job.every_minutes)
    matches = cron_matcher(job.cron)
    for back in range(CRON_CATCH_UP_MINUTES + 1):
        moment = current - timedelta(minutes=back)
        if last is not None and moment <= last:
            return False
        if matches(moment):
            return True
    return False


def last_run(name: str) -> JobRun | None:
    """The latest run of job ``name``."""
    return (
        JobRun.select()
        .where(JobRun.name == name)
        .order_by(JobRun.started_at.desc(), JobRun.id.desc())
        .first()
    )


# --------------------------------------------------------------------------------------------- locks


class DatabaseLocks:
    """Locks as ``core_job_lock`` rows: insert to take, delete to release; an expired row may be taken over."""

    def __init__(self, app: OfficiumApp) -> None:
        self.app = app

    def acquire(self, name: str, owner: str, now: datetime, ttl: timedelta) -> bool:
        with write_transaction(self.app.db):
            taken_over = (
                JobLock.update(owner=owner, expires_at=now + ttl)
                .where((JobLock.name == name) & (JobLock.expires_at < now))
                .execute()
            )
            if taken_over:
                log.warning("job %s: the previous run's lock had expired; taking it over", name)
                return True
            try:
                with self.app.db.atomic():
                    JobLock.insert(name=name, owner=owner, expires_at=now + ttl).execute()
            except IntegrityError:
                return False
            return True

    def release(self, name: str, owner: str) -> None:
        with write_transaction(self.app.db):
            JobLock.delete().where((JobLock.name == name) & (JobLock.owner == owner)).execute()


_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end"


class RedisLocks:
    """Locks as Redis keys: ``SET key owner NX PX ttl`` to take, compare-and-delete to release."""

    def __init__(self, client: Any, prefix: str) -> None:
        self.client = client
        self.prefix = prefix

    def acquire(self, name: str, owner: str, now: datetime, ttl: timedelta) -> bool:
        key = f"{self.prefix}:lock:{name}"
        return bool(self.client.set(key, owner, nx=True, px=int(ttl.total_seconds() * 1000)))

    def release(self, name: str, owner: str) -> None:
        self.client.eval(_RELEASE, 1, f"{self.prefix}:lock:{name}", owner)


def queue_name(app: OfficiumApp) -> str:
    """The site's queue (and Redis key prefix): the same for every process of a site, whatever its folder.

    It comes from the site's ``secret``, which every node must share anyway (it keys the TOTP secrets),
    not from ``database_url``: nodes may reach the same database under different host names, and two
    names would mean two queues and two sets of locks, so a job could run once per name.
    """
    digest = hashlib.sha256(b"officium-queue:" + app.config.secret.encode()).hexdigest()[:12]
    return f"officium-{digest}"


def locks_for(app: OfficiumApp) -> DatabaseLocks | RedisLocks:
    """Redis locks when the site's queue is on Redis, else database rows (kept for the app's life)."""
    cached = getattr(app, "_job_locks", None)
    if cached is None:
        if app.config.jobs.redis_url:
            import redis

            cached = RedisLocks(redis.Redis.from_url(app.config.jobs.redis_url), queue_name(app))
        else:
            cached = DatabaseLocks(app)
        app._job_locks = cached  # type: ignore[attr-defined]
    return cached


# ---------------------------------------------------------------------------------------------- runs


@dataclass(frozen=True)
class Outcome:
    """What one run did."""

    name: str
    ok: bool
    message: str


def _owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def run_job(
    app: OfficiumApp, job: Job, now: datetime | None = None, *, force: bool = False
) -> Outcome | None:
    """Run ``job`` if it is due at ``now`` (or at once with ``force``), under its lock; None if skipped.

    Must not be called inside a transaction: the lock and the run record are committed on their own so
    that other processes see them while the job runs.
    """
    if app.db.in_transaction():
        raise RuntimeError("run_job must not be called inside a transaction")
    now = now or app.clock()
    locks = locks_for(app)
    owner = _owner()
    if not locks.acquire(job.name, owner, now, timedelta(minutes=job.timeout_minutes)):
        log.info("job %s is running elsewhere; skipped", job.name)
        return None
    try:
        previous = last_run(job.name)
        if not force and not is_due(job, previous.started_at if previous else None, now):
            return None  # another process ran it between our look and our lock
        with write_transaction(app.db):
            run = JobRun.create(name=job.name, started_at=now)
        try:
            result = job.func(app)
            ok, message = True, "" if result is None else str(result)
        except Exception as exc:
            log.exception("job %s failed", job.name)
            ok, message = False, f"{type(exc).__name__}: {exc}"
        with write_transaction(app.db):
            JobRun.update(finished_at=app.clock(), ok=ok, message=message[:2000]).where(
                JobRun.id == run.id
            ).execute()
            JobRun.delete().where(
                (JobRun.name == job.name)
                & (JobRun.started_at < now - timedelta(days=KEEP_RUNS_DAYS))
                & (JobRun.id != run.id)
            ).execute()
        return Outcome(job.name, ok, message)
    finally:
        locks.release(job.name, owner)


def due_jobs(app: OfficiumApp, now: datetime) -> list[Job]:
    """The registered jobs due at ``now``, by name (a first look, without locks)."""
    due = []
    for name in sorted(app.registry.jobs):
        job = app.registry.jobs[name]
        previous = last_run(name)
        if is_due(job, previous.started_at if previous else None, now):
            due.append(job)
    return due


def run_due_jobs(app: OfficiumApp, now: datetime | None = None) -> list[Outcome]:
    """Run every job due at ``now`` (default: the app's clock), one after another; return what ran."""
    now = now or app.clock()
    outcomes = []
    for job in due_jobs(app, now):
        outcome = run_job(app, job, now)
        if outcome is not None:
            outcomes.append(outcome)
    return outcomes


# --------------------------------------------------------------------------------------------- huey


def build_queue(app: OfficiumApp, *, immediate: bool = False) -> Huey:
    """The site's huey instance with its two tasks; ``immediate`` runs tasks at once (tests).

    ``officium.dispatch`` (periodic, every minute) queues ``officium.run_job`` for each due job, so that
    the consumer's worker threads run different jobs side by side.
    """
    from huey import RedisHuey, SqliteHuey, crontab

    name = queue_name(app)
    if app.config.jobs.redis_url:
        huey: Huey = RedisHuey(
            name, url=app.config.jobs.redis_url, immediate=immediate, utc=False, results=False
        )
    else:
        app.config.data_dir.mkdir(parents=True, exist_ok=True)
        huey = SqliteHuey(
            name, filename=str(app.config.data_dir / "jobs.db"), immediate=immediate, utc=False, results=False
        )

    @huey.task(name="officium.run_job")
    def run_one(job_name: str) -> None:
        job = app.registry.jobs.get(job_name)
        if job is None:
            log.warning("queued job %s is not registered (plugin disabled?)", job_name)
            return
        with _dropping_lost_connection(app):
            run_job(app, job)

    @huey.periodic_task(crontab(minute="*"), name="officium.dispatch")
    def dispatch() -> None:
        with _dropping_lost_connection(app):
            due = due_jobs(app, app.clock())
        for job in due:
            run_one(job.name)

    huey.officium_tasks = {"run_job": run_one, "dispatch": dispatch}  # type: ignore[attr-defined]
    return huey


@contextmanager
def _dropping_lost_connection(app: OfficiumApp) -> Iterator[None]:
    """A task that failed because its thread's PostgreSQL connection is gone drops that connection, so the
    thread's next task opens a new one instead of failing on the dead one until the worker restarts."""
    try:
        yield
    except Exception as exc:
        if connection_lost(app.db, exc):
            discard_connection(app.db)
        raise


def describe_backend(app: OfficiumApp) -> str:
    """Where the queue lives, for people."""
    if app.config.jobs.redis_url:
        return f"Redis（{app.config.jobs.redis_url.split('@')[-1]}）"
    return f"SQLite（{app.config.data_dir / 'jobs.db'}）"


def make_consumer(app: OfficiumApp, workers: int | None = None, *, embedded: bool = False) -> Consumer:
    """A huey consumer for the site; ``embedded`` leaves the process's signals to uvicorn."""
    from huey.consumer import Consumer

    class EmbeddedConsumer(Consumer):
        def _set_signal_handlers(self) -> None:  # uvicorn owns SIGINT/SIGTERM of a web process
            pass

    cls = EmbeddedConsumer if embedded else Consumer
    return cls(
        build_queue(app),
        workers=workers or app.config.jobs.workers,
        worker_type="thread",
        periodic=True,
        check_worker_health=not embedded,
        shutdown_timeout=10 if embedded else None,
    )


def serve_plan(config: Any, workers: int) -> tuple[bool, str]:
    """Whether ``officium serve`` with ``workers`` web workers runs the job consumer itself, and what to say.

    Only the embedded default (one web worker, queue in SQLite) does; otherwise a separate
    ``officium worker`` must run, or jobs would run in every worker's scheduler for nothing.
    """
    if config.jobs.redis_url:
        return False, "后台任务队列在 Redis 上：请另外运行 `officium worker`（可在一台或多台机器上运行）。"
    if workers > 1:
        return (
            False,
            f"有 {workers} 个 Web 工作进程，后台任务不在 Web 进程内运行：请另外运行 `officium worker`。",
        )
    return True, "后台任务（定期任务、邮件发送）在本 Web 进程内运行。"


def embedded_wanted() -> bool:
    """Whether this web process was told (by ``officium serve``) to run the job consumer itself."""
    return os.environ.get(EMBEDDED_ENV) == "1"


def start_embedded(app: OfficiumApp) -> None:
    """Start the consumer in threads of this web process (the embedded default); see ``stop_embedded``."""
    consumer = make_consumer(app, embedded=True)
    consumer.start()
    app._job_consumer = consumer  # type: ignore[attr-defined]
    log.info("job consumer running inside the web process (%s)", describe_backend(app))


def stop_embedded(app: OfficiumApp) -> None:
    """Stop the embedded consumer, letting a running job finish (10 s at most)."""
    consumer = getattr(app, "_job_consumer", None)
    if consumer is not None:
        consumer.stop(graceful=True)
        app._job_consumer = None  # type: ignore[attr-defined]
