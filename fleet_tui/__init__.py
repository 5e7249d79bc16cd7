"""fleet-tui: a terminal client for LangSmith Fleet agents."""

__version__ = "0.1.0"
