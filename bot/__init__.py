"""Runtime of the Hoofdzaak Werk assistant: config, wiring, storage, services, CLI, console."""

__version__ = "0.1.0"
