"""The stats service: statistics of posts and authors from the event log, in ClickHouse."""
