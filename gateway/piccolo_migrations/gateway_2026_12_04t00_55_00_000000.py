"""What the notification and mail tables need beyond Piccolo's tables: the sequences that order
notifications and follow events, the indexes they are read by, and the trigger that wakes the mail
sender when a mail is queued (as the outbox's wakes its relay).

Written by hand from Piccolo's empty-migration template (``piccolo migrations new gateway``).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-04T00:55:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "notification and mail indexes"

FORWARDS = [
    "CREATE SEQUENCE notification_seq",
    "ALTER TABLE notifications ALTER COLUMN seq SET DEFAULT nextval('notification_seq')",
    # The version of follow events: taken under the pair's lock, so one pair's versions increase.
    "CREATE SEQUENCE follow_event_version",
    "CREATE INDEX notifications_listed ON notifications (recipient_id, seq)",
    "CREATE INDEX notifications_unread ON notifications (recipient_id) WHERE read_at IS NULL",
    "CREATE INDEX notifications_by_post ON notifications (post_id) WHERE post_id IS NOT NULL",
    "CREATE INDEX notifications_by_comment ON notifications (comment_id) WHERE comment_id IS NOT NULL",
    "CREATE INDEX notification_actors_by_actor ON notification_actors (actor_id)",
    "CREATE INDEX notifier_events_by_age ON notifier_events (processed_at)",
    "CREATE INDEX mail_outbox_due ON mail_outbox (next_attempt_at) WHERE status = 'queued'",
    "CREATE INDEX mail_outbox_leased ON mail_outbox (leased_until) WHERE status = 'sending'",
    "CREATE INDEX mail_outbox_sent_to ON mail_outbox (address, accepted_at)"
    " WHERE category = 'notification' AND accepted_at IS NOT NULL",
    "CREATE INDEX email_tokens_by_user ON email_tokens (user_id, purpose)",
    "CREATE INDEX digest_items_waiting ON digest_items (recipient_id, created_at)",
    """
    CREATE FUNCTION mail_outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM pg_notify('flock_mail_outbox', '');
        RETURN NULL;
    END $$
    """,
    "CREATE TRIGGER mail_outbox_queued AFTER INSERT ON mail_outbox"
    " FOR EACH STATEMENT EXECUTE FUNCTION mail_outbox_notify()",
]

BACKWARDS = [
    "DROP TRIGGER mail_outbox_queued ON mail_outbox",
    "DROP FUNCTION mail_outbox_notify()",
    "DROP INDEX digest_items_waiting",
    "DROP INDEX email_tokens_by_user",
    "DROP INDEX mail_outbox_sent_to",
    "DROP INDEX mail_outbox_leased",
    "DROP INDEX mail_outbox_due",
    "DROP INDEX notifier_events_by_age",
    "DROP INDEX notification_actors_by_actor",
    "DROP INDEX notifications_by_comment",
    "DROP INDEX notifications_by_post",
    "DROP INDEX notifications_unread",
    "DROP INDEX notifications_listed",
    "DROP SEQUENCE follow_event_version",
    "ALTER TABLE notifications ALTER COLUMN seq DROP DEFAULT",
    "DROP SEQUENCE notification_seq",
]


class RawTable(Table):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="gateway", description=DESCRIPTION)

    async def create():
        for statement in FORWARDS:
            await RawTable.raw(statement)

    async def drop():
        for statement in BACKWARDS:
            await RawTable.raw(statement)

    manager.add_raw(create)
    manager.add_raw_backwards(drop)
    return manager
