from __future__ import annotations

import pytest

from afina.engine.errors import ConfigError, WorkspaceError
from afina.engine.workspace import find_workspace, init_workspace, open_workspace


def test_init_makes_the_layout(tmp_path):
    ws, created = init_workspace(tmp_path / "w")
    assert created
    for name in ("afina.toml", ".afina/afina.db", "runs", "indexes", "exports"):
        assert (ws.root / name).exists(), name
    ws2, created2 = init_workspace(tmp_path / "w")
    assert not created2 and ws2.root == ws.root


def test_found_from_a_subfolder(tmp_path):
    ws, _ = init_workspace(tmp_path / "w")
    deep = ws.root / "exports" / "a" / "b"
    deep.mkdir(parents=True)
    assert find_workspace(deep).root == ws.root


def test_no_workspace_is_a_clear_error(tmp_path):
    with pytest.raises(WorkspaceError, match="no afina workspace"):
        find_workspace(tmp_path)
    with pytest.raises(WorkspaceError, match="not an afina workspace"):
        open_workspace(tmp_path)


def test_bad_config_is_reported_on_open(tmp_path):
    ws, _ = init_workspace(tmp_path / "w")
    (ws.root / "afina.toml").write_text("[workspace]\nname = 'x'\ncolour = 'red'\n")
    with pytest.raises(ConfigError, match=r"unknown key 'workspace\.colour'"):
        open_workspace(ws.root)
