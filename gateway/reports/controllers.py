"""REST endpoints of reports: members file them (``/reports``), staff decide (``/admin/reports``)."""

from __future__ import annotations

import uuid

import msgspec
from litestar import Controller, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from gateway.auth.service import Principal
from gateway.clients.posts import PostsClient
from gateway.http.contract import problems
from gateway.http.guards import SECURITY, signed_in, staff
from gateway.http.parameters import Cursor, Limit
from gateway.moderation.presenters import admin_user
from gateway.moderation.service import Moderation, Suspension
from gateway.posts.presenters import comment_views, post_views
from gateway.reports.schemas import (
    AdminReport,
    AdminReportDetail,
    AdminReportPage,
    Report,
    ReportCreate,
    ReportDismissal,
    ReportPage,
    ReportResolution,
    ReportStatus,
)
from gateway.reports.service import ReportRecord, Reports
from gateway.users.service import Accounts
from servicekit.database import Database


def provide_reports(
    database: NamedDependency[Database],
    posts_client: NamedDependency[PostsClient],
    accounts: NamedDependency[Accounts],
) -> Reports:
    return Reports(database, posts_client, accounts)


DEPENDENCIES = {"reports": Provide(provide_reports, sync_to_thread=False)}


def _report(record: ReportRecord) -> Report:
    return msgspec.convert(record, Report, from_attributes=True)


def _admin_report(record: ReportRecord) -> AdminReport:
    return msgspec.convert(record, AdminReport, from_attributes=True)


class ReportsController(Controller):
    path = "/reports"
    tags = ["reports"]
    guards = [signed_in]
    dependencies = DEPENDENCIES

    @post(
        "/",
        security=SECURITY,
        status_code=HTTP_201_CREATED,
        responses=problems(409),
        summary="Report a post, a comment or an account",
        description="One open report per reporter and target: another answers 409 `report_exists` with"
        " the open one's `report_id`.",
    )
    async def file(
        self,
        data: JSONBody[ReportCreate],
        principal: NamedDependency[Principal],
        reports: NamedDependency[Reports],
    ) -> Report:
        record = await reports.file(
            principal.account, data.target_type, data.target_id, data.category, data.text
        )
        return _report(record)

    @get("/mine", security=SECURITY, summary="My reports and where they stand, newest first")
    async def mine(
        self,
        principal: NamedDependency[Principal],
        reports: NamedDependency[Reports],
        limit: Limit = 20,
        cursor: Cursor = None,
    ) -> ReportPage:
        found, next_cursor = await reports.mine(principal.account.id, limit, cursor)
        return ReportPage(items=[_report(record) for record in found], next_cursor=next_cursor)


class AdminReportsController(Controller):
    path = "/admin/reports"
    tags = ["admin"]
    guards = [staff]
    dependencies = DEPENDENCIES

    @get("/", security=SECURITY, summary="The report queue, oldest first (staff)")
    async def queue(
        self,
        reports: NamedDependency[Reports],
        status: FromQuery[ReportStatus] = "open",
        limit: Limit = 20,
        cursor: Cursor = None,
    ) -> AdminReportPage:
        found, next_cursor = await reports.queue(status, limit, cursor)
        return AdminReportPage(items=[_admin_report(record) for record in found], next_cursor=next_cursor)

    @get("/{report_id:uuid}", security=SECURITY, summary="A report with the reported content, even hidden")
    async def detail(
        self,
        report_id: FromPath[uuid.UUID],
        reports: NamedDependency[Reports],
        accounts: NamedDependency[Accounts],
        moderation: NamedDependency[Moderation],
    ) -> AdminReportDetail:
        found = await reports.detail(report_id)
        detail = msgspec.convert(found.report, AdminReportDetail, from_attributes=True)
        if found.post is not None:
            [detail.post] = await post_views(accounts, [found.post])
        if found.comment is not None:
            [detail.comment] = await comment_views(accounts, [found.comment])
        if found.account is not None:
            detail.account = admin_user(await moderation.user(found.account.username))
        return detail

    @post(
        "/{report_id:uuid}/resolve",
        security=SECURITY,
        status_code=HTTP_200_OK,
        responses=problems(403, 409),
        summary="Resolve a report: nothing, delete the content, or suspend its owner (staff)",
    )
    async def resolve(
        self,
        report_id: FromPath[uuid.UUID],
        data: JSONBody[ReportResolution],
        principal: NamedDependency[Principal],
        reports: NamedDependency[Reports],
        moderation: NamedDependency[Moderation],
    ) -> AdminReport:
        suspension = Suspension(until=data.until, duration=data.duration, permanent=data.permanent)
        record = await reports.resolve(
            moderation,
            principal.account,
            report_id,
            action=data.action,
            note=data.note,
            suspension=suspension if data.action == "suspend" else None,
        )
        return _admin_report(record)

    @post(
        "/{report_id:uuid}/dismiss",
        security=SECURITY,
        status_code=HTTP_200_OK,
        responses=problems(409),
        summary="Dismiss a report, saying why (staff)",
    )
    async def dismiss(
        self,
        report_id: FromPath[uuid.UUID],
        data: JSONBody[ReportDismissal],
        principal: NamedDependency[Principal],
        reports: NamedDependency[Reports],
    ) -> AdminReport:
        return _admin_report(await reports.dismiss(principal.account, report_id, data.note))
