"""afina in a real terminal: the console script under tmux, driven by keys, read off the screen."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from afina.engine.workspace import init_workspace

pytestmark = [
    pytest.mark.tmux,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
]

AFINA = Path(sys.executable).parent / "afina"
WAIT = 20.0  # seconds: start-up on a cold cache can take a few


class Tmux:
    """One detached tmux session on a private server socket, so no user session is touched."""

    def __init__(self, socket: str, session: str) -> None:
        self.socket = socket
        self.session = session

    def run(self, *args: str) -> str:
        done = subprocess.run(
            ["tmux", "-L", self.socket, "-f", os.devnull, *args],
            capture_output=True,
            text=True,
            timeout=10,
        )
        return done.stdout

    def screen(self) -> str:
        return self.run("capture-pane", "-p", "-t", self.session)

    def keys(self, *keys: str, literal: bool = False) -> None:
        self.run("send-keys", "-t", self.session, *(["-l"] if literal else []), *keys)

    def wait_for(self, check: Callable[[str], bool], what: str) -> str:
        deadline = time.monotonic() + WAIT
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen()
            if check(screen):
                return screen
            time.sleep(0.2)
        raise AssertionError(f"timed out waiting for {what}; the screen was:\n{screen}")

    def kill(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True, timeout=10)


def test_afina_in_tmux(tmp_path: Path) -> None:
    ws, _ = init_workspace(tmp_path / "ws")
    chats = ws.root / "chats"
    chats.mkdir()
    (chats / "sample.json").write_text(
        json.dumps(
            [
                {
                    "id": "t1",
                    "conversations": [
                        {"from": "human", "value": "Where is the tmux manual?"},
                        {"from": "gpt", "value": "Type man tmux in a shell."},
                    ],
                },
            ]
        ),
        encoding="utf-8",
    )

    tmux = Tmux(f"afina-test-{os.getpid()}", "afina")
    # The shell line reports afina's exit code, so a clean quit is visible on the screen.
    command = f"{AFINA}; echo AFINA-EXITED $?; sleep 30"
    try:
        tmux.run(
            "new-session",
            "-d",
            "-s",
            tmux.session,
            "-x",
            "120",
            "-y",
            "40",
            "-c",
            str(ws.root),
            command,
        )
        tmux.wait_for(lambda s: "0 sources" in s and "Quit" in s, "the Home screen")

        tmux.keys("i")
        tmux.wait_for(lambda s: "Enter scans it" in s, "the Import screen")
        tmux.keys("chats/sample.json", literal=True)
        tmux.keys("Enter")
        screen = tmux.wait_for(lambda s: "Where is the tmux manual?" in s, "the preview")
        assert "sharegpt" in screen and "ready" in screen

        tmux.keys("i")  # focus is on the candidates now, so `i` imports
        tmux.wait_for(lambda s: "1 imported" in s, "the import summary")
        tmux.keys("h")
        screen = tmux.wait_for(lambda s: "1 source · 1 conversation" in s, "Home's new counts")
        assert "chats/sample.json" in screen

        tmux.keys("q")
        screen = tmux.wait_for(lambda s: "AFINA-EXITED" in s, "afina to exit")
        assert "AFINA-EXITED 0" in screen
    finally:
        tmux.kill()
