"""The daemon (`run`): its plan (`plan`), the scheduling loop behind an injected clock (`scheduler`,
`clock`), the runs it starts in threads (`runs`), and the assembly of heartbeat, metrics, signals and
reaper around them (`service`).

May import: `model`, `config`, `log`, `views`, `state`, `runner`, `monitoring`.
"""
