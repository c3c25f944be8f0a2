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


class RegistryError(HelsemodError):
    """The registry of personnel groups (``helsemod_py/groups.yaml``) is invalid or incomplete."""


#: Longest quotation of a user's file in an error message (characters of its repr).
QUOTE_LIMIT = 40


def quote(value, limit: int = QUOTE_LIMIT) -> str:
    """A short, printable quotation of a value read from a user's file, for an error message.

    Control and other non-printable characters are escaped (``repr``) and the quotation is cut at
    ``limit`` characters (then ``...``), so a message never echoes more than a fragment of a file
    that may not be the user's to show (``/proc/self/environ``, a key file, a binary).
    """
    text = repr(value.isoformat()) if hasattr(value, "isoformat") else repr(value)
    return text if len(text) <= limit else text[: max(limit - 3, 1)] + "..."


class Terminated(BaseException):
    """SIGTERM arrived: unwind (``finally`` blocks remove temporary folders) and exit.

    A ``BaseException``, like ``KeyboardInterrupt``, so that no ``except Exception`` stops it."""
