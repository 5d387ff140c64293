"""Around every run, and the verdict on them: one observer module each — run history (`recorder`),
Prometheus (`prometheus`), Apprise notifications (`notifications`), ping monitors (`pings`) — all with
the same two methods, `run_started` and `run_finished`, told in turn by `fanout`; and `health`, the
judgement of the heartbeat and the history (pure).

May import: `model`, `config`, `log`, `state`, `views`.
"""
