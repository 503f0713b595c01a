"""Start chatrec's web page: `python app.py [--host H] [--port P] [--catalog PATH] [--map F=S ...] [--llm MODE]`."""

import sys

from chatrec.ui.app import main

if __name__ == "__main__":
    sys.exit(main())
