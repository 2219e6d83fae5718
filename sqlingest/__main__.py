import sys

from sqlingest.cli import main

sys.exit(main())
