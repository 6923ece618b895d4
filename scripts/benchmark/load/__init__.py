"""``just bench``: a load test of a running Flock through its public REST API (``__main__`` is the
command line and says what it measures).

- :mod:`~scripts.benchmark.load.wrk`: the read workloads wrk sends (its Lua script, the request files),
  one wrk run, and its report parsed;
- :mod:`~scripts.benchmark.load.client`: a small asyncio HTTP/1.1 keep-alive client, cheap enough per
  request to generate load on the machine that runs Flock;
- :mod:`~scripts.benchmark.load.mix`: the closed-loop mixed workload (60 % feeds, 30 % walls, 10 % posts);
- :mod:`~scripts.benchmark.load.tables`: the rows and tables it prints;
- :mod:`~scripts.benchmark.load.runner`: one run: seed (with ``scripts/seeding``), then the reads, the
  feed's worst case and the mix.
"""
