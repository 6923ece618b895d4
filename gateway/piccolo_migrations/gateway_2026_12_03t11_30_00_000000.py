"""Moderation's needs beyond the tables: the audit log made append-only, the indexes of its filters,
one open report per reporter and target, the report queue's order, and the outbox's notification.

Written by hand from Piccolo's empty-migration template (``piccolo migrations new gateway``).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-03T11:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "moderation constraints"

FORWARDS = [
    # The audit log is append-only for everyone who can connect, the service's own role included: an
    # UPDATE, DELETE or TRUNCATE fails, whatever code issues it. (Only dropping the trigger, a schema
    # change, would allow one: that is a migration, reviewed and recorded.)
    """
    CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END $$
    """,
    """
    CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()
    """,
    """
    CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()
    """,
    # The log is read newest first, filtered by actor, target or action (ids are UUIDv7: time order).
    "CREATE INDEX audit_log_by_actor ON audit_log (actor_id, id)",
    "CREATE INDEX audit_log_by_target ON audit_log (target_type, target_id, id)",
    "CREATE INDEX audit_log_by_action ON audit_log (action, id)",
    # One open report per reporter and target; decided ones do not count.
    """
    CREATE UNIQUE INDEX reports_one_open_per_reporter ON reports (reporter_id, target_type, target_id)
    WHERE status = 'open'
    """,
    # The queue, by status, oldest first; a reporter's own, newest first; a target's open reports.
    "CREATE INDEX reports_by_status ON reports (status, id)",
    "CREATE INDEX reports_by_reporter ON reports (reporter_id, id)",
    "CREATE INDEX reports_by_target ON reports (target_type, target_id) WHERE status = 'open'",
    # The admin user list filters by these.
    "CREATE INDEX users_by_status ON users (status, username)",
    "CREATE INDEX users_email_prefix ON users (email varchar_pattern_ops)",
    # The relay wakes on commit (channel gateway.outbox.OUTBOX.channel), and deletes old published rows.
    """
    CREATE FUNCTION gateway_outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM pg_notify('flock_gateway_outbox', '');
        RETURN NULL;
    END $$
    """,
    """
    CREATE TRIGGER outbox_notify AFTER INSERT ON outbox
    FOR EACH STATEMENT EXECUTE FUNCTION gateway_outbox_notify()
    """,
    "CREATE INDEX outbox_published_at ON outbox (published_at) WHERE published_at IS NOT NULL",
    "CREATE INDEX outbox_unpublished ON outbox (id) WHERE published_at IS NULL",
]

BACKWARDS = [
    "DROP INDEX outbox_unpublished",
    "DROP INDEX outbox_published_at",
    "DROP TRIGGER outbox_notify ON outbox",
    "DROP FUNCTION gateway_outbox_notify()",
    "DROP INDEX users_email_prefix",
    "DROP INDEX users_by_status",
    "DROP INDEX reports_by_target",
    "DROP INDEX reports_by_reporter",
    "DROP INDEX reports_by_status",
    "DROP INDEX reports_one_open_per_reporter",
    "DROP INDEX audit_log_by_action",
    "DROP INDEX audit_log_by_target",
    "DROP INDEX audit_log_by_actor",
    "DROP TRIGGER audit_log_no_truncate ON audit_log",
    "DROP TRIGGER audit_log_append_only ON audit_log",
    "DROP FUNCTION audit_log_append_only()",
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
