from hwcheck.cli import run

run()
