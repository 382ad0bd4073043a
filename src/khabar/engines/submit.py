"""Entry script for ``spark-submit``: ``spark-submit [options] submit.py INPUTS... --out OUT [--format F]``.

Runs ``khabar scan --engine spark`` in the driver that spark-submit started, so the cluster's master
and configuration apply.  Print this file's path with
``python -c "import khabar.engines.submit as m; print(m.__file__)"``.
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> None:
    from khabar.cli import main as cli_main

    sys.argv = ["khabar", "scan", "--engine", "spark", *(sys.argv[1:] if argv is None else argv)]
    cli_main()


if __name__ == "__main__":
    main()
