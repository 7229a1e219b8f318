"""frontdesk entry point: `python bot.py [COMMAND]`; see `python bot.py --help`. Wiring only."""

import sys

from frontdesk.cli import main

if __name__ == "__main__":
    sys.exit(main())
