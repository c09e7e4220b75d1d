"""``files_dir`` in officium.toml: where the attachment blobs live, so that several web nodes can share them."""

from __future__ import annotations

import os

import pytest

from officium.core import files
from officium.core.config import SiteConfig
from officium.core.errors import ConfigError
from officium.testing import app_client, close_site, csrf_from, login
from tests.core.files_plugin import PLUGIN, make_box_site

SECRET = f'secret = "{"s" * 40}"\n'


def load(tmp_path, text: str) -> SiteConfig:
    (tmp_path / "officium.toml").write_text(SECRET + text, encoding="utf-8")
    return SiteConfig.load(tmp_path)


def test_default_is_the_data_folder(tmp_path):
    assert load(tmp_path, "").files_path == tmp_path.resolve() / "data" / "files"


def test_absolute_and_relative_folders(tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    assert load(tmp_path, f'files_dir = "{shared}"\n').files_path == shared
    (tmp_path / "blobs").mkdir()
    assert load(tmp_path, 'files_dir = "blobs"\n').files_path == tmp_path.resolve() / "blobs"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("files_dir = 3\n", "files_dir 应为目录路径字符串"),
        (
            'files_dir = "/no/such/mount"\n',
            "files_dir 指向的目录 /no/such/mount 不存在。修复：如果是共享存储",
        ),
    ],
)
def test_bad_files_dir(tmp_path, value, message):
    with pytest.raises(ConfigError, match=message):
        load(tmp_path, value)
    assert not os.path.exists("/no/such/mount")  # a missing share is reported, never created locally


def test_uploads_are_stored_in_and_served_from_the_configured_folder(tmp_path):
    shared = tmp_path / "shared-files"
    shared.mkdir()
    site = tmp_path / "site"
    app = make_box_site(site)
    with (site / "officium.toml").open("a", encoding="utf-8") as fh:
        fh.write(f'files_dir = "{shared}"\n')
    app.config = SiteConfig.load(site)
    with app_client(app) as client:
        login(client, "wang")
        token = csrf_from(client.get(f"/{PLUGIN}/upload").text)
        sent = client.post(
            f"/{PLUGIN}/upload",
            data={"csrf_token": token},
            files={"file": ("说明.txt", "共享存储中的附件".encode(), "text/plain")},
        )
        assert sent.status_code == 200, sent.text
        sha = sent.json()["sha256"]
        assert (shared / sha[:2] / sha).read_bytes() == "共享存储中的附件".encode()
        assert not (site / "data" / "files" / sha[:2]).exists()
        got = client.get(f"/{PLUGIN}/files/{sent.json()['id']}")
        assert got.status_code == 200 and got.content == "共享存储中的附件".encode()
    assert files.files_dir(app) == shared
    close_site(app)
