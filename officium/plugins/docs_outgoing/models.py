"""The tables of 局发文.  After changing them, write a migration:
``officium db generate --plugin docs_outgoing 名称``, review the file, then ``officium db upgrade``.

Signatures (签发) and body versions are append-only: the module never updates or deletes them.
"""

from peewee import (
    BooleanField,
    CharField,
    DateField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    TextField,
)

from officium.core.db import BaseModel
from officium.core.identity.models import Unit, User


class Prefix(BaseModel):
    """A 机关代字 configured by the office (e.g. ``X检发``); one 文号 sequence per 代字 per year."""

    code = CharField(max_length=32, unique=True)
    description = CharField(max_length=200, default="")
    #: The 行文方向 it is meant for ("" = any); 上行文 codes usually carry no 发.
    direction = CharField(max_length=8, default="")
    active = BooleanField(default=True)
    created_at = DateTimeField()

    class Meta:
        table_name = "docs_outgoing_prefix"


class Document(BaseModel):
    """One 局发文 with the 公文要素 as fields.  Its routing lives in the workflow engine
    (``docs_outgoing.issue``), referred to by (docs_outgoing, document, id)."""

    unit = ForeignKeyField(Unit, backref="+", on_delete="RESTRICT")
    drafter = ForeignKeyField(User, backref="+", on_delete="RESTRICT")
    created_at = DateTimeField(index=True)
    updated_at = DateTimeField()
    state = CharField(max_length=16, default="draft", index=True)
    doc_type = CharField(max_length=16)
    direction = CharField(max_length=8, default="down")
    copy_no = CharField(max_length=6, default="")
    urgency = CharField(max_length=16, default="normal")
    time_limit = DateField(null=True)
    issuer_mark = CharField(max_length=100, default="")
    prefix = CharField(max_length=32, default="")
    doc_number = CharField(max_length=64, default="", index=True)
    number_year = IntegerField(null=True)
    number_seq = IntegerField(null=True)
    signer_name = CharField(max_length=64, default="")
    title = CharField(max_length=300)
    main_to = TextField(default="")
    body = TextField(default="")
    attachment_note = TextField(default="")
    issuer_name = CharField(max_length=100, default="")
    written_date = DateField(null=True)
    remark = TextField(default="")
    cc = TextField(default="")
    printer = CharField(max_length=100, default="")
    print_date = DateField(null=True)
    #: 会签: comma-separated unit ids, and how (none / all / sequence).
    countersign_units = CharField(max_length=500, default="")
    countersign_mode = CharField(max_length=8, default="none")
    #: The signing leader the drafter asked for (None: the unit's 分管领导).
    signer = ForeignKeyField(User, null=True, backref="+", on_delete="RESTRICT")
    #: The current body version number, and the version the valid signature covers.
    version = IntegerField(default=0)
    signed_version = IntegerField(null=True)
    #: 用印: the seal asked for, the seals plugin's use request, and the hash of the PDF it covers.
    seal_id = IntegerField(null=True)
    use_request_id = IntegerField(null=True)
    pdf_sha256 = CharField(max_length=64, default="")
    sealed_at = DateTimeField(null=True)
    sealed_file_id = IntegerField(null=True)
    issued_at = DateTimeField(null=True)
    archived_at = DateTimeField(null=True)

    class Meta:
        table_name = "docs_outgoing_document"
        indexes = ((("unit", "created_at"), False), (("number_year", "prefix"), False))

    def countersign_unit_ids(self) -> list[int]:
        """The units asked to countersign, in the drafter's order."""
        return [int(x) for x in self.countersign_units.split(",") if x.strip().isdigit()]


class Version(BaseModel):
    """One saved version of a document (正文留痕): the body and the key fields, who, when and why."""

    document = ForeignKeyField(Document, backref="versions", on_delete="CASCADE")
    number = IntegerField()
    body = TextField(default="")
    #: The other fields at that moment, as JSON (for the diff).
    fields = TextField(default="{}")
    author = ForeignKeyField(User, backref="+", on_delete="RESTRICT")
    at = DateTimeField()
    reason = CharField(max_length=500, default="")

    class Meta:
        table_name = "docs_outgoing_version"
        indexes = ((("document", "number"), True),)


class Signature(BaseModel):
    """签发: opinion, name and full date, recorded once and never changed.  ``circled`` is 圈阅 (counts as
    agreement); ``on_behalf_of`` is set for a delegated signature (shown as 代)."""

    document = ForeignKeyField(Document, backref="signatures", on_delete="CASCADE")
    signer = ForeignKeyField(User, backref="+", on_delete="RESTRICT")
    on_behalf_of = ForeignKeyField(User, null=True, backref="+", on_delete="RESTRICT")
    signer_name = CharField(max_length=64)
    opinion = TextField(default="")
    circled = BooleanField(default=False)
    signed_at = DateTimeField()
    version = IntegerField()

    class Meta:
        table_name = "docs_outgoing_signature"


class Sequence(BaseModel):
    """The last 顺序号 given for one 代字 in one year."""

    prefix = CharField(max_length=32)
    year = IntegerField()
    last = IntegerField(default=0)

    class Meta:
        table_name = "docs_outgoing_sequence"
        indexes = ((("prefix", "year"), True),)


class Number(BaseModel):
    """Every 文号 ever given, used or voided: the numbers 1..last of a sequence all have a row (no gaps)."""

    prefix = CharField(max_length=32)
    year = IntegerField()
    seq = IntegerField()
    number = CharField(max_length=64, unique=True)
    document = ForeignKeyField(Document, null=True, backref="+", on_delete="SET NULL")
    assigned_by = ForeignKeyField(User, backref="+", on_delete="RESTRICT")
    assigned_at = DateTimeField()
    voided = BooleanField(default=False)
    void_reason = CharField(max_length=500, default="")
    voided_by = ForeignKeyField(User, null=True, backref="+", on_delete="RESTRICT")
    voided_at = DateTimeField(null=True)

    class Meta:
        table_name = "docs_outgoing_number"
        indexes = ((("prefix", "year", "seq"), True),)


class Distribution(BaseModel):
    """One 分发 of an issued document: to an internal unit (into its 收文) or an external recipient (a package)."""

    document = ForeignKeyField(Document, backref="distributions", on_delete="CASCADE")
    kind = CharField(max_length=8)  # internal / external
    unit = ForeignKeyField(Unit, null=True, backref="+", on_delete="RESTRICT")
    recipient = CharField(max_length=200, default="")
    incoming_ref = CharField(max_length=64, default="")
    package_sha256 = CharField(max_length=64, default="")
    by = ForeignKeyField(User, backref="+", on_delete="RESTRICT")
    at = DateTimeField()

    class Meta:
        table_name = "docs_outgoing_distribution"


MODELS = [Prefix, Document, Version, Signature, Sequence, Number, Distribution]
