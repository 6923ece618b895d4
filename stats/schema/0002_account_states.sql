-- Each account's latest status, from AccountStatusChanged (flock.events.accounts): which authors the
-- rankings leave out. See stats/queries.py. The events themselves also go into `events` (so copies are
-- dropped by event_id like any other), with the nil UUID as post_id and the account as author_id.

-- One row per account once merged: the highest `version` wins whatever order the events arrive in,
-- and writing an event again (a redelivery, a second copy) changes nothing. Until a merge an account
-- may have several rows, so readers take it FINAL. `hidden_until` is compared when a ranking is
-- computed: a suspension ends by itself, with no further event and nothing to rewrite. Small (one row
-- per account that ever changed status), so reading it whole per ranking costs little.
CREATE TABLE IF NOT EXISTS account_states
(
    account_id UUID,
    version Int64,
    status LowCardinality(String),
    hidden Bool,
    hidden_until Nullable(DateTime64(3, 'UTC')),
    event_id UUID,
    occurred_at DateTime64(3, 'UTC'),
    ingested_at DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(version)
ORDER BY account_id;
