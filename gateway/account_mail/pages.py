"""The pages mailed links open, at the site's root (``/verify-email``, ``/reset-password``,
``/unsubscribe``, :mod:`gateway.mail.links`): plain HTML forms, no script.

Opening a link (GET) never uses its token: mail scanners and link previews fetch every link of a
mail, so a GET only shows a button, whose form POSTs the token back; the POST acts (through the same
:class:`AccountMail` as the API) and shows the outcome, a refusal with its family's status. The token
is in the URL, so the pages send no ``Referer`` anywhere and are kept by no cache.

The pages render their own templates (``templates/``, one Jinja environment here) rather than through
the app's template config, which is the admin panel's.
"""

from __future__ import annotations

import typing
from pathlib import Path
from typing import Any

import jinja2
import msgspec
from litestar import Controller, Request, Response, Router, get, post
from litestar.datastructures import CacheControlHeader, ResponseHeader
from litestar.di import NamedDependency
from litestar.enums import MediaType
from litestar.params import FromQuery

from gateway.account_mail.service import AccountMail
from gateway.http.errors import kind_of
from gateway.users.schemas import Password
from servicekit.errors import FlockError

HERE = Path(__file__).parent
_TEMPLATES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True, undefined=jinja2.StrictUndefined
)
_PASSWORD_RULES: msgspec.Meta = typing.get_args(Password)[1]
_PASSWORD_LENGTHS: dict[str, Any] = {
    "min_length": _PASSWORD_RULES.min_length,
    "max_length": _PASSWORD_RULES.max_length,
}
_NO_TOKEN = "This link has no token; open the link from the mail as it is."
_MISMATCH = "The two passwords differ; type the same one twice."


def render(
    name: str, *, state: str, status_code: int = 200, error: str = "", **context: Any
) -> Response[str]:
    """The page ``name`` in ``state`` (``ask``, ``done`` or ``error``), as an HTML response."""
    html = _TEMPLATES.get_template(name).render(state=state, error=error, **context)
    return Response(html, status_code=status_code, media_type=MediaType.HTML)


def _refused(name: str, error: FlockError) -> Response[str]:
    return render(name, state="error", status_code=kind_of(error).status, error=str(error))


async def _form_text(request: Request[Any, Any, Any], name: str) -> str:
    value = (await request.form()).get(name)
    return value if isinstance(value, str) else ""


def _password_problem(password: str, again: str) -> str:
    """Why ``password`` cannot be the new one (the API's rules), or the empty string."""
    try:
        msgspec.convert(password, Password)
    except msgspec.ValidationError as error:
        return f"The password is not valid: {error}."
    return "" if password == again else _MISMATCH


class AccountMailPages(Controller):
    path = "/"

    @get("/verify-email")
    async def verify_email_page(self, token: FromQuery[str] = "") -> Response[str]:
        if not token:
            return render("verify_email.html", state="error", status_code=400, error=_NO_TOKEN)
        return render("verify_email.html", state="ask", token=token)

    @post("/verify-email")
    async def verify_email(
        self, request: Request[Any, Any, Any], account_mail: NamedDependency[AccountMail]
    ) -> Response[str]:
        try:
            await account_mail.verify_email(await _form_text(request, "token"))
        except FlockError as error:
            return _refused("verify_email.html", error)
        return render("verify_email.html", state="done")

    @get("/reset-password")
    async def reset_password_page(self, token: FromQuery[str] = "") -> Response[str]:
        if not token:
            return render("reset_password.html", state="error", status_code=400, error=_NO_TOKEN)
        return render("reset_password.html", state="ask", token=token, **_PASSWORD_LENGTHS)

    @post("/reset-password")
    async def reset_password(
        self, request: Request[Any, Any, Any], account_mail: NamedDependency[AccountMail]
    ) -> Response[str]:
        form = await request.form()
        token, password, again = (
            value if isinstance(value := form.get(name), str) else ""
            for name in ("token", "password", "password_again")
        )
        problem = _password_problem(password, again)
        if problem:
            return render(
                "reset_password.html",
                state="ask",
                status_code=422,
                error=problem,
                token=token,
                **_PASSWORD_LENGTHS,
            )
        try:
            await account_mail.reset_password(token, password)
        except FlockError as error:
            return _refused("reset_password.html", error)
        return render("reset_password.html", state="done")

    @get("/unsubscribe")
    async def unsubscribe_page(self, token: FromQuery[str] = "") -> Response[str]:
        if not token:
            return render("unsubscribe.html", state="error", status_code=400, error=_NO_TOKEN)
        return render("unsubscribe.html", state="ask", token=token)

    @post("/unsubscribe")
    async def unsubscribe(
        self, request: Request[Any, Any, Any], account_mail: NamedDependency[AccountMail]
    ) -> Response[str]:
        try:
            await account_mail.unsubscribe(await _form_text(request, "token"))
        except FlockError as error:
            return _refused("unsubscribe.html", error)
        return render("unsubscribe.html", state="done")


def account_mail_pages() -> Router:
    """The pages, left out of the OpenAPI document (they are not the API)."""
    return Router(
        "/",
        route_handlers=[AccountMailPages],
        include_in_schema=False,
        cache_control=CacheControlHeader(no_store=True),
        response_headers=[ResponseHeader(name="Referrer-Policy", value="no-referrer")],
    )
