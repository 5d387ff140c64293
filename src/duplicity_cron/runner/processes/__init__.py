"""Supervising processes: one step's process group run and stopped (`step`, `escalation`), its output
split into lines, the runner's own children kept from the reaper (PID 1), and cancellation."""
