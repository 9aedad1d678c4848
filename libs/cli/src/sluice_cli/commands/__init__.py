"""One module per ``sluice`` sub-command.

Contract: a module here defines ``command``, a ``click.Command`` or
``click.Group`` (its name is the sub-command's name); ``sluice_cli.main``
registers it automatically. Keep imports of heavy libraries inside the command
function so ``sluice --help`` stays fast.
"""
