"""Support for e2e and chaos tests: real services as subprocesses, fixtures, helpers."""
