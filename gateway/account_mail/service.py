"""Mail that proves or recovers an account: verifying its address (at registration, and for a new
address, which replaces the old one only once verified), resetting a forgotten password, and turning
off mail about new posts from a link.

Verification and reset links carry single-use tokens from ``email_tokens`` (only their SHA-256 is
kept, :mod:`gateway.mail.links`), each written with its mail in one transaction (:mod:`gateway.mail.queue`)
and used up in the transaction that acts on it. Unsubscribe links carry a signed token instead
(:meth:`gateway.mail.links.Links.unsubscribed`), which needs no row.

Asking for a reset tells nothing of which addresses have accounts: every request does the same work
(a rate-limit count, one statement that looks the address up and writes a token only for an account
that has it, no password hashing) and gets the same answer.
"""

from __future__ import annotations

import datetime
import uuid

import asyncpg

from gateway.auth.passwords import Passwords
from gateway.auth.service import revoke_all
from gateway.http.ratelimit import RateLimiter, account_key
from gateway.mail.links import NEW_POSTS, Links, new_token, token_digest
from gateway.mail.queue import Mail, enqueue
from gateway.settings import RateLimit
from gateway.users.service import Account, EmailTaken, normalize_email
from servicekit.database import Connection, Database
from servicekit.errors import Conflict, Forbidden, Malformed, RateLimited

VERIFY_EMAIL = "verify_email"
PASSWORD_RESET = "password_reset"


class InvalidEmailToken(Malformed):
    """The link's token is not one we gave out for this, or its account can no longer use it."""

    code = "invalid_token"
    title = "Invalid token"
    detail = "This link is not valid; ask for a new one."
    field = "token"


class EmailTokenExpired(InvalidEmailToken):
    code = "token_expired"
    title = "Token expired"
    detail = "This link has expired; ask for a new one."


class EmailTokenUsed(InvalidEmailToken):
    code = "token_used"
    title = "Token used"
    detail = "This link has been used already; ask for a new one if you need to."


class InvalidUnsubscribeToken(Malformed):
    code = "invalid_unsubscribe_token"
    title = "Invalid unsubscribe link"
    detail = "This unsubscribe link is not valid."
    field = "token"


class EmailAlreadyVerified(Conflict):
    code = "email_already_verified"
    title = "E-mail already verified"
    detail = "Your e-mail address is verified already, and no new address waits for verification."


class TooManyVerificationMails(RateLimited):
    code = "too_many_verification_mails"
    title = "Too many verification mails"
    detail = "Several verification mails were sent lately; wait before asking for another."


class EmailNotVerified(Forbidden):
    """Posting waits for a verified address where the deployment asks for one
    (``FLOCK_REQUIRE_VERIFIED_EMAIL``)."""

    code = "email_not_verified"
    title = "E-mail not verified"
    detail = "Verify your e-mail address first: follow the link in the mail we sent you."


