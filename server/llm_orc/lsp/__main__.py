"""`python -m llm_orc.lsp [--tcp] [--host HOST] [--port PORT]`."""

from __future__ import annotations

import sys

from llm_orc.lsp.server import main

sys.exit(main())
