"""The parts of ``just bench`` (``scripts/bench.py``, the command line), a load test of a running Flock.

- :mod:`~scripts.benchmark.wrk`: the read workloads wrk sends (its Lua script, the request files), one
  wrk run, and its report parsed;
- :mod:`~scripts.benchmark.client`: a small asyncio HTTP/1.1 keep-alive client, cheap enough per request
  to generate load on the machine that runs Flock;
- :mod:`~scripts.benchmark.mix`: the closed-loop mixed workload (60 % feeds, 30 % walls, 10 % posts);
- :mod:`~scripts.benchmark.report`: percentiles and the Markdown tables;
- :mod:`~scripts.benchmark.runner`: one run: seed (with ``scripts/seeding``), then the reads, the
  feed's worst case and the mix.
"""
