"""Backup targets: the command lines of the built-in backup, its retention and its restore, as pure
functions of the task (one module per kind; duplicity is the one there is). Running them is the
runner's (`runner.keyring`) and the CLI's (`cli.restore_task`).

May import: `model`, `config`. Pure: no process, file or network.
"""