_NEW_TOKEN = """
INSERT INTO email_tokens (token_hash, user_id, purpose, email, created_at, expires_at)
VALUES ($1, $2, $3, $4, now(), now() + $5::interval)
"""
# The lookup and the token in one statement, run for every request whether an account has the
# address or not (and whether the address's budget is spent, $4): both answers cost the same.
_RESET_TOKEN = """
WITH account AS (
    SELECT id, username, email FROM users WHERE email = $1 AND status NOT IN ('disabled', 'deleted')
), issued AS (
    INSERT INTO email_tokens (token_hash, user_id, purpose, email, created_at, expires_at)
    SELECT $2, id, 'password_reset', email, now(), now() + $3::interval FROM account WHERE $4
    RETURNING user_id
)
SELECT account.id, account.username, account.email FROM issued JOIN account ON account.id = issued.user_id
"""
_USE_TOKEN = """
UPDATE email_tokens SET used_at = now()
WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > now()
RETURNING user_id, email
"""
_TOKEN_STATE = """
SELECT used_at IS NOT NULL AS used, expires_at <= now() AS expired FROM email_tokens
WHERE token_hash = $1 AND purpose = $2
"""
_ACCOUNT_FOR_UPDATE = "SELECT email, pending_email, status FROM users WHERE id = $1 FOR UPDATE"
_EMAIL_OF_ANOTHER = "SELECT 1 FROM users WHERE email = $1 AND id <> $2"
_MARK_VERIFIED = "UPDATE users SET email_verified = true WHERE id = $1"
_CONFIRM_CHANGE = """
UPDATE users SET email = pending_email, pending_email = NULL, email_verified = true, updated_at = now()
WHERE id = $1
"""
# A reset proves the address its link was mailed to, if that is still the account's.
_SET_PASSWORD = """
UPDATE users SET password_hash = $2, email_verified = email_verified OR email = $3, updated_at = now()
WHERE id = $1 AND status NOT IN ('disabled', 'deleted')
RETURNING id
"""
_VOID_RESETS = """
UPDATE email_tokens SET used_at = now() WHERE user_id = $1 AND purpose = 'password_reset' AND used_at IS NULL
"""
_UNSUBSCRIBE = "UPDATE users SET email_new_posts = 'off', updated_at = now() WHERE id = $1"


