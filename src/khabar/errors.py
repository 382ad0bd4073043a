"""Bad input is reported, never dropped: one line per record, naming the file and line."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class RecordError:
    """A record that could not be read: ``file``, 1-based ``line`` (0 for a whole file), why."""

    file: str
    line: int
    message: str
    id: str | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.message}"

    def to_json(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "id": self.id, "error": self.message}

    @classmethod
    def at(cls, origin: str, message: str, id: str | None = None) -> RecordError:
        """The error of the record from ``origin``: ``file:line``, or a file's path (an article of its own)."""
        file, _, line = origin.rpartition(":")
        if not (file and line.isdigit()):  # the path itself, colons and all
            file, line = origin, "0"
        return cls(file, int(line), message, id)


class KhabarError(Exception):
    """A problem the user can fix (bad path, bad option); the CLI prints it as one line."""
