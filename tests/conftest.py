"""Shared test configuration.

The stack fixtures (``stack``, ``database_url``, ``kafka_bootstrap_servers``,
``tenant_id``, ``topic_prefix``, ``topics``) come from the plugin below; they
start nothing until a test asks for them.
"""

pytest_plugins = ["fixtures.stack"]
