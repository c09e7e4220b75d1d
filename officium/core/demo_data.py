"""Demo organisation used by ``officium demo`` to seed a demonstration site.

The bureau described here is fictitious: 江南出入境检验检疫局 with its
departments (处室), branch bureaus (分支局) and a few sections (科), plus about
sixty staff accounts spread over them.  The data is deliberately shaped like a
real bureau's so that workflows which route by role — 分管领导 sign-off,
the clerk who registers incoming documents, a 处长's approval — have somebody
to land on in every unit.

This module holds data only.  It imports nothing from the rest of Officium so
that it can be read, tested and changed without a database or an app
registry; the seeding code translates these records into real rows.
"""

# No ``from __future__ import annotations``: with string annotations,
# ``dataclasses`` looks the defining module up in ``sys.modules``, which fails
# when this file is loaded straight from its path (as the demo tooling and
# its smoke test do).  Python 3.11 evaluates ``str | None`` natively anyway.
from dataclasses import dataclass

#: Unit kinds, in the order they nest: a bureau holds departments and branches,
#: which in turn may hold sections.
UNIT_KINDS: tuple[str, ...] = ("bureau", "department", "branch", "section")

#: The only role names the demo may use.  They mirror the role names the
#: framework understands, so a typo here would silently give a user no powers.
ROLE_NAMES: frozenset[str] = frozenset({"leader", "deputy_leader", "supervising_leader", "clerk", "staff"})

#: Which kinds may sit directly under which; used by :func:`check`.
_ALLOWED_PARENT_KINDS: dict[str, frozenset[str]] = {
    "bureau": frozenset(),
    "department": frozenset({"bureau"}),
    "branch": frozenset({"bureau"}),
    "section": frozenset({"department", "branch"}),
}


@dataclass(frozen=True)
class DemoUnit:
    """One organisational unit of the demo bureau.

    ``code`` is a short upper-case ASCII key that users and roles refer to;
    ``parent`` is the code of the enclosing unit (``None`` only for the
    bureau itself); ``kind`` is one of :data:`UNIT_KINDS`; ``order`` sorts a
    unit among its siblings the way the bureau's own 通讯录 would list them.
    """

    code: str
    name: str
    parent: str | None
    kind: str
    order: int


@dataclass(frozen=True)
class DemoUser:
    """One demo account.

    ``username`` is lower-case pinyin, with a digit appended when two people
    share the same pinyin; ``unit`` is the code of the unit the person
    belongs to; ``position`` is the Chinese job title shown in the UI.
    ``roles`` holds ``(role_name, unit_code)`` pairs: a role is always held
    *in* a unit, which is how one 副局长 can be 分管领导 of several units.
    """

    username: str
    name: str
    unit: str
    position: str
    roles: tuple[tuple[str, str], ...] = ()


# Parents always precede their children so that the seeder can create units
# in a single pass without forward references.
DEMO_UNITS: tuple[DemoUnit, ...] = (
    DemoUnit("JYJ", "江南出入境检验检疫局", None, "bureau", 1),
    # 局领导 is modelled as a department so that the leadership group has a
    # home unit (and a clerk who handles the leaders' paperwork).
    DemoUnit("LD", "局领导", "JYJ", "department", 1),
    DemoUnit("BGS", "办公室", "JYJ", "department", 2),
    DemoUnit("RSC", "人事处", "JYJ", "department", 3),
    DemoUnit("CWC", "财务处", "JYJ", "department", 4),
    DemoUnit("FGC", "法规处", "JYJ", "department", 5),
    DemoUnit("WSC", "卫生检疫处", "JYJ", "department", 6),
    DemoUnit("DZC", "动植物检疫处", "JYJ", "department", 7),
    DemoUnit("JGC", "检验监管处", "JYJ", "department", 8),
    DemoUnit("TGC", "通关业务处", "JYJ", "department", 9),
    DemoUnit("XXH", "信息化处", "JYJ", "department", 10),
    DemoUnit("JCS", "监察室", "JYJ", "department", 11),
    DemoUnit("JGDW", "机关党委", "JYJ", "department", 12),
    # Branches are listed after the 机关 departments, as in the bureau's
    # own directory.
    DemoUnit("GQ", "港区分局", "JYJ", "branch", 13),
    DemoUnit("JC", "机场分局", "JYJ", "branch", 14),
    DemoUnit("KFQ", "开发区分局", "JYJ", "branch", 15),
    DemoUnit("DC", "东城分局", "JYJ", "branch", 16),
    # A handful of sections gives the demo a third level, so that nested
    # unit trees and section-level leaders get exercised.
    DemoUnit("BGS-MS", "秘书科", "BGS", "section", 1),
    DemoUnit("BGS-WS", "文书科", "BGS", "section", 2),
    DemoUnit("XXH-WL", "网络科", "XXH", "section", 1),
    DemoUnit("GQ-ZH", "综合科", "GQ", "section", 1),
)


