"""``python -m sluice_cli``: the same as the ``sluice`` script."""

from sluice_cli.main import cli

cli()
