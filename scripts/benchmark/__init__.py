"""Flock's benchmarks, one package each, in one shape: a ``__main__`` with the command line (``--help``
says what it measures), modules for its parts, and Markdown tables printed through :mod:`report`.

- :mod:`~scripts.benchmark.load` (``just bench``): the running system through its REST API, with wrk
  and a mixed workload;
- :mod:`~scripts.benchmark.stats` (``just bench-stats``): the stats pipeline on its own: ingest,
  like→visible latency, queries;
- :mod:`~scripts.benchmark.feed_search` (``just bench-feed``): the posts service's feed and search
  queries on a large table, over gRPC.

The stats and feed benchmarks start their own servers through ``scripts/devstack``, as ``just up`` and
the tests do. Shared: :mod:`~scripts.benchmark.report` (percentiles, tables),
:mod:`~scripts.benchmark.cli` (the parser), :mod:`~scripts.benchmark.timing` (timing calls one at a
time) and :mod:`~scripts.benchmark.errors`.
"""
