"""The Spark application of ``sqlingest submit``: ``spark-submit … sqlingest/submit_app.py build --project-dir …``
runs ``sqlingest build`` in the driver spark-submit starts (docs/cluster.md); its exit code is the build's."""

import sys

from sqlingest.cli import main

if __name__ == "__main__":
    sys.exit(main())
