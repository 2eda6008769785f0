"""careloop: Medicare care management and case management."""

__version__ = "0.1.0"
