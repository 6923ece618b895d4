"""``just bench-feed``: ListFeed and SearchPosts of the posts service on a large posts table.

It needs nothing running: it starts an embedded PostgreSQL in a temporary folder and the posts
service as the local runner defines it (migrations first, through ``scripts/devstack``), then writes
the posts straight into the database with COPY: ``--posts`` (100k) posts by ``--authors`` (1000)
authors whom the reader follows, and ``--other-posts`` (100k) by ``--other-authors`` (10k) whom they
do not, spread over 90 days (UUIDv7 ids of those times), 75 % public, 20 % followers-only, 5 %
private, 5 to 40 words each from a small vocabulary in which "coffee" is in about 30 % of the posts.
Then VACUUM ANALYZE, as autovacuum would have done by then (the feed's per-author scans are index-only
once the visibility map is set); ``--no-vacuum`` only analyzes, as for posts written since the last
vacuum. ``--hidden`` suspended and ``--purged`` deleted accounts (none of them authors here) measure
what the hidden-accounts filter costs the reads; ``--blocks`` and ``--mutes``, accounts the reader
blocks and mutes (none of them authors here either), what the blocks-and-mutes filter costs them.

Each case is called ``--times`` (50) times over gRPC, one at a time, after 5 warm-up calls; it prints
a Markdown table of p50/p99, then the EXPLAIN ANALYZE of the feed's and the search's queries.
Everything shares one machine: compare runs on the same machine only.
"""
