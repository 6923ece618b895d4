"""The panel's reports pages: the queue, one report with the reported content, and the decision
(``/admin/reports``)."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template

from gateway.auth.service import Principal
from gateway.http.dependencies import services_of
from gateway.http.errors import kind_of
from gateway.moderation.service import Moderation
from gateway.panel import forms
from gateway.panel.pages import PAGE_SIZE, page
from gateway.panel.session import staff_only
from gateway.reports.service import Reports
from servicekit.errors import FlockError


class ReportsController(Controller):
    path = "/reports"
    guards = [staff_only]

    @get("/")
    async def queue(
        self,
        request: Request[Any, Any, Any],
        staff: NamedDependency[Principal],
        reports: NamedDependency[Reports],
    ) -> Template:
        status = forms.report_status(request.query_params.get("status", ""))
        try:
            found, next_cursor = await reports.queue(status, PAGE_SIZE, request.query_params.get("cursor"))
        except FlockError as error:
            return page(
                request,
                staff,
                "reports.html",
                status_code=kind_of(error).status,
                error=str(error),
                reports=[],
                next_cursor=None,
                status=status,
            )
        return page(request, staff, "reports.html", reports=found, next_cursor=next_cursor, status=status)

    @get("/{report_id:uuid}")
    async def report(
        self,
        request: Request[Any, Any, Any],
        report_id: FromPath[uuid.UUID],
        staff: NamedDependency[Principal],
        reports: NamedDependency[Reports],
    ) -> Template:
        return await _report_page(request, staff, reports, report_id)

    @post("/{report_id:uuid}/resolve", status_code=303)
    async def resolve(
        self,
        request: Request[Any, Any, Any],
        report_id: FromPath[uuid.UUID],
        staff: NamedDependency[Principal],
        reports: NamedDependency[Reports],
        moderation: NamedDependency[Moderation],
    ) -> Response[Any]:
        form = await request.form()
        choice = forms.text(form, "action")
        action = forms.report_action(choice)
        note = forms.text(form, "note")
        try:
            if choice == "dismiss":
                await reports.dismiss(staff.account, report_id, note)
            elif action is not None:
                period = forms.suspension(form) if action == "suspend" else None
                await reports.resolve(
                    moderation, staff.account, report_id, action=action, note=note, suspension=period
                )
            else:
                return await _report_page(
                    request, staff, reports, report_id, error="Choose an action.", status_code=422
                )
        except FlockError as error:
            return await _report_page(
                request, staff, reports, report_id, error=str(error), status_code=kind_of(error).status
            )
        done = "dismiss" if choice == "dismiss" else "resolve"
        return Redirect(f"/admin/reports/{report_id}?done={done}", status_code=303)


async def _report_page(
    request: Request[Any, Any, Any],
    staff: Principal,
    reports: Reports,
    report_id: uuid.UUID,
    *,
    error: str = "",
    status_code: int = 200,
) -> Template:
    try:
        detail = await reports.detail(report_id)
    except FlockError as failed:
        return page(
            request, staff, "report.html", status_code=kind_of(failed).status, error=str(failed), detail=None
        )
    try:
        author = await services_of(request.app.state).accounts.get(detail.report.account_id)
    except FlockError:
        author = None  # deleted since: the page still shows the report
    return page(
        request, staff, "report.html", status_code=status_code, error=error, detail=detail, author=author
    )
