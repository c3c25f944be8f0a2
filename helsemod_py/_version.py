"""The package's version, importable without importing the package (no cycle through ``__init__``)."""

__version__ = "0.1.0"
