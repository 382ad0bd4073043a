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


class KhabarError(Exception):
    """A problem the user can fix (bad path, bad option); the CLI prints it as one line."""
