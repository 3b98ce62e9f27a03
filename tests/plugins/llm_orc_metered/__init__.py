"""A third-party provider plugin, as a package would ship one (see `provider.py`)."""
