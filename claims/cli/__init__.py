"""The `claimflow` command, one module per command group (app.py adds them up): a thin layer over
service and reads. May import every claims package but web."""
