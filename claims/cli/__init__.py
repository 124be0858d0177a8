"""The `claimflow` command: a thin layer over service and reads. May import every claims package but web."""
