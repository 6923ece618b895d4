"""What every panel page shows: who is signed in, the CSRF token for its forms, and a message."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.response import Template

from gateway.auth.service import Principal
from gateway.panel import forms
from gateway.panel.session import CSRF_FIELD, csrf_token

PAGE_SIZE = 25


def page(
    request: Request[Any, Any, Any],
    staff: Principal,
    name: str,
    *,
    status_code: int = 200,
    error: str = "",
    **context: Any,
) -> Template:
    """``name`` rendered with what every page shows: who is signed in, the CSRF token, a message."""
    done = forms.DONE.get(request.query_params.get("done", ""), "")
    return Template(
        name,
        status_code=status_code,
        context={
            "staff": staff.account,
            "csrf_field": CSRF_FIELD,
            "csrf": csrf_token(request, staff.session_id),
            "error": error,
            "done": "" if error else done,
            **context,
        },
    )
