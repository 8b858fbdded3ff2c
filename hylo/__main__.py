"""``python -m hylo`` is the ``hylo`` command."""

from hylo.cli import main

main()