DEMO_USERS: tuple[DemoUser, ...] = (
    # 局领导.  The 副局长 are also deputy leaders of the bureau as a whole;
    # their 分管 assignments together cover every department and branch, so
    # any document that needs a 分管领导's sign-off can find one.
    DemoUser("wangjianguo", "王建国", "LD", "局长", (("leader", "JYJ"),)),
    DemoUser(
        "liming",
        "李明",
        "LD",
        "副局长",
        (
            ("deputy_leader", "JYJ"),
            ("supervising_leader", "BGS"),
            ("supervising_leader", "RSC"),
            ("supervising_leader", "JCS"),
            ("supervising_leader", "JGDW"),
        ),
    ),
    DemoUser(
        "zhaohongmei",
        "赵红梅",
        "LD",
        "副局长",
        (
            ("deputy_leader", "JYJ"),
            ("supervising_leader", "WSC"),
            ("supervising_leader", "DZC"),
            ("supervising_leader", "GQ"),
            ("supervising_leader", "JC"),
        ),
    ),
    DemoUser(
        "chenzhiqiang",
        "陈志强",
        "LD",
        "副局长",
        (
            ("deputy_leader", "JYJ"),
            ("supervising_leader", "JGC"),
            ("supervising_leader", "TGC"),
            ("supervising_leader", "KFQ"),
        ),
    ),
    DemoUser(
        "sunlihua",
        "孙丽华",
        "LD",
        "副局长",
        (
            ("deputy_leader", "JYJ"),
            ("supervising_leader", "XXH"),
            ("supervising_leader", "CWC"),
            ("supervising_leader", "FGC"),
            ("supervising_leader", "DC"),
        ),
    ),
    DemoUser("zhoujing", "周静", "LD", "综合人员", (("clerk", "LD"),)),
    # 办公室: its staff sit in the two sections rather than directly in the
    # department, which is the usual arrangement for a 局办公室.
    DemoUser("liuyang", "刘洋", "BGS", "主任", (("leader", "BGS"),)),
    DemoUser("huangmin", "黄敏", "BGS", "副主任", (("deputy_leader", "BGS"),)),
    DemoUser("wufang", "吴芳", "BGS", "综合人员", (("clerk", "BGS"),)),
    DemoUser("xugang", "徐刚", "BGS-MS", "科长", (("leader", "BGS-MS"),)),
    DemoUser("hujing", "胡晶", "BGS-MS", "科员", (("staff", "BGS-MS"),)),
    DemoUser("zhuxiaoyan", "朱晓燕", "BGS-WS", "科长", (("leader", "BGS-WS"),)),
    DemoUser("guoqiang", "郭强", "BGS-WS", "科员", (("staff", "BGS-WS"),)),
    # 人事处: linna is the HR officer who maintains personnel records in the demo.
    DemoUser("heping", "何平", "RSC", "处长", (("leader", "RSC"),)),
    DemoUser("maliang", "马亮", "RSC", "副处长", (("deputy_leader", "RSC"),)),
    DemoUser("luoxia", "罗霞", "RSC", "综合人员", (("clerk", "RSC"),)),
    DemoUser("linna", "林娜", "RSC", "主任科员", (("staff", "RSC"),)),
    DemoUser("gaojun", "高军", "RSC", "科员", (("staff", "RSC"),)),
    # 财务处
    DemoUser("zhengwei", "郑伟", "CWC", "处长", (("leader", "CWC"),)),
    DemoUser("liangyan", "梁艳", "CWC", "综合人员", (("clerk", "CWC"),)),
    DemoUser("xieli", "谢丽", "CWC", "主任科员", (("staff", "CWC"),)),
    # 法规处
    DemoUser("tangjun", "唐军", "FGC", "处长", (("leader", "FGC"),)),
    DemoUser("fengli", "冯莉", "FGC", "综合人员", (("clerk", "FGC"),)),
    DemoUser("dengchao", "邓超", "FGC", "科员", (("staff", "FGC"),)),
    # 卫生检疫处
    DemoUser("caoyong", "曹勇", "WSC", "处长", (("leader", "WSC"),)),
    DemoUser("pengbo", "彭博", "WSC", "副处长", (("deputy_leader", "WSC"),)),
    DemoUser("zengqin", "曾琴", "WSC", "综合人员", (("clerk", "WSC"),)),
    DemoUser("xiaolei", "肖磊", "WSC", "主任科员", (("staff", "WSC"),)),
    # 动植物检疫处
    DemoUser("dongjianhua", "董建华", "DZC", "处长", (("leader", "DZC"),)),
    DemoUser("yuanhui", "袁慧", "DZC", "综合人员", (("clerk", "DZC"),)),
    DemoUser("panwen", "潘文", "DZC", "主任科员", (("staff", "DZC"),)),
    # 检验监管处
    DemoUser("jiangbin", "蒋斌", "JGC", "处长", (("leader", "JGC"),)),
    DemoUser("caili", "蔡丽", "JGC", "副处长", (("deputy_leader", "JGC"),)),
    DemoUser("yuting", "余婷", "JGC", "综合人员", (("clerk", "JGC"),)),
    DemoUser("lvwei", "吕伟", "JGC", "科员", (("staff", "JGC"),)),
    # 通关业务处
    DemoUser("shenhao", "沈浩", "TGC", "处长", (("leader", "TGC"),)),
    DemoUser("yaoqian", "姚倩", "TGC", "综合人员", (("clerk", "TGC"),)),
    DemoUser("lujian", "卢剑", "TGC", "主任科员", (("staff", "TGC"),)),
    # 信息化处: qiufeng and xiongkai are the natural picks for the demo's
    # system-administrator accounts, since an OA system is run by this office.
    DemoUser("fanzhiyong", "范志勇", "XXH", "处长", (("leader", "XXH"),)),
    DemoUser("fangqing", "方晴", "XXH", "副处长", (("deputy_leader", "XXH"),)),
    DemoUser("shiyan", "石燕", "XXH", "综合人员", (("clerk", "XXH"),)),
    DemoUser("qiufeng", "邱峰", "XXH", "主任科员", (("staff", "XXH"),)),
    DemoUser("xiongkai", "熊凯", "XXH", "科员", (("staff", "XXH"),)),
    DemoUser("jinlong", "金龙", "XXH-WL", "科长", (("leader", "XXH-WL"),)),
    # 黎明 and 李明 share the pinyin "liming", hence the digit.
    DemoUser("liming2", "黎明", "XXH-WL", "科员", (("staff", "XXH-WL"),)),
    # 监察室
    DemoUser("xuemei", "薛梅", "JCS", "主任", (("leader", "JCS"),)),
    DemoUser("leihua", "雷华", "JCS", "综合人员", (("clerk", "JCS"),)),
    DemoUser("haowen", "郝文", "JCS", "科员", (("staff", "JCS"),)),
    # 机关党委: the 书记 is normally a 局领导, so the full-time 副书记 runs
    # the office day to day and is its leader for routing purposes.
    DemoUser("kongxiangdong", "孔祥东", "JGDW", "专职副书记", (("leader", "JGDW"),)),
    DemoUser("baiyun", "白云", "JGDW", "综合人员", (("clerk", "JGDW"),)),
    DemoUser("cuiying", "崔颖", "JGDW", "科员", (("staff", "JGDW"),)),
    # 港区分局
    DemoUser("zhangwei", "张伟", "GQ", "分局局长", (("leader", "GQ"),)),
    DemoUser("wangfang", "王芳", "GQ", "分局副局长", (("deputy_leader", "GQ"),)),
    DemoUser("liuna", "刘娜", "GQ", "综合人员", (("clerk", "GQ"),)),
    DemoUser("chenjie", "陈杰", "GQ-ZH", "科长", (("leader", "GQ-ZH"),)),
    # 张玮 and 张伟 share the pinyin "zhangwei".
    DemoUser("zhangwei2", "张玮", "GQ-ZH", "科员", (("staff", "GQ-ZH"),)),
    DemoUser("yangfan", "杨帆", "GQ", "主任科员", (("staff", "GQ"),)),
    # 机场分局
    DemoUser("huangtao", "黄涛", "JC", "分局局长", (("leader", "JC"),)),
    DemoUser("zhoumin", "周敏", "JC", "综合人员", (("clerk", "JC"),)),
    DemoUser("wuhao", "吴昊", "JC", "科员", (("staff", "JC"),)),
    # 开发区分局
    DemoUser("sunjie", "孙杰", "KFQ", "分局局长", (("leader", "KFQ"),)),
    DemoUser("mahui", "马慧", "KFQ", "分局副局长", (("deputy_leader", "KFQ"),)),
    DemoUser("zhuli", "朱丽", "KFQ", "综合人员", (("clerk", "KFQ"),)),
    DemoUser("huyong", "胡勇", "KFQ", "科员", (("staff", "KFQ"),)),
    # 东城分局
    DemoUser("linfeng", "林峰", "DC", "分局局长", (("leader", "DC"),)),
    DemoUser("heqin", "何琴", "DC", "综合人员", (("clerk", "DC"),)),
    DemoUser("guojing", "郭静", "DC", "主任科员", (("staff", "DC"),)),
)


