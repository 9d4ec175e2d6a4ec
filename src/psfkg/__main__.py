"""``python -m psfkg``: the same as the ``psfkg`` command."""

from .cli import main

main()
