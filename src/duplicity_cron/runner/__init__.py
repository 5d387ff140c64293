"""One run of a task, and the processes it starts: the step chain (`chain`), each step's process
supervised with its timeout and stop escalation (`process`, `escalation`, `lines`), the task lock
(`lock`), cancellation by a shutdown (`cancel`), child processes and reaping as PID 1 (`children`,
`reaper`), and tasks run now, in order (`sequence`, for `exec` and `restore`).

May import: `model`, `config`, `log`, `views`, `state`. Observers of a run (monitoring) come in as a
`model.RunObserver`; the runner never imports them.
"""
