"""Test plugins, loaded by the real services through ``WF_PLUGINS=plugins.test_actions:register``
(with ``tests/`` on ``PYTHONPATH``) and directly by in-process engine tests."""