def check() -> list[str]:
    """Return the consistency problems in :data:`DEMO_UNITS` and :data:`DEMO_USERS`.

    An empty list means the data is sound.  Checked: empty fields, duplicate
    unit codes and usernames, unknown unit kinds and role names, usernames
    that are not lower-case ASCII, parents that are unknown, not defined
    earlier in :data:`DEMO_UNITS` or of the wrong kind, references to unknown
    units, and departments or branches that do not have exactly one clerk.
    The seeder calls this before writing anything, so a broken edit fails
    loudly instead of producing a half-seeded site.
    """
    problems: list[str] = []

    kinds: dict[str, str] = {}
    for unit in DEMO_UNITS:
        if not unit.code or not unit.name or not unit.kind:
            problems.append(f"unit {unit!r}: empty field")
        if unit.code in kinds:
            problems.append(f"unit {unit.code}: duplicate code")
        if unit.kind not in UNIT_KINDS:
            problems.append(f"unit {unit.code}: unknown kind {unit.kind!r}")
        if unit.parent is None:
            if unit.kind != "bureau":
                problems.append(f"unit {unit.code}: only the bureau may have no parent")
        elif unit.parent not in kinds:
            # ``kinds`` only holds units seen so far, so this also catches a
            # parent that exists but is listed after its child.
            problems.append(f"unit {unit.code}: parent {unit.parent!r} not defined before it")
        elif kinds[unit.parent] not in _ALLOWED_PARENT_KINDS.get(unit.kind, frozenset()):
            problems.append(f"unit {unit.code}: a {unit.kind} cannot sit under a {kinds[unit.parent]}")
        kinds.setdefault(unit.code, unit.kind)

    if sum(1 for unit in DEMO_UNITS if unit.kind == "bureau") != 1:
        problems.append("there must be exactly one bureau")

    usernames: set[str] = set()
    clerks: dict[str, int] = {}
    for user in DEMO_USERS:
        if not user.username or not user.name or not user.unit or not user.position:
            problems.append(f"user {user.username!r}: empty field")
        if user.username in usernames:
            problems.append(f"user {user.username}: duplicate username")
        usernames.add(user.username)
        # Usernames double as login names, so keep them to what any keyboard
        # and any LDAP import can produce.
        if not (user.username.isascii() and user.username.isalnum() and user.username.islower()):
            problems.append(f"user {user.username!r}: username must be lower-case ASCII letters and digits")
        if user.unit not in kinds:
            problems.append(f"user {user.username}: unknown unit {user.unit!r}")
        for role, unit_code in user.roles:
            if role not in ROLE_NAMES:
                problems.append(f"user {user.username}: unknown role {role!r}")
            if unit_code not in kinds:
                problems.append(f"user {user.username}: role {role!r} in unknown unit {unit_code!r}")
            if role == "clerk":
                clerks[unit_code] = clerks.get(unit_code, 0) + 1

    # Incoming documents are routed to a unit's clerk; none means they would
    # stall, two means the routing would be ambiguous.
    for unit in DEMO_UNITS:
        if unit.kind in ("department", "branch") and clerks.get(unit.code, 0) != 1:
            problems.append(f"unit {unit.code}: has {clerks.get(unit.code, 0)} clerks, expected exactly one")

    return problems
