"""`python -m trustscan` runs the command line."""

from trustscan.cli.main import run

run()
