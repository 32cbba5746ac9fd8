"""Allow ``python -m athena``."""

from athena.cli import main

main()
