"""Containers of a Docker-compatible engine that a task's run acts on, named by their labels:
`labels` (pure: the labels read into each task's plan) and `engine` (the edge: the engine's API,
through the `docker` library, imported only when a run needs it)."""
