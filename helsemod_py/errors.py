"""Domain errors. Each carries one line per problem so the CLI can print them plainly."""

from __future__ import annotations


class HelsemodError(Exception):
    """Base class for errors a user can fix; the CLI prints them without a traceback."""

    def __init__(self, problems):
        if isinstance(problems, str):
            problems = [problems]
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


class DatasetError(HelsemodError):
    """A dataset folder or file is missing, malformed or out of range."""


class ScenarioError(HelsemodError):
    """A scenario file or object is invalid."""


class ImportDataError(HelsemodError):
    """An SSB file could not be imported."""