class AccountMail:
    """Verification, password reset and unsubscribing, on plain values; knows nothing of HTTP."""

    def __init__(
        self,
        database: Database,
        passwords: Passwords,
        links: Links,
        limiter: RateLimiter,
        *,
        verify_email_ttl: int,
        password_reset_ttl: int,
        address_limit: RateLimit,
    ) -> None:
        self._database = database
        self._passwords = passwords
        self._links = links
        self._limiter = limiter
        self._verify_ttl = datetime.timedelta(seconds=verify_email_ttl)
        self._reset_ttl = datetime.timedelta(seconds=password_reset_ttl)
        # Mails one address may ask for (resets, verification resends) per period, from any client.
        self._address_limit = address_limit

    async def queue_verification(
        self, connection: Connection, account: Account, address: str, *, change: bool
    ) -> None:
        """Queue the mail that verifies ``address`` for ``account``, in the caller's transaction
        (:class:`gateway.users.service.AddressVerification`)."""
        token, digest = new_token()
        await connection.execute(_NEW_TOKEN, digest, account.id, VERIFY_EMAIL, address, self._verify_ttl)
        context = {
            "username": account.username,
            "link": self._links.verify_email(token),
            "address": address,
            "change": change,
        }
        mail = Mail(f"verify_email:{digest}", address, VERIFY_EMAIL, context, "transactional", account.id)
        await enqueue(connection, [mail])

    async def resend_verification(self, account: Account) -> None:
        """A fresh verification mail, to the address waiting for one (else the account's own)."""
        if account.email_verified and account.pending_email is None:
            raise EmailAlreadyVerified()
        decision = await self._limiter.hit("verify_email", str(account.id), self._address_limit)
        if not decision.allowed:
            raise TooManyVerificationMails(extensions={"retry_after": decision.reset_after})
        address = account.pending_email or account.email
        async with self._database.transaction() as connection:
            await self.queue_verification(
                connection, account, address, change=account.pending_email is not None
            )

    async def verify_email(self, token: str) -> None:
        """Use a verification token: its address is verified, and becomes the account's if it was the
        one waiting (:class:`EmailTaken` if another account has taken it meanwhile; the token then
        stays unused)."""
        digest = token_digest(token)
        async with self._database.transaction() as connection:
            used = await connection.fetchrow(_USE_TOKEN, digest, VERIFY_EMAIL)
            if used is None:
                raise await self._refusal(connection, digest, VERIFY_EMAIL)
            user_id, address = used["user_id"], used["email"]
            account = await connection.fetchrow(_ACCOUNT_FOR_UPDATE, user_id)
            if account is None or account["status"] in ("disabled", "deleted"):
                raise InvalidEmailToken()
            if address == account["email"]:
                await connection.execute(_MARK_VERIFIED, user_id)
            elif address == account["pending_email"]:
                await _confirm_change(connection, user_id, address)
            else:
                # Mailed to an address the account has asked to replace, or no longer asks for.
                raise InvalidEmailToken("This link is for an address your account no longer uses.")

    async def request_password_reset(self, email: str) -> None:
        """Mail a reset link if an account (not disabled or deleted) has ``email`` and the address's
        budget allows; the caller learns nothing either way (see the module's docstring)."""
        address = normalize_email(email)
        decision = await self._limiter.hit("password_reset", account_key(address), self._address_limit)
        token, digest = new_token()
        async with self._database.transaction() as connection:
            account = await connection.fetchrow(
                _RESET_TOKEN, address, digest, self._reset_ttl, decision.allowed
            )
            if account is None:
                return
            context = {
                "username": account["username"],
                "link": self._links.reset_password(token),
                "valid_minutes": int(self._reset_ttl.total_seconds()) // 60,
            }
            mail = Mail(
                f"password_reset:{digest}",
                account["email"],
                PASSWORD_RESET,
                context,
                "transactional",
                account["id"],
            )
            await enqueue(connection, [mail])

    async def reset_password(self, token: str, password: str) -> None:
        """Use a reset token: ``password`` becomes the account's, every other reset link of it is
        void, and every session ends (a thief's tokens stop at once)."""
        digest = token_digest(token)
        # Refuse a bad token before spending a hash on it.
        state = await self._database.fetchrow(_TOKEN_STATE, digest, PASSWORD_RESET)
        if state is None or state["used"] or state["expired"]:
            raise _refusal_of(state)
        password_hash = await self._passwords.hash(password)
        async with self._database.transaction() as connection:
            used = await connection.fetchrow(_USE_TOKEN, digest, PASSWORD_RESET)
            if used is None:  # used by a request that came in between
                raise await self._refusal(connection, digest, PASSWORD_RESET)
            user_id: uuid.UUID = used["user_id"]
            if await connection.fetchrow(_SET_PASSWORD, user_id, password_hash, used["email"]) is None:
                raise InvalidEmailToken()
            await connection.execute(_VOID_RESETS, user_id)
            await revoke_all(connection, user_id, reason="password_reset")

    async def unsubscribe(self, token: str) -> str:
        """Turn off what an unsubscribe token names (mail about new posts) for its account; what
        was turned off. An account that is gone has nothing left to turn off: not an error."""
        found = self._links.unsubscribed(token)
        if found is None:
            raise InvalidUnsubscribeToken()
        user_id, what = found
        if what == NEW_POSTS:
            await self._database.execute(_UNSUBSCRIBE, user_id)
        return what

    async def _refusal(self, connection: Connection, digest: str, purpose: str) -> InvalidEmailToken:
        return _refusal_of(await connection.fetchrow(_TOKEN_STATE, digest, purpose))


def _refusal_of(state: object) -> InvalidEmailToken:
    """Why a token was refused, from its row (``used``, ``expired``), or None when it is unknown."""
    if state is None:
        return InvalidEmailToken()
    row: dict[str, bool] = dict(state)  # type: ignore[call-overload]
    if row["used"]:
        return EmailTokenUsed()
    return EmailTokenExpired() if row["expired"] else InvalidEmailToken()


async def _confirm_change(connection: Connection, user_id: uuid.UUID, address: str) -> None:
    """Make the waiting ``address`` the account's; its uniqueness is checked again now."""
    if await connection.fetchrow(_EMAIL_OF_ANOTHER, address, user_id) is not None:
        raise EmailTaken()
    try:
        await connection.execute(_CONFIRM_CHANGE, user_id)
    except asyncpg.UniqueViolationError:
        raise EmailTaken() from None  # taken by a change confirmed at the same moment
