"""``just bench-stats``: benchmark the stats service: ingest throughput, like→visible latency, query latency.

It needs nothing running. It starts a Kafka-protocol broker (Tansu, as ``just up`` does) and stats
processes as the local runner defines them (``python -m stats setup``, then ``python -m stats``: the
consumer and the gRPC API in one process, on the embedded ClickHouse, chdb), each on a fresh data path
in a temporary folder, and measures from the outside: events in through the broker, answers out
through gRPC, as the publishers and the gateway see them.

1. **Ingest**: ``--events`` (1M) events, 100 per post, published as fast as one Python producer can
   while a stats process consumes them; events/s from the first publish until GetPostStats shows every
   one counted (all posts checked exactly). Then a second stats process (a fresh data path and
   consumer group) drains the same events from the broker: events/s of the consumer alone.
2. **Like→visible**: views published at a steady ``--rate`` (1k) events/s while a probe likes a post,
   then polls GetPostStats until the like shows; p50/p99 over ``--seconds`` (20 s), after 3 s of
   warm-up.
3. **Queries**: ``--rows`` (10M) events generated straight into a fresh ClickHouse data path with
   INSERT … SELECT FROM numbers() (the ``events`` table, then the counter tables from it, as ingest would
   have left them: 100k posts by 20k authors over 30 days, popularity skewed, most activity in a post's
   first day, merges let settle), served by ``python -m stats serve``; p50/p99 of each call, one at a
   time. Rankings twice: computed afresh on every call (``FLOCK_STATS_RANKING_TTL_MS=0``), and as
   served by default, each computed at most once per 0.5 s and shared meanwhile.

Everything shares one machine (the producer, the broker, the service, the probes): compare runs on the
same machine only. Prints a Markdown table.
"""
