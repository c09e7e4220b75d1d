"""Carrying a signature record inside a PDF, so that any change to the file is detected.

The sealed file is the original PDF, byte for byte, followed by one incremental update (ISO 32000 §7.5.6)
that adds a single object: an embedded-file stream holding the signed record (JSON), plus its cross
reference section and trailer.  Readers show the document as before.  The record signs the SHA-256 of the
original bytes ``[0, N)`` and states that range (``propertyInfo.range``).  Verification

1. finds the record (the last stream marked ``/Officium (seal-signature)``),
2. checks the record's signatures and the hash of bytes ``[0, N)``, and
3. writes the update again from the original bytes and the record and requires the result to equal the
   whole file, so that a changed byte after ``N`` (in the update itself) fails as well.

The update is written by this module, not by a PDF library, so its bytes never depend on a library's
version.
"""

from __future__ import annotations

import io
import re

MARKER = b"/Type /EmbeddedFile /Subtype /application#2Fjson /Officium (seal-signature) /Length "
_STARTXREF = re.compile(rb"startxref\s+(\d+)\s+%%EOF\s*$")


class NotSealed(Exception):
    """The file carries no seal record."""


class Damaged(Exception):
    """The file's structure is not what sealing wrote."""


def _trailer(original: bytes) -> tuple[int, bytes, bytes, bytes, int]:
    """(size, root ref, info ref or b"", id array or b"", previous startxref) of the original PDF."""
    from pypdf import PdfReader

    found = _STARTXREF.search(original[-64:])
    if found is None:
        raise Damaged("PDF 结尾没有 startxref。")
    prev = int(found.group(1))
    try:
        reader = PdfReader(io.BytesIO(original), strict=False)
        trailer = reader.trailer
        size = int(trailer["/Size"])
        root = trailer.raw_get("/Root")
        info = trailer.raw_get("/Info") if "/Info" in trailer else None
        ids = trailer.get("/ID")
    except Exception as exc:  # any damage in the original's structure
        raise Damaged(f"无法读取 PDF 结构：{exc}") from exc

    def ref(value) -> bytes:
        return f"{value.idnum} {value.generation} R".encode("ascii")

    def raw(value) -> bytes:
        return value.original_bytes if hasattr(value, "original_bytes") else bytes(value)

    id_bytes = b""
    if ids is not None and len(ids) == 2:
        id_bytes = b"[<" + raw(ids[0]).hex().encode() + b"> <" + raw(ids[1]).hex().encode() + b">]"
    return size, ref(root), ref(info) if info is not None else b"", id_bytes, prev


def append_record(original: bytes, record: bytes) -> bytes:
    """``original`` followed by an incremental update carrying ``record``."""
    size, root, info, ids, prev = _trailer(original)
    number = size
    head = b"\n" if not original.endswith(b"\n") else b""
    obj_offset = len(original) + len(head)
    obj = (
        f"{number} 0 obj\n<< ".encode("ascii")
        + MARKER
        + str(len(record)).encode("ascii")
        + b" >>\nstream\n"
        + record
        + b"\nendstream\nendobj\n"
    )
    xref_offset = obj_offset + len(obj)
    trailer = b"<< /Size " + str(number + 1).encode() + b" /Root " + root
    if info:
        trailer += b" /Info " + info
    if ids:
        trailer += b" /ID " + ids
    trailer += b" /Prev " + str(prev).encode() + b" >>"
    xref = (
        b"xref\n"
        + f"{number} 1\n{obj_offset:010d} 00000 n\r\n".encode("ascii")
        + b"trailer\n"
        + trailer
        + b"\nstartxref\n"
        + str(xref_offset).encode("ascii")
        + b"\n%%EOF\n"
    )
    return original + head + obj + xref


def extract_record(data: bytes) -> bytes:
    """The record carried by a sealed PDF; raises NotSealed or Damaged."""
    at = data.rfind(MARKER)
    if at < 0:
        raise NotSealed("文件中没有电子印章签名记录。")
    rest = data[at + len(MARKER) :]
    found = re.match(rb"(\d{1,9}) >>\nstream\n", rest)
    if found is None:
        raise Damaged("签名记录的结构已损坏。")
    length = int(found.group(1))
    start = found.end()
    record = rest[start : start + length]
    if len(record) != length or rest[start + length : start + length + 10] != b"\nendstream":
        raise Damaged("签名记录的长度不符。")
    return record
