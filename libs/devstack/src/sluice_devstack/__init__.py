"""Sluice local stack: real Kafka (Maven jars, KRaft) + embedded PostgreSQL, no Docker.

Public entry points:

- ``stack.start_stack(StackOptions) -> RunningStack`` (``.database_url``,
  ``.kafka_bootstrap_servers``, ``.timings``, ``.adopt(child)``, ``.stop()``);
- ``kafka_jars.ensure_kafka_jars(cache_dir)`` (what ``sluice setup`` runs);
- ``dev.run_dev(DevPlan, echo)`` (what ``sluice dev`` runs);
- ``services.SERVICES`` (the services ``sluice dev`` starts, as data);
- ``ports.free_port()``; errors in ``errors`` (root ``DevstackError``).

How it works, ports, cache layout, troubleshooting: ``deploy/local/README.md``.
"""
