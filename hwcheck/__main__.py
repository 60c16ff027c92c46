import gc

# No cyclic collection while a command starts: its imports (numpy, rich, typer, hwcheck's
# dataclasses) only allocate long-lived objects, and the collector's passes over them
# cost a one-file grade ~10 ms. cli.run keeps it off for a one-shot command (it ends with
# os._exit); a batch turns it back on before grading a class (grading.batch.grade_many).
gc.disable()

from hwcheck.cli import run  # noqa: E402  (after gc.disable, on purpose)

run()
