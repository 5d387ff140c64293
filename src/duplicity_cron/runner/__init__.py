"""One run of a task, and the processes it starts.

`context` holds what the runs of one process share (`RunContext`, built once by `cli` or `daemon`) and
one run inside its task's lock (`LockedRun`); `locked_run` is what every run goes through (the lock,
the in-progress record, lost runs, the observers told); `task_run` a backup run (its `steps`, the
`chain` of them, the `backup_evidence` it gathers, `target_contents` after it); `verify_backup` a
drill; `restore_backup` a restore; `foreground` tasks run now, in order (`exec`, `restore`);
`keyring` the built-in commands' GNUPGHOME; `processes/` the supervision of each step's process.

May import: `model`, `databases`, `config`, `log`, `views`, `state`, `targets`. Observers of a run
(monitoring) come in as a `model.RunObserver`; the runner never imports them.
"""
