"""The seals plugin's tables.  After changing them, write a migration:
``officium db generate --plugin seals 名称``, review the file, then ``officium db upgrade``."""

from peewee import BlobField, CharField, DateField, DateTimeField, ForeignKeyField, IntegerField, TextField

from officium.core.db import BaseModel
from officium.core.identity.models import Unit, User

#: Seal kinds (印章类型).
KINDS = ("公章", "部门章", "合同专用章", "财务专用章", "业务专用章")

#: States of a 用印申请.
STATES = {
    "pending": "待审批",
    "approved": "已批准待用印",
    "rejected": "已驳回",
    "used": "已用印",
    "cancelled": "已撤销",
}


class MakerKey(BaseModel):
    """The site's 制章者 key: it signs every seal's ``sealInfo`` (GB/T 38540 ``SES_Seal.signedValue``)."""

    algorithm = CharField(max_length=32)
    key_id = CharField(max_length=64, unique=True)
    public_key = TextField()  # base64 of the raw public key
    private_key = TextField()  # encrypted with a key derived from the site secret (see crypto.py)
    created_at = DateTimeField()

    class Meta:
        table_name = "seals_maker_key"


class Seal(BaseModel):
    """One electronic seal of a unit, kept by one custodian (保管人)."""

    unit = ForeignKeyField(Unit, backref="+", on_delete="RESTRICT")
    name = CharField(max_length=100)
    kind = CharField(max_length=32)
    custodian = ForeignKeyField(User, backref="+", on_delete="RESTRICT")
    valid_from = DateField()
    valid_until = DateField()
    #: An uploaded PNG; None means the generated red round seal is used.
    image = BlobField(null=True)
    es_id = CharField(max_length=64, unique=True)  # the seal's identifier in its records (esID)
    algorithm = CharField(max_length=32)
    key_id = CharField(max_length=64)
    public_key = TextField()
    private_key = TextField()  # encrypted with a key derived from the site secret
    #: The signed SES_Seal record (JSON), issued again whenever the seal's data change.
    record = TextField(default="")
    created_by = ForeignKeyField(User, backref="+", on_delete="RESTRICT")
    created_at = DateTimeField()
    revoked_at = DateTimeField(null=True)
    revoked_by = ForeignKeyField(User, null=True, backref="+", on_delete="RESTRICT")
    revoke_reason = TextField(default="")

    class Meta:
        table_name = "seals_seal"
        indexes = ((("unit", "name"), False),)


class UseRequest(BaseModel):
    """A 用印申请 for one version of one document; once used it is the 用印登记簿's entry."""

    seal = ForeignKeyField(Seal, backref="+", on_delete="RESTRICT")
    plugin = CharField(max_length=64)
    owner_type = CharField(max_length=64)
    owner_id = CharField(max_length=64)
    version = CharField(max_length=32, default="")
    sha256 = CharField(max_length=64)
    title = CharField(max_length=300, default="")
    file_name = CharField(max_length=255, default="")
    requester = ForeignKeyField(User, backref="+", on_delete="RESTRICT")
    reason = TextField(default="")
    copies = IntegerField(default=1)
    state = CharField(max_length=16, default="pending", index=True)
    created_at = DateTimeField(index=True)
    decided_by = ForeignKeyField(User, null=True, backref="+", on_delete="RESTRICT")
    decided_at = DateTimeField(null=True)
    decision_note = TextField(default="")
    used_by = ForeignKeyField(User, null=True, backref="+", on_delete="RESTRICT")
    used_at = DateTimeField(null=True)
    sealed_sha256 = CharField(max_length=64, default="")
    #: The signature record written into the sealed PDF (JSON).
    signature = TextField(default="")
    #: For requests made on the seals pages: the PDF to seal, then the sealed PDF.
    document = BlobField(null=True)
    sealed_document = BlobField(null=True)

    class Meta:
        table_name = "seals_use"
        indexes = ((("seal", "state"), False), (("plugin", "owner_type", "owner_id"), False))

    @property
    def state_title(self) -> str:
        return STATES.get(self.state, self.state)


MODELS = [MakerKey, Seal, UseRequest]
