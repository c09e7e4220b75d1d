# 婚假/丧假: 路程假 is now asked for on the request form; update the default notes (HR's own edits are kept).
from peewee import *

OLD_MARRIAGE = "本人结婚1-3天，另可按路途远近给予路程假（由人事处调整额度）。各省另有规定的从其规定。"
NEW_MARRIAGE = (
    "本人结婚1-3天，在外地结婚的另按路途远近给予路程假（请假时填写，人事处审核）。各省另有规定的从其规定。"
)
OLD_BEREAVEMENT = "直系亲属（父母、配偶、子女）死亡1-3天，另可给予路程假。"
NEW_BEREAVEMENT = (
    "直系亲属（父母、配偶、子女）死亡1-3天，在外地料理丧事的另给路程假（请假时填写，人事处审核）。"
)


def _set_note(db, code, old, new):
    db.execute_sql(
        "UPDATE leave_type SET note = %s WHERE code = %s AND note = %s".replace("%s", db.param),
        (new, code, old),
    )


def up(migrator, db):
    _set_note(db, "marriage", OLD_MARRIAGE, NEW_MARRIAGE)
    _set_note(db, "bereavement", OLD_BEREAVEMENT, NEW_BEREAVEMENT)


def down(migrator, db):
    _set_note(db, "marriage", NEW_MARRIAGE, OLD_MARRIAGE)
    _set_note(db, "bereavement", NEW_BEREAVEMENT, OLD_BEREAVEMENT)
