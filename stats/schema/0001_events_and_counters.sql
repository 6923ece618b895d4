-- The event log and the counters built from it. See stats/ingest.py for how a batch is written.

-- Every event once, as it arrived: what a rebuild of the counters would start from, and where the
-- consumer looks up event ids to drop duplicates. Ordered by event_id (UUIDv7, so by time): the ids of
-- a batch fall in the newest granules. kafka_* says where the event was read, which tells a
-- redelivery of the same record from a second copy of the event.
CREATE TABLE IF NOT EXISTS events
(
    event_id UUID,
    type LowCardinality(String),
    occurred_at DateTime64(3, 'UTC'),
    post_id UUID,
    author_id UUID,
    actor_id Nullable(UUID),
    viewer_key String,
    comment_id Nullable(UUID),
    kafka_topic LowCardinality(String),
    kafka_partition UInt32,
    kafka_offset UInt64,
    ingested_at DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree
ORDER BY event_id;

-- The counter tables share their value columns: a post's author, net likes, views, net comments,
-- whether the post was deleted, and `mark`. Rows whose key names a Kafka partition (see
-- stats/ingest.py) carry in `mark` the last offset of that partition whose events this table has
-- counted, as (epoch, offset); other rows carry (0, -1), which means nothing.

-- All-time counts per post: GetPostStats, the all-time rankings, and which posts are deleted.
CREATE TABLE IF NOT EXISTS post_totals
(
    post_id UUID,
    author_id SimpleAggregateFunction(any, UUID),
    likes SimpleAggregateFunction(sum, Int64),
    views SimpleAggregateFunction(sum, Int64),
    comments SimpleAggregateFunction(sum, Int64),
    deleted SimpleAggregateFunction(max, UInt8),
    mark SimpleAggregateFunction(max, Tuple(UInt32, Int64))
)
ENGINE = AggregatingMergeTree
ORDER BY post_id
SETTINGS index_granularity = 256;

-- Counts per UTC hour, ordered by hour: the first, partial day of a ranking's period.
CREATE TABLE IF NOT EXISTS post_hours
(
    hour DateTime('UTC'),
    post_id UUID,
    author_id SimpleAggregateFunction(any, UUID),
    likes SimpleAggregateFunction(sum, Int64),
    views SimpleAggregateFunction(sum, Int64),
    comments SimpleAggregateFunction(sum, Int64),
    deleted SimpleAggregateFunction(max, UInt8),
    mark SimpleAggregateFunction(max, Tuple(UInt32, Int64))
)
ENGINE = AggregatingMergeTree
ORDER BY (hour, post_id);

-- Counts per UTC day, ordered by day: the whole days of a ranking's period, and Activity (a post's
-- rows of each day are found through the index; small granules, so little else is read).
CREATE TABLE IF NOT EXISTS post_days
(
    day Date,
    post_id UUID,
    author_id SimpleAggregateFunction(any, UUID),
    likes SimpleAggregateFunction(sum, Int64),
    views SimpleAggregateFunction(sum, Int64),
    comments SimpleAggregateFunction(sum, Int64),
    deleted SimpleAggregateFunction(max, UInt8),
    mark SimpleAggregateFunction(max, Tuple(UInt32, Int64))
)
ENGINE = AggregatingMergeTree
ORDER BY (day, post_id)
SETTINGS index_granularity = 256;

-- Who viewed a post on which day, each viewer once: unique viewers per day, and all time. A set, so
-- writing a view twice changes nothing.
CREATE TABLE IF NOT EXISTS viewers
(
    post_id UUID,
    day Date,
    viewer_key String
)
ENGINE = ReplacingMergeTree
ORDER BY (post_id, day, viewer_key)
SETTINGS index_granularity = 256;
