"""`python -m sim` is the same as `escsim`."""

from sim.cli import main

main()
