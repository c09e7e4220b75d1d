"""Seeding the bench site: the demo bureau, then generated units and users up to the requested sizes.

The demo part goes through the service functions (``init_site``, ``seed_demo``: ``create_unit``,
``create_user``, ``grant_role``).  The generated part uses bulk inserts with one precomputed argon2 hash:
hashing 2,000 passwords one by one would take about a minute, and every generated user signs in with the
same password anyway.  Person-index rows (pinyin) are computed per user, as ``create_user`` would.
"""

from __future__ import annotations

import random
import sys
import time
from datetime import timedelta
from pathlib import Path

from officium.core.bootstrap import DEMO_PASSWORD, init_site, seed_demo
from officium.core.db import write_transaction
from officium.core.identity.models import RoleGrant, Unit, User
from officium.core.identity.passwords import hash_password
from officium.core.identity.people import PersonIndex, name_readings
from officium.core.identity.policy import expiry_after, load_policy
from officium.core.loader import installed_plugins

#: Every account (demo and generated) signs in with this password.
PASSWORD = DEMO_PASSWORD
#: The generated accounts are bench00001, bench00002, ...
PREFIX = "bench"
#: The account the page benchmarks sign in as (a demo 处长 with a unit and roles).
PAGE_USER = "heping"

_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国志文辉鹏飞宇浩然晨曦欣怡子涵梓轩思远嘉琪雨婷佳慧俊峰海燕晓东立新春梅金凤振华永红德胜"
_POSITIONS = ("科员", "科员", "科员", "主任科员", "副科长", "科长", "综合人员", "四级调研员")


def progress(label: str, done: int, total: int) -> None:
    """One self-overwriting progress line on stderr."""
    width = 30
    filled = width * done // max(total, 1)
    end = "\n" if done >= total else ""
    print(
        f"\r  {label:<8} [{'#' * filled}{'.' * (width - filled)}] {done:>6,}/{total:,}",
        end=end,
        file=sys.stderr,
        flush=True,
    )


def seed_site(
    site: Path,
    users: int,
    units: int,
    echo=print,
    database_url: str | None = None,
    plugins: list[str] | None = None,
) -> dict:
    """Create the site in ``site`` and fill it; return what was made and how long it took.

    The site runs on ``database_url`` when given (else SQLite in the site folder) with ``plugins`` enabled
    (else every installed first-party plugin).
    """
    t0 = time.perf_counter()
    first_party = (
        plugins
        if plugins is not None
        else [n for n, where in installed_plugins().items() if where.startswith("officium.plugins.")]
    )
    app, _ = init_site(
        site,
        **({"database_url": database_url} if database_url else {}),
        enabled_plugins=first_party,
        site_name="江南出入境检验检疫局办公自动化系统",
        admin_password=PASSWORD,
        extra_config="admin_mfa = false\n",
    )
    seed_demo(app)
    now = app.clock()
    rng = random.Random(2026)
    policy = load_policy()
    with write_transaction(app.db):
        parents = list(Unit.select().where(Unit.kind.in_(["department", "branch"])).order_by(Unit.id))
        existing_units = Unit.select().count()
        to_make = max(0, units - existing_units)
        for i in range(to_make):
            parent = parents[i % len(parents)]
            number = i // len(parents) + 1
            Unit.create(
                code=f"BENCH-{i + 1:04d}",
                name=f"{parent.name}第{number}科",
                kind="section",
                parent=parent,
                order=100 + number,
            )
            if (i + 1) % 20 == 0 or i + 1 == to_make:
                progress("units", i + 1, to_make)
    generated_units = list(Unit.select().where(Unit.code.startswith("BENCH-")).order_by(Unit.id))
    all_units = generated_units or list(Unit.select())
    password_hash = hash_password(PASSWORD)  # once, reused: see the module's docstring
    existing_users = User.select().count()
    to_make = max(0, users - existing_users)
    batch = 100
    made = 0
    while made < to_make:
        rows = []
        for i in range(made, min(made + batch, to_make)):
            name = rng.choice(_SURNAMES) + "".join(rng.choice(_GIVEN) for _ in range(rng.choice((1, 2))))
            rows.append(
                {
                    "username": f"{PREFIX}{i + 1:05d}",
                    "name": name,
                    "unit": all_units[i % len(all_units)].id,
                    "position": rng.choice(_POSITIONS),
                    "status": "active",
                    "password_hash": password_hash,
                    "password_changed_at": now,
                    "must_change_password": False,
                    "created_at": now - timedelta(days=rng.randrange(1, 2000)),
                    "password_expires_at": expiry_after(now, policy),
                }
            )
        with write_transaction(app.db):
            User.insert_many(rows).execute()
            fresh = list(
                User.select(User.id, User.name, User.unit).where(
                    User.username.in_([r["username"] for r in rows])
                )
            )
            index_rows = []
            for user in fresh:
                initials, full = name_readings(user.name)
                index_rows.append({"user": user.id, "initials": initials, "full_pinyin": full})
            PersonIndex.insert_many(index_rows).execute()
        made += len(rows)
        progress("users", made, to_make)
    # Every generated unit gets a leader and a clerk, as real units have.
    with write_transaction(app.db):
        grants = []
        for unit in generated_units:
            members = list(User.select(User.id).where(User.unit == unit).order_by(User.id).limit(2))
            for user, role in zip(members, ("leader", "clerk"), strict=False):
                grants.append({"user": user.id, "role": role, "unit": unit.id})
        if grants:
            RoleGrant.insert_many(grants).execute()
    summary = {
        "units": Unit.select().count(),
        "users": User.select().count(),
        "generated_users": User.select().where(User.username.startswith(PREFIX)).count(),
        "role_grants": RoleGrant.select().count(),
        "seconds": round(time.perf_counter() - t0, 1),
        "plugins": first_party,
    }
    app.db.close()
    echo(
        f"  seeded {summary['users']:,} users in {summary['units']} units "
        f"({summary['role_grants']} role grants) in {summary['seconds']} s"
    )
    return summary


def storm_usernames(count: int, offset: int, total_generated: int) -> list[str]:
    """``count`` distinct generated usernames starting after ``offset`` (wrapping if there are too few)."""
    if total_generated <= 0:
        raise SystemExit("no generated users to sign in: raise --users above the demo's size")
    return [f"{PREFIX}{(offset + i) % total_generated + 1:05d}" for i in range(count)]
