"""`python -m trustscan` runs the command line."""

from trustscan.cli import main

main()
