"""The routes of the bulletin plugin: pages (``pages``) and the JSON API (``api``)."""

from officium import Api, Page
from officium.plugins.bulletin import api, pages
from officium.plugins.bulletin.access import MANAGE, READ

POST = ("POST",)
BOTH = ("GET", "POST")
ONE = "/{id:int}"

ROUTES = [
    Page("/", pages.index, "index", READ),
    Page("/new", pages.new, "new", READ, methods=BOTH),
    Page("/mine", pages.mine, "mine", READ),
    Page("/columns", pages.columns_page, "columns", MANAGE),
    Page("/columns/new", pages.column_new, "column_new", MANAGE, methods=BOTH),
    Page("/columns/{id:int}", pages.column_edit, "column_edit", MANAGE, methods=BOTH),
    Page(ONE, pages.detail, "detail", READ),
    Page(f"{ONE}/edit", pages.edit, "edit", READ, methods=BOTH),
    Page(f"{ONE}/submit", pages.submit, "submit", READ, methods=POST),
    Page(f"{ONE}/withdraw", pages.withdraw, "withdraw", READ, methods=POST),
    Page(f"{ONE}/delete", pages.delete, "delete", READ, methods=POST),
    Page(f"{ONE}/confirm", pages.confirm, "confirm", READ, methods=POST),
    Page(f"{ONE}/remind", pages.remind, "remind", READ, methods=POST),
    Page(f"{ONE}/readers", pages.readers_page, "readers", READ),
    Page(f"{ONE}/versions", pages.versions_page, "versions", READ),
    Page(ONE + "/versions/{number:int}", pages.version_page, "version", READ),
    Page(ONE + "/files/{file_id:int}", pages.download, "file", READ),
    Api("/announcements", api.api_board, "board", READ, summary="公告板：我可阅读的公告"),
    Api("/announcements", api.api_create, "create", READ, methods=POST, summary="起草（并提交）公告"),
    Api("/announcements/mine", api.api_mine, "mine", READ, summary="我发布的公告"),
    Api(f"/announcements{ONE}", api.api_detail, "detail", READ, summary="公告详情（记为已读）"),
    Api(f"/announcements{ONE}/edit", api.api_update, "edit", READ, methods=POST, summary="修改公告"),
    Api(
        f"/announcements{ONE}/submit", api.api_submit, "submit", READ, methods=POST, summary="提交审核或发布"
    ),
    Api(
        f"/announcements{ONE}/withdraw", api.api_withdraw, "withdraw", READ, methods=POST, summary="撤回公告"
    ),
    Api(f"/announcements{ONE}/delete", api.api_delete, "delete", READ, methods=POST, summary="删除草稿"),
    Api(
        f"/announcements{ONE}/confirm",
        api.api_confirm,
        "confirm",
        READ,
        methods=POST,
        summary="确认已阅必读公告",
    ),
    Api(f"/announcements{ONE}/remind", api.api_remind, "remind", READ, methods=POST, summary="提醒未读人员"),
    Api(f"/announcements{ONE}/readers", api.api_readers, "readers", READ, summary="阅读情况"),
    Api(f"/announcements{ONE}/versions", api.api_versions, "versions", READ, summary="修改记录"),
    Api(f"/announcements{ONE}/files", api.api_upload, "upload", READ, methods=POST, summary="上传附件"),
    Api("/announcements" + ONE + "/files/{file_id:int}", api.api_download, "file", READ, summary="下载附件"),
    Api(
        "/announcements" + ONE + "/files/{file_id:int}/delete",
        api.api_remove_file,
        "remove_file",
        READ,
        methods=POST,
        summary="删除附件",
    ),
    Api("/columns", api.api_columns, "columns", READ, summary="栏目列表"),
    Api("/columns", api.api_column_create, "column_create", MANAGE, methods=POST, summary="新建栏目"),
    Api(
        "/columns/{id:int}", api.api_column_update, "column_update", MANAGE, methods=POST, summary="修改栏目"
    ),
]
