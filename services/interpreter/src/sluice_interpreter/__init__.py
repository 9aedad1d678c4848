"""Sluice interpreter: the Faust service that advances runs, routes events and runs actions."""
