"""The gateway's PostgreSQL database: its tables (for the migrations) and the one object every
gateway service queries through (:class:`servicekit.database.Database`), as the posts service does."""

from __future__ import annotations

from piccolo.table import Table

from gateway.account_mail.tables import EmailToken
from gateway.auth.tables import AuthSession, RefreshToken
from gateway.blocks.tables import Block, Mute
from gateway.graph.tables import Follow
from gateway.http.ratelimit import RateLimitBucket
from gateway.mail.tables import DigestItem, OutgoingMail
from gateway.moderation.tables import AuditEntry
from gateway.notifications.tables import Notification, NotificationActor, NotifierEvent
from gateway.outbox import OutboxEvent
from gateway.reports.tables import Report
from gateway.users.tables import User
from servicekit.database import Database

TABLES: list[type[Table]] = [
    User,
    AuthSession,
    RefreshToken,
    RateLimitBucket,
    Follow,
    AuditEntry,
    Report,
    OutboxEvent,
    Block,
    Mute,
    Notification,
    NotificationActor,
    NotifierEvent,
    OutgoingMail,
    EmailToken,
    DigestItem,
]


class GatewayDatabase(Database):
    """The gateway's database: users, sessions, the graph, rate-limit counters, the audit log,
    reports, blocks and mutes, and the outbox of account and relationship events."""
