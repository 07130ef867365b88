"""Tracked files describe the software as it is: development history belongs in CHANGELOG.md.

Two kinds of words give history away: the word for a stretch of development work (matched as a
whole word, any case) and nicknames of the machines the work was done on: a definite article or
demonstrative ("the", "this", "that") before a CPU maker and "machine" or "VM", or "this" before
"VM". A hardware description that a measurement needs ("an Intel Xeon VM, family 6 model 167,
2 cores") is not a nickname.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

#: files allowed to hold history
ALLOWED = {"CHANGELOG.md"}

#: the history word, spelled in parts so that this file does not hold it
_WORD = "ses" + "sion"
#: pytest's fixture scope of that name is an API value, not history; only this exact use is allowed
_PYTEST_SCOPE = re.compile(r"""scope\s*=\s*["']""" + _WORD + r"""["']""")

PATTERNS = {
    "history word": re.compile(rf"\b{_WORD}s?\b", re.IGNORECASE),
    "machine nickname": re.compile(
        r"\b(?:the|this|that)\s+(?:AMD|Intel)(?:\s+EPYC|\s+Xeon)?\s+(?:machine|VM)\b|\bthis\s+VM\b",
        re.IGNORECASE,
    ),
}


def _tracked_files() -> list[str]:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    out = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True)
    if out.returncode != 0:
        pytest.skip("not a git checkout")
    return [f for f in out.stdout.decode().split("\0") if f]


def _text(path: Path) -> str | None:
    """The file's text, or None for a binary (a NUL byte or not UTF-8) or missing file."""
    try:
        data = path.read_bytes()
    except (FileNotFoundError, IsADirectoryError):
        return None  # deleted in the working tree, or a submodule
    if b"\0" in data[:8192]:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def hits(root: Path = ROOT, files: list[str] | None = None) -> list[str]:
    """Every match as 'path:line: kind: text'."""
    found = []
    for name in files if files is not None else _tracked_files():
        if name in ALLOWED:
            continue
        text = _text(root / name)
        if text is None:
            continue
        text = _PYTEST_SCOPE.sub("scope=<pytest scope>", text)
        for kind, pattern in PATTERNS.items():
            for m in pattern.finditer(text):
                line = text.count("\n", 0, m.start()) + 1
                found.append(f"{name}:{line}: {kind}: {' '.join(m.group(0).split())!r}")
    return found


def test_no_history_outside_changelog():
    found = hits()
    assert not found, "development history outside CHANGELOG.md:\n" + "\n".join(found)


def test_the_check_finds_what_it_should(tmp_path):
    (tmp_path / "a.md").write_text(f"Measured in {_WORD.upper()} 3 on the Intel\nVM.\n")
    (tmp_path / "b.py").write_text(f'@pytest.fixture(scope="{_WORD}")\ndef f(): ...\n# an Intel Xeon VM, 2 cores\n')
    (tmp_path / "c.bin").write_bytes(b"\0" + _WORD.encode())
    (tmp_path / "CHANGELOG.md").write_text(_WORD)
    found = hits(tmp_path, ["a.md", "b.py", "c.bin", "CHANGELOG.md"])
    assert [h.split(": ")[:2] for h in found] == [["a.md:1", "history word"], ["a.md:1", "machine nickname"]]
