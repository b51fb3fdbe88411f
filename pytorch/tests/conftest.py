"""Shared helpers: a tiny corpus, and the console scripts of the installed package."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

TINY = """# a tiny corpus: question<TAB>answer
hello\thello, how are you?
hi\thi there!
how are you?\ti am fine, thank you.
what is your name?\ti am a chatbot.
goodbye\tgoodbye, see you soon!
thank you\tyou are welcome.
what can you do?\ti answer questions.
are you a robot?\ti am a program.
"""


@pytest.fixture
def tiny_tsv(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.tsv"
    path.write_text(TINY, encoding="utf-8")
    return path


def script(name: str) -> list[str]:
    """The command of a console script: beside this Python when installed, else python -m."""
    found = shutil.which(name, path=os.path.dirname(sys.executable))
    if found:
        return [found]
    return [sys.executable, "-m", {"lstmchat-torch-train": "lstmchat_torch.train",
                                   "lstmchat-torch-ask": "lstmchat_torch.ask"}[name]]


def run(command: list[str], cwd: Path | None = None, columns: int = 1000) -> subprocess.CompletedProcess[str]:
    """Runs a command, its help unwrapped (argparse wraps to $COLUMNS)."""
    environment = dict(os.environ, COLUMNS=str(columns))
    return subprocess.run(command, capture_output=True, text=True, cwd=cwd, env=environment, timeout=600)
