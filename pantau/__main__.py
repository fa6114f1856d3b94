"""``python -m pantau``: the same command line as the ``pantau`` script, for a machine
where the package is on ``PYTHONPATH`` but not installed (a borrowed GPU machine)."""

from pantau.cli import app

app()
