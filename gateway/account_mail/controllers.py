"""REST endpoints of the mail that proves or recovers an account: following a verification link,
asking for another, resetting a forgotten password, and the one-click unsubscribe of RFC 8058."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, post
from litestar.di import NamedDependency
from litestar.params import JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_202_ACCEPTED, HTTP_204_NO_CONTENT

from gateway.account_mail.schemas import (
    EmailVerification,
    MailAccepted,
    PasswordReset,
    PasswordResetRequest,
    Unsubscribed,
)
from gateway.account_mail.service import AccountMail, TooManyVerificationMails
from gateway.auth.service import Principal
from gateway.http.contract import problems
from gateway.http.errors import Problem, kind_of
from gateway.http.guards import SECURITY
from gateway.http.ratelimit import OPT_KEY

_RESENT = "A new verification mail is on its way; follow its link to verify your address."
_RESET_ASKED = (
    "If an account has this address, a mail with a link to reset its password is on its way; the link "
    "works once, for a limited time."
)
UnsubscribeToken = Annotated[
    str,
    QueryParameter(
        min_length=1, max_length=512, description="The `token` parameter of the mail's unsubscribe link."
    ),
]
# The same budget per client address as registering and logging in: a guesser of addresses hits it.
_LIMITED = {OPT_KEY: "auth"}


class AccountMailController(Controller):
    path = "/auth"
    tags = ["auth"]

    @post(
        "/verify-email",
        status_code=HTTP_204_NO_CONTENT,
        responses=problems(409),
        summary="Verify my e-mail address with the token of its mailed link",
        description="400 `invalid_token`, `token_expired` or `token_used` for a token that cannot be used;"
        " 409 `email_taken` when the new address it verifies was taken by another account meanwhile.",
    )
    async def verify_email(
        self, data: JSONBody[EmailVerification], account_mail: NamedDependency[AccountMail]
    ) -> None:
        await account_mail.verify_email(data.token)

    @post(
        "/verify-email/resend",
        status_code=HTTP_202_ACCEPTED,
        security=SECURITY,
        responses=problems(409, 429),
        summary="Mail me another verification link",
        description="To the address waiting for verification (a new one, else the account's). 409 "
        "`email_already_verified` when nothing waits; 429 `too_many_verification_mails` with "
        "`Retry-After` after a few in an hour.",
    )
    async def resend_verification(
        self, principal: NamedDependency[Principal], account_mail: NamedDependency[AccountMail]
    ) -> MailAccepted:
        try:
            await account_mail.resend_verification(principal.account)
        except TooManyVerificationMails as error:
            retry_after = {"Retry-After": str(error.extensions.get("retry_after", 60))}
            raise Problem(
                kind_of(error), str(error), headers=retry_after, extensions=error.extensions
            ) from None
        return MailAccepted(detail=_RESENT)

    @post(
        "/password-reset",
        status_code=HTTP_202_ACCEPTED,
        opt=_LIMITED,
        summary="Mail me a link to reset my password",
        description="202 with the same body whether or not an account has the address: the answer does "
        "not tell which addresses have accounts. An address gets a few links an hour at most; further "
        "requests are answered the same, and send nothing.",
    )
    async def request_password_reset(
        self, data: JSONBody[PasswordResetRequest], account_mail: NamedDependency[AccountMail]
    ) -> MailAccepted:
        await account_mail.request_password_reset(data.email)
        return MailAccepted(detail=_RESET_ASKED)

    @post(
        "/password-reset/confirm",
        status_code=HTTP_204_NO_CONTENT,
        summary="Set a new password with the token of a reset link",
        description="Every session of the account ends (its refresh and access tokens stop working) and "
        "its other reset links are void. 400 `invalid_token`, `token_expired` or `token_used` for a token "
        "that cannot be used.",
    )
    async def reset_password(
        self, data: JSONBody[PasswordReset], account_mail: NamedDependency[AccountMail]
    ) -> None:
        await account_mail.reset_password(data.token, data.password)


class MailController(Controller):
    path = "/mail"
    tags = ["mail"]

    @post(
        "/unsubscribe",
        status_code=HTTP_200_OK,
        responses=problems(400),
        summary="Stop mail about new posts (one click, RFC 8058)",
        description="The `List-Unsubscribe` address of notification mails: mail clients POST "
        "`List-Unsubscribe=One-Click` (form-encoded) to it; any body, or none, is accepted and not read. "
        "No access token needed: the link's own `token` says whose mail stops. 400 "
        "`invalid_unsubscribe_token` for a link that is not ours. Turn the mail back on with "
        "`PATCH /api/v1/users/me` (`email_new_posts`).",
    )
    async def unsubscribe(
        self, token: UnsubscribeToken, account_mail: NamedDependency[AccountMail]
    ) -> Unsubscribed:
        return Unsubscribed(unsubscribed=await account_mail.unsubscribe(token))
