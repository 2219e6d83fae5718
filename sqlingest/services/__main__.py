import sys

from sqlingest.services.cli import main

sys.exit(main())
