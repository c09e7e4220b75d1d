"""Attachments (officium.core.files) over HTTP through a tiny plugin: upload checks, the blob store, downloads."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from fpdf import FPDF

from officium.core import files
from officium.core.app import OfficiumApp
from officium.core.db import write_transaction
from officium.core.files import Attachment
from officium.core.identity.models import User
from officium.testing import app_client, login
from tests.core.files_plugin import box_site  # noqa: F401  (module-scoped site fixture)

CJK_FONT = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")


def make_pdf(text: str) -> bytes:
    pdf = FPDF()
    pdf.add_page()
    if CJK_FONT.is_file():
        pdf.add_font("noto", fname=str(CJK_FONT), collection_font_number=2)
        pdf.set_font("noto", size=14)
    else:  # pragma: no cover - the CI image has the Noto CJK fonts
        pdf.set_font("helvetica", size=14)
        text = text.encode("ascii", "ignore").decode()
    pdf.cell(text=text)
    return bytes(pdf.output())


def make_zip(members: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def make_docx(*paragraphs: str) -> bytes:
    body = "".join(f"<w:p><w:r><w:t>{p}</w:t></w:r></w:p>" for p in paragraphs)
    document = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        f"<w:body>{body}</w:body></w:document>"
    )
    return make_zip({"[Content_Types].xml": "<Types/>", "word/document.xml": document})


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 40
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 500


def blobs(app: OfficiumApp) -> list[Path]:
    root = files.files_dir(app)
    return sorted(p for p in root.glob("??/*") if p.is_file()) if root.is_dir() else []


@pytest.fixture(scope="module")
def site(box_site: OfficiumApp) -> OfficiumApp:  # noqa: F811
    return box_site


# Clients live as long as the site: each holds a database connection (one per client thread), and a pool
# of PostgreSQL connections must not run dry over a module of tests.
@pytest.fixture(scope="module")
def wang(site: OfficiumApp) -> Iterator:
    with app_client(site) as client:
        client.csrf = login(client, "wang")
        yield client


@pytest.fixture(scope="module")
def li(site: OfficiumApp) -> Iterator:
    with app_client(site) as client:
        client.csrf = login(client, "li")
        yield client


def upload(client, name: str, data: bytes, path: str = "/filebox/upload", **extra):
    return client.post(
        path,
        data={"csrf_token": client.csrf},
        files={"file": (name, data, "application/octet-stream")},
        **extra,
    )


def test_upload_stores_the_file_once_under_the_site_folder(site, wang):
    data = make_pdf("上传测试 upload test one")
    response = upload(wang, "关于春节放假的通知.pdf", data)
    assert response.status_code == 200, response.text
    body = response.json()
    row = Attachment.get_by_id(body["id"])
    assert (row.plugin, row.owner_type, row.owner_id) == (
        "filebox",
        "box",
        str(User.get(User.username == "wang").id),
    )
    assert row.filename == "关于春节放假的通知.pdf"
    assert row.content_type == "application/pdf"
    assert row.size == len(data)
    assert row.uploaded_by.username == "wang"
    assert row.uploaded_at == site.clock()
    assert row.deleted_at is None
    blob = site.config.data_dir / "files" / row.sha256[:2] / row.sha256
    assert blob.read_bytes() == data
    assert files.read_bytes(site, row) == data
    assert [a.id for a in files.attachments_of("filebox", "box", row.owner_id)][-1] == row.id


def test_same_content_is_stored_once(site, wang, li):
    data = make_pdf("same content stored once")
    before = len(blobs(site))
    first = upload(wang, "甲.pdf", data).json()
    second = upload(li, "乙.pdf", data).json()
    assert first["sha256"] == second["sha256"]
    assert first["id"] != second["id"]
    assert len(blobs(site)) == before + 1


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("setup.exe", b"MZ\x90\x00" + b"\x00" * 100, "不支持“.exe”类型的文件"),
        ("无扩展名", b"hello", "文件缺少扩展名"),
        (
            "伪装.pdf",
            b"<html><script>alert(1)</script></html>",
            "文件内容与扩展名不符：“伪装.pdf”不是有效的PDF 文档",
        ),
        ("report.docx", make_zip({"xl/workbook.xml": "<x/>"}), "不是有效的Word 文档"),
        ("table.xlsx", make_zip({"word/document.xml": "<x/>"}), "不是有效的Excel 工作簿"),
        ("photo.png", JPEG, "不是有效的PNG 图片"),
        ("old.doc", b"{\\rtf1 not an OLE file}", "不是有效的Word 97-2003 文档"),
        ("notes.txt", b"\x00\x01\x02binary\xff\xfe", "不是有效的文本文件"),
        ("archive.zip", b"PK\x03\x04broken", "不是有效的ZIP 压缩包"),
        ("empty.txt", b"", "文件是空的"),
    ],
)
def test_wrong_files_are_refused_with_a_message_and_nothing_stored(site, wang, name, data, message):
    rows, stored = Attachment.select().count(), blobs(site)
    response = upload(wang, name, data)
    assert response.status_code == 400
    assert message in response.text
    assert Attachment.select().count() == rows
    assert blobs(site) == stored
    assert list((files.files_dir(site) / "tmp").iterdir()) == []


@pytest.mark.parametrize(
    ("name", "data", "content_type"),
    [
        ("图.png", PNG, "image/png"),
        ("照片.JPG", JPEG, "image/jpeg"),
        ("动图.gif", b"GIF89a" + b"\x00" * 20, "image/gif"),
        ("旧版.doc", OLE, "application/msword"),
        ("旧表.xls", OLE + b"x", "application/vnd.ms-excel"),
        (
            "表.xlsx",
            make_zip({"[Content_Types].xml": "<T/>", "xl/workbook.xml": "<w/>"}),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        (
            "稿.pptx",
            make_zip({"ppt/presentation.xml": "<p/>"}),
            "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        ),
        ("公文.ofd", make_zip({"OFD.xml": "<ofd:OFD/>"}), "application/ofd"),
        ("打包.zip", make_zip({"a.txt": "a"}), "application/zip"),
        ("名单.csv", "姓名,单位\n张三,办公室\n".encode("gb18030"), "text/csv; charset=utf-8"),
        (
            "说明.txt",
            "\ufeff说明：UTF-8 文本\r\n第二行\t制表".encode("utf-8-sig"),
            "text/plain; charset=utf-8",
        ),
        (
            "报告.docx",
            make_docx("正文"),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
    ],
)
def test_each_supported_type_is_accepted_when_its_content_matches(site, wang, name, data, content_type):
    response = upload(wang, name, data)
    assert response.status_code == 200, response.text
    assert Attachment.get_by_id(response.json()["id"]).content_type == content_type


def test_a_plugin_limit_on_size_and_type(site, wang):
    rows = Attachment.select().count()
    too_big = upload(wang, "大.pdf", b"%PDF-1.4\n" + b"0" * 2000, path="/filebox/small")
    assert too_big.status_code == 400
    assert "文件太大：单个文件不能超过 1 KB" in too_big.text
    wrong = upload(wang, "图.png", PNG, path="/filebox/small")
    assert wrong.status_code == 400
    assert "只能上传：pdf" in wrong.text
    assert Attachment.select().count() == rows
    assert upload(wang, "小.pdf", b"%PDF-1.4\n%%EOF\n", path="/filebox/small").status_code == 200


def test_the_site_limit_refuses_the_body_before_reading_it(site, wang, monkeypatch):
    monkeypatch.setattr(site.config, "max_upload_mb", 1)
    rows, stored = Attachment.select().count(), blobs(site)
    response = upload(wang, "巨大.pdf", b"%PDF-1.4\n" + b"0" * (2 * 1024 * 1024 + 10))
    assert response.status_code == 413
    assert "一次提交的文件合计不能超过 1 MB" in response.text
    # the same body streamed without Content-Length is cut off as it arrives
    boundary = "officiumboundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{wang.csrf}\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\n'
        "Content-Type: application/pdf\r\n\r\n%PDF-1.4\n"
    ).encode()

    def chunks():
        yield head
        for _ in range(40):
            yield b"0" * 65536
        yield f"\r\n--{boundary}--\r\n".encode()

    streamed = wang.post(
        "/filebox/upload",
        content=chunks(),
        headers={"content-type": f"multipart/form-data; boundary={boundary}"},
    )
    assert streamed.status_code == 413
    assert Attachment.select().count() == rows
    assert blobs(site) == stored
    # just under the limit passes
    assert upload(wang, "大.pdf", b"%PDF-1.4\n" + b"1" * (1024 * 1024 - 100)).status_code == 200


def test_a_large_text_field_is_accepted_and_a_broken_body_gets_a_chinese_message(site, wang):
    body = "正文" * (1024 * 1024)  # 6 MB of UTF-8, over Starlette's default 1 MB per field
    response = wang.post(
        "/filebox/upload",
        data={"csrf_token": wang.csrf, "body": body},
        files={"file": ("长文.txt", "正文".encode(), "text/plain")},
    )
    assert response.status_code == 200, response.text[:300]
    broken = wang.post(
        "/filebox/upload",
        content=b"--x\r\nContent-Type: text/plain\r\n\r\nno name\r\n--x--\r\n",
        headers={"content-type": "multipart/form-data; boundary=x"},
    )
    assert broken.status_code == 400
    assert "提交的表单无法处理" in broken.text


def test_multipart_posts_still_need_the_csrf_token(site, wang):
    rows = Attachment.select().count()
    response = wang.post(
        "/filebox/upload",
        data={"csrf_token": "forged"},
        files={"file": ("a.pdf", b"%PDF-1.4\n", "application/pdf")},
    )
    assert response.status_code == 403
    assert Attachment.select().count() == rows


def test_download_is_an_attachment_with_a_chinese_file_name(site, wang):
    data = make_pdf("download headers")
    attachment_id = upload(wang, "关于 2026 年;考核%.pdf", data).json()["id"]
    response = wang.get(f"/filebox/files/{attachment_id}")
    assert response.status_code == 200
    assert response.content == data
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["x-content-type-options"] == "nosniff"
    disposition = response.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="')
    assert disposition.endswith(
        "; filename*=UTF-8''%E5%85%B3%E4%BA%8E%202026%20%E5%B9%B4%3B%E8%80%83%E6%A0%B8%25.pdf"
    )
    assert 'filename="__ 2026 _____.pdf";' in disposition  # the ASCII fallback: no ; % or quotes
    assert "sandbox" not in response.headers["content-security-policy"]


def test_inline_preview_only_for_pdf_and_images_and_sandboxed(site, wang):
    pdf_id = upload(wang, "预览.pdf", make_pdf("inline preview")).json()["id"]
    preview = wang.get(f"/filebox/files/{pdf_id}?inline=1")
    assert preview.headers["content-disposition"].startswith("inline; ")
    assert preview.headers["content-security-policy"].startswith("sandbox")
    assert preview.headers["x-content-type-options"] == "nosniff"
    docx_id = upload(wang, "文稿.docx", make_docx("不预览")).json()["id"]
    forced = wang.get(f"/filebox/files/{docx_id}?inline=1")
    assert forced.headers["content-disposition"].startswith("attachment; ")
    assert files.content_disposition("attachment", "通知.pdf") == (
        "attachment; filename=\"download.pdf\"; filename*=UTF-8''%E9%80%9A%E7%9F%A5.pdf"
    )


def test_a_user_who_may_not_see_the_record_gets_404(site, wang, li):
    attachment_id = upload(wang, "王的文件.pdf", make_pdf("private")).json()["id"]
    assert wang.get(f"/filebox/files/{attachment_id}").status_code == 200
    refused = li.get(f"/filebox/files/{attachment_id}")
    assert refused.status_code == 404
    assert "private" not in refused.text
    assert li.get("/filebox/files/999999").status_code == 404


def test_copy_shares_the_blob_and_delete_is_soft(site, wang, li):
    data = make_pdf("forwarded document")
    original = upload(wang, "转发件.pdf", data).json()
    stored = blobs(site)
    site.clock.advance(minutes=10)
    copied = wang.post(
        "/filebox/copy", data={"csrf_token": wang.csrf, "id": original["id"], "to": "li"}
    ).json()
    assert copied["sha256"] == original["sha256"]
    assert blobs(site) == stored
    copy = Attachment.get_by_id(copied["id"])
    assert copy.uploaded_at == site.clock()
    assert li.get(f"/filebox/files/{copied['id']}").content == data

    li_box = str(User.get(User.username == "li").id)
    assert copied["id"] in [a.id for a in files.attachments_of("filebox", "box", li_box)]
    assert li.post("/filebox/delete", data={"csrf_token": li.csrf, "id": copied["id"]}).status_code == 200
    assert Attachment.get_by_id(copied["id"]).deleted_at == site.clock()
    assert copied["id"] not in [a.id for a in files.attachments_of("filebox", "box", li_box)]
    assert li.get(f"/filebox/files/{copied['id']}").status_code == 404
    # the original and the shared blob are untouched
    assert wang.get(f"/filebox/files/{original['id']}").content == data
    assert blobs(site) == stored


def test_extract_text_of_pdf_docx_and_text(site):
    wang = User.get(User.username == "wang")
    owner = ("filebox", "box", str(wang.id))
    with write_transaction(site.db):
        pdf = files.save_upload(
            site, ("简报.pdf", make_pdf("检验检疫简报 Bulletin 2026")), owner=owner, user=wang
        )
        docx = files.save_upload(
            site, ("纪要.docx", make_docx("会议纪要", "第二段：通关便利化")), owner=owner, user=wang
        )
        txt = files.save_upload(
            site, ("旧稿.txt", "国标编码的文本".encode("gb18030")), owner=owner, user=wang
        )
        png = files.save_upload(site, ("图.png", PNG), owner=owner, user=wang)
    assert "检验检疫简报 Bulletin 2026" in files.extract_text(site, pdf)
    assert files.extract_text(site, docx) == "会议纪要\n第二段：通关便利化"
    assert files.extract_text(site, txt) == "国标编码的文本"
    assert files.extract_text(site, png) == ""
    assert files.text_of("坏的.pdf", b"%PDF-1.4 garbage") == ""


def test_save_upload_refuses_an_unknown_extension_in_the_allow_list(site):
    wang = User.get(User.username == "wang")
    with pytest.raises(ValueError, match="exe"):
        files.save_upload(
            site, ("a.exe", b"MZ"), owner=("filebox", "box", "1"), user=wang, allowed_extensions={"exe"}
        )


# ------------------------------------------------------------------------------------------ CLI


def test_cli_checks_the_store_and_collects_garbage(site_factory, monkeypatch):
    """Last in the file: the CLI builds its own app and points the database proxy at it."""
    import os
    import time

    from click.testing import CliRunner

    from officium.cli import main
    from officium.testing import add_user
    from tests.core.plugin_dists import close_apps, track_apps

    app = site_factory()
    user = add_user(app, "zhao")
    with write_transaction(app.db):
        kept = files.save_upload(app, ("保留.pdf", make_pdf("kept")), owner=("x", "y", 1), user=user)
        files.delete(
            files.save_upload(app, ("已删.txt", b"deleted but kept"), owner=("x", "y", 1), user=user), user
        )
    # an orphan left by a rolled-back request, a day old, and a fresh one that may still be committing
    old_orphan = files.blob_path(app, "a" * 64)
    old_orphan.parent.mkdir(parents=True, exist_ok=True)
    old_orphan.write_bytes(b"orphan")
    day_ago = time.time() - 2 * 86400
    os.utime(old_orphan, (day_ago, day_ago))
    fresh_orphan = files.blob_path(app, "b" * 64)
    fresh_orphan.parent.mkdir(parents=True, exist_ok=True)
    fresh_orphan.write_bytes(b"fresh")
    apps = track_apps(monkeypatch)
    runner = CliRunner()
    site = str(app.config.site_dir)
    try:
        checked = runner.invoke(main, ["--site", site, "files", "check"])
        assert checked.exit_code == 0, checked.output
        assert "附件文件库完整：共 2 个文件" in checked.output

        dry = runner.invoke(main, ["--site", site, "files", "gc", "--dry-run"])
        assert dry.exit_code == 0, dry.output
        assert f"将删除 {old_orphan}" in dry.output and "将删除 1 个无用文件" in dry.output
        assert old_orphan.exists()
        done = runner.invoke(main, ["--site", site, "files", "gc"])
        assert "已删除 1 个无用文件" in done.output
        assert not old_orphan.exists() and fresh_orphan.exists()
        assert files.blob_path(app, kept.sha256).exists()

        files.blob_path(app, kept.sha256).write_bytes(b"tampered")
        broken = runner.invoke(main, ["--site", site, "files", "check"])
        assert broken.exit_code == 1
        assert f"损坏 {kept.sha256}" in broken.output
        assert "缺失 0 个，损坏 1 个" in broken.output
    finally:
        close_apps(apps)
