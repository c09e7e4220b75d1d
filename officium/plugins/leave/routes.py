"""The leave plugin's routes: staff pages, HR pages and the JSON API, each with its permission."""

from officium import Api, Page
from officium.plugins.leave import admin_pages, api, pages
from officium.plugins.leave.requests import ADMIN, REQUEST

POST = ("POST",)
BOTH = ("GET", "POST")

ROUTES = [
    Page("/", pages.index, "index", REQUEST),
    Page("/new", pages.new, "new", REQUEST, methods=BOTH),
    Page("/calendar", pages.calendar_page, "calendar", REQUEST),
    Page("/{id:int}", pages.detail, "detail", REQUEST),
    Page("/{id:int}/cancel", pages.cancel_page, "cancel", REQUEST, methods=POST),
    Page("/{id:int}/end", pages.end_page, "end", REQUEST, methods=POST),
    Page("/{id:int}/delegate", pages.delegate_page, "delegate", REQUEST, methods=POST),
    Page("/{id:int}/documents/{doc:int}", pages.document_page, "document", REQUEST),
    Page("/admin/", admin_pages.home, "admin", ADMIN),
    Page("/admin/types/{id:int}", admin_pages.type_edit, "admin_type", ADMIN, methods=BOTH),
    Page("/admin/rules", admin_pages.rules_page, "admin_rules", ADMIN, methods=POST),
    Page("/admin/rules/new", admin_pages.rule_new, "admin_rule_new", ADMIN),
    Page("/admin/rules/{id:int}", admin_pages.rule_edit, "admin_rule", ADMIN, methods=BOTH),
    Page("/admin/requests", admin_pages.requests_page, "admin_requests", ADMIN),
    Page("/admin/rules/{id:int}/delete", admin_pages.rule_delete, "admin_rule_delete", ADMIN, methods=POST),
    Page("/admin/people", admin_pages.people, "admin_people", ADMIN),
    Page("/admin/people/{username}", admin_pages.person, "admin_person", ADMIN),
    Page("/admin/people/{username}/record", admin_pages.person_save, "admin_record", ADMIN, methods=POST),
    Page("/admin/people/{username}/adjust", admin_pages.person_adjust, "admin_adjust", ADMIN, methods=POST),
    Page("/admin/rollover", admin_pages.rollover_page, "admin_rollover", ADMIN, methods=BOTH),
    Page("/admin/reports", admin_pages.reports_page, "admin_reports", ADMIN),
    Api("/types", api.types, "types", REQUEST, summary="假别列表"),
    Api("/balances", api.balance_list, "balances", REQUEST, summary="休假余额和年休假天数（含原因）"),
    Api("/count", api.count, "count", REQUEST, summary="计算请假天数（填表时实时计算）"),
    Api("/requests", api.request_list, "requests", REQUEST, summary="请假申请列表"),
    Api("/requests", api.create, "create", REQUEST, methods=POST, summary="请假（本人或综合人员代为提交）"),
    Api("/requests/{id:int}", api.detail, "detail", REQUEST, summary="请假申请详情（含证明材料）"),
    Api("/requests/{id:int}/documents/{doc:int}", api.document, "document", REQUEST, summary="下载证明材料"),
    Api("/requests/{id:int}/cancel", api.cancel, "cancel", REQUEST, methods=POST, summary="撤销请假"),
    Api("/requests/{id:int}/end", api.end, "end", REQUEST, methods=POST, summary="销假（按实际天数）"),
    Api(
        "/requests/{id:int}/delegate",
        api.delegate,
        "delegate",
        REQUEST,
        methods=POST,
        summary="为休假登记外出授权",
    ),
    Api("/calendar", api.calendar, "calendar", REQUEST, summary="单位休假日历"),
    Api("/types/{code}", api.type_update, "type_update", ADMIN, methods=POST, summary="修改假别（人事处）"),
    Api("/rules", api.rule_list, "rules", ADMIN, summary="审批规则（人事处）"),
    Api("/rules", api.rule_create, "rule_create", ADMIN, methods=POST, summary="新增审批规则（人事处）"),
    Api(
        "/rules/{id:int}",
        api.rule_update,
        "rule_update",
        ADMIN,
        methods=POST,
        summary="修改审批规则（人事处）",
    ),
    Api(
        "/rules/{id:int}/delete",
        api.rule_delete,
        "rule_delete",
        ADMIN,
        methods=POST,
        summary="删除审批规则（人事处）",
    ),
    Api("/hr/{username}", api.record_get, "record", ADMIN, summary="人员的人事信息（人事处）"),
    Api(
        "/hr/{username}", api.record_put, "record_put", ADMIN, methods=POST, summary="修改人事信息（人事处）"
    ),
    Api(
        "/hr/{username}/adjustments",
        api.adjustment_create,
        "adjust",
        ADMIN,
        methods=POST,
        summary="调整额度（人事处）",
    ),
    Api("/rollover", api.rollover, "rollover", ADMIN, methods=POST, summary="年度结转（人事处）"),
    Api("/reports", api.report, "reports", ADMIN, summary="休假统计（人事处）"),
]
