"""Hostile files given to `afina import`: each is refused (or skipped) in one line, quickly,
in bounded memory, and never with a traceback.

The imports that could blow up run in a child process under an address-space cap, and the
child's own peak resident memory is read back, so a regression fails the test instead of
taking the machine down with it.
"""

from __future__ import annotations

import json
import os
import stat
import struct
import subprocess
import sys
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from support import make_file

from afina.engine.errors import ParseError
from afina.engine.ingest import inputs
from afina.engine.ingest.jsonio import load_json, stream_items
from afina.tui.cli import main

# The child's address space is capped here; its peak resident memory must stay under PEAK_MB.
CAP_BYTES = 1024**3
PEAK_MB = 300

# Run in the child: cap memory, set module constants (to reach a limit with a small file),
# run the CLI, and write the peak resident memory (KiB) to a file, leaving stdout alone.
# The peak is VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the forking process
# (pytest, however big it has grown) into the program it executes.
DRIVER = """
import importlib, json, resource, sys
cap, patches, peak_file, *argv = sys.argv[1:]
resource.setrlimit(resource.RLIMIT_AS, (int(cap), int(cap)))
for dotted, value in json.loads(patches).items():
    module, _, name = dotted.rpartition(".")
    setattr(importlib.import_module(module), name, value)
from afina.tui.cli import main
try:
    code = main(argv)
finally:
    try:
        with open("/proc/self/status") as status:
            peak = status.read().split("VmHWM:")[1].split()[0]
    except (OSError, IndexError):
        peak = str(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    with open(peak_file, "w") as f:
        f.write(peak)
sys.exit(code)
"""

WHATSAPP = "31/01/23, 14:05 - Ana: Oi, tudo bem?\n31/01/23, 14:06 - Bia: Tudo, e contigo?\n"


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    assert main(["init", str(tmp_path / "w")]) == 0
    return tmp_path / "w"


def afina_child(
    ws: Path, *args: str | bytes, patches: Mapping[str, object] | None = None, timeout: int = 60
) -> tuple[int, str, float]:
    """Run `afina --workspace WS ARGS` in a child: its exit code, output (stdout and stderr
    together) and peak resident memory in MB."""
    peak = ws.parent / "peak.txt"
    cmd: list[str | bytes] = [sys.executable, "-c", DRIVER, str(CAP_BYTES)]
    cmd += [json.dumps(patches or {}), str(peak), "--workspace", str(ws), "import", *args]
    env = {**os.environ, "COLUMNS": "250", "NO_COLOR": "1"}
    done = subprocess.run(cmd, cwd=ws, env=env, capture_output=True, timeout=timeout, check=False)
    output = (done.stdout + done.stderr).decode("utf-8", "replace")
    return done.returncode, output, int(peak.read_text()) / 1024


def the_line(output: str, status: str) -> str:
    """The one line saying a file was ``status`` (refused, skipped), and no traceback."""
    assert "Traceback" not in output, output
    lines = [ln.strip() for ln in output.splitlines() if ln.strip().startswith(status)]
    assert len(lines) == 1, output
    if status == "refused":  # one file refused: that line is all the person sees
        assert output.strip() == lines[0], output
    return lines[0]


# ---------------------------------------------------------------- JSON nesting (finding 4)


def test_deeply_nested_json_past_the_streaming_threshold_is_refused_in_bounded_memory(ws):
    # 100,000 levels: before, ijson's bookkeeping grew with the square of the depth (18 GB).
    # The streaming threshold is lowered so that a 200 KB file takes the streamed path.
    path = ws / "deep.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    code, output, peak = afina_child(
        ws,
        str(path),
        "--format",
        "sharegpt",
        patches={"afina.engine.ingest.jsonio.WHOLE_LIMIT": 1024},
    )
    assert code == 2
    line = the_line(output, "refused")
    assert "deep.json" in line and "line 1: JSON nested deeper than 200 levels" in line
    assert peak < PEAK_MB


def test_nesting_just_past_the_limit_is_refused_in_a_whole_document(ws, capsys):
    # 201 levels (a list, an object, 199 lists) parse fine with json.loads; the limit is the
    # same on every path.
    doc = [{"conversations": [{"from": "human", "value": "oi"}], "x": [[[]]]}]
    deep = json.dumps(doc).replace("[[[]]]", "[" * 199 + "]" * 199)
    (ws / "deep.json").write_text(deep)
    code = main(["--workspace", str(ws), "import", str(ws / "deep.json"), "--format", "sharegpt"])
    line = the_line(capsys.readouterr().out, "refused")
    assert code == 2 and "JSON nested deeper than 200 levels" in line


def test_a_too_deep_line_of_json_lines_is_skipped_and_the_rest_imported(ws, capsys):
    good = json.dumps({"instruction": "Qual o horário?", "output": "Das 9h às 18h."})
    lines = [good, '{"instruction": ' + "[" * 500 + "]" * 500 + "}", good.replace("9h", "8h")]
    (ws / "data.jsonl").write_text("\n".join(lines) + "\n")
    code = main(["--workspace", str(ws), "import", str(ws / "data.jsonl"), "--json"])
    [summary] = json.loads(capsys.readouterr().out)["files"]
    assert code == 0 and summary["status"] == "imported" and summary["conversations"] == 2
    assert ["line 2", "JSON nested deeper than 200 levels; not a chat export"] in summary["notes"]


# ---------------------------------------------------------------- zip archives (finding 5)


def test_zip_of_many_members_each_under_the_caps_is_refused_as_a_whole(ws):
    # Each member is under the per-member caps (4 MiB < the 8 MiB ratio floor), but together
    # they expand 290x from a 290 KB archive (80 MiB in all).
    path = ws / "many.zip"
    member = (WHATSAPP * (4 * 1024**2 // len(WHATSAPP) + 1)).encode()[: 4 * 1024**2]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for i in range(20):
            zf.writestr(f"chat {i}.txt", member)
    code, output, peak = afina_child(ws, str(path))
    assert code == 2
    line = the_line(output, "refused")
    assert "many.zip: zip directory: members expand" in line and "zip bomb" in line
    assert peak < PEAK_MB


def test_zip_with_more_members_than_allowed_is_refused(ws):
    path = ws / "members.zip"
    with zipfile.ZipFile(path, "w") as zf:
        for i in range(51):
            zf.writestr(f"chat {i}.txt", WHATSAPP.replace("Oi", f"Oi {i}"))
    patches = {"afina.engine.ingest.inputs.MAX_MEMBERS": 50}
    code, output, peak = afina_child(ws, str(path), patches=patches)
    assert code == 2
    line = the_line(output, "refused")
    assert "members.zip: zip directory: 51 members, more than the 50 allowed" in line
    assert peak < PEAK_MB


def test_zip_whose_end_record_understates_its_members_is_still_refused(tmp_path, monkeypatch):
    path = tmp_path / "lying.zip"
    with zipfile.ZipFile(path, "w") as zf:
        for i in range(51):
            zf.writestr(f"m{i}.txt", b"x")
    data = bytearray(path.read_bytes())
    end = data.rfind(b"PK\x05\x06")
    data[end + 8 : end + 12] = struct.pack("<2H", 1, 1)  # "one member" on this disk and in all
    path.write_bytes(bytes(data))
    monkeypatch.setattr(inputs, "MAX_MEMBERS", 50)
    with pytest.raises(ParseError, match="51 members, more than the 50 allowed"):
        inputs.zip_tree(path)


def test_zip_directory_too_big_is_refused_before_it_is_read(tmp_path, monkeypatch):
    path = tmp_path / "big.zip"
    with zipfile.ZipFile(path, "w") as zf:
        for i in range(20):
            zf.writestr(f"m{i}.txt", b"x")
    monkeypatch.setattr(inputs, "MAX_DIRECTORY_BYTES", 500)
    parsed = []
    monkeypatch.setattr(zipfile.ZipFile, "_RealGetContents", lambda self: parsed.append(1))
    with pytest.raises(ParseError, match=r"a directory of [\d,]+ bytes, more than the 500"):
        inputs.zip_tree(path)
    assert parsed == []


def test_reading_every_member_of_a_zip_reads_its_directory_once(tmp_path, monkeypatch):
    # Each member used to reopen the archive, reading the whole directory again: reading
    # 2,000 small chats took 40 s, growing with the square of the number of members.
    path = tmp_path / "chats.zip"
    with zipfile.ZipFile(path, "w") as zf:
        for i in range(30):
            zf.writestr(f"chat {i}.txt", WHATSAPP.replace("Oi", f"Oi {i}"))
    opened = []

    class Counted(zipfile.ZipFile):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            opened.append(args[0])
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(zipfile, "ZipFile", Counted)
    tree = inputs.zip_tree(path)
    heads = [f.head(100) for f in tree.files()] + [f.read_bytes()[:100] for f in tree.files()]
    assert len(opened) == 1 and len(heads) == 60 and all(h.startswith(b"31/01/23") for h in heads)


# ---------------------------------------------------------------- YAML aliases (finding 6)


def test_yaml_alias_bomb_is_refused_at_the_first_alias(ws):
    # 10 KB of aliases that unfold into 200 MB of utterances.
    lines = [
        "categories: [bomb]",
        's: &s "' + "x" * 1000 + '"',
        "t: &t [" + ", ".join(["*s"] * 100) + "]",
    ]
    lines += ["conversations:"] + ["- *t"] * 2000
    (ws / "bomb.yml").write_text("\n".join(lines) + "\n")
    code, output, peak = afina_child(ws, str(ws / "bomb.yml"), timeout=30)
    assert code == 2
    line = the_line(output, "refused")
    assert "bomb.yml: line 3 column 8: YAML alias '*s' refused" in line
    assert peak < PEAK_MB


# ---------------------------------------------------------------- not regular files (7)


@pytest.mark.parametrize("kind", ["fifo", "device"])
def test_a_fifo_or_device_named_on_the_command_line_is_refused_without_opening_it(ws, kind):
    if kind == "fifo":
        path = ws / "chat.txt"
        os.mkfifo(path)  # opened for reading, it would wait forever for a writer
        expected = "not a regular file (a FIFO)"
    else:
        path = Path("/dev/zero")  # read, it never ends
        if not path.exists() or not stat.S_ISCHR(os.stat(path).st_mode):
            pytest.skip("no /dev/zero")
        expected = "not a regular file (a character device)"
    code, output, _ = afina_child(ws, str(path), "--format", "whatsapp", timeout=30)
    assert code == 2
    assert the_line(output, "refused") == f"refused {path}: {expected}"


def test_special_files_inside_a_folder_are_skipped_and_counted(ws, capsys):
    folder = ws / "export"
    folder.mkdir()
    (folder / "chat.txt").write_text(WHATSAPP)
    os.mkfifo(folder / "pipe.txt")
    os.symlink(folder / "chat.txt", folder / "linked.txt")  # a link to a file is read
    os.symlink(folder / "gone.txt", folder / "broken.txt")
    code = main(["--workspace", str(ws), "import", str(folder), "--json"])
    files = {Path(f["path"]).name: f for f in json.loads(capsys.readouterr().out)["files"]}
    assert code == 0
    assert files["pipe.txt"]["status"] == "skipped"
    assert files["pipe.txt"]["reason"] == "not a regular file (a FIFO)"
    assert files["broken.txt"]["reason"] == "a broken link"
    assert files["chat.txt"]["status"] == "imported"
    assert files["linked.txt"]["status"] in ("imported", "unchanged")


# ---------------------------------------------------------------- file names (finding 8)


def test_a_file_name_that_is_not_utf8_is_imported_and_shown_escaped(ws, capsys):
    raw = os.fsencode(ws) + b"/chat\xff.txt"
    fd = os.open(raw, os.O_WRONLY | os.O_CREAT, 0o644)
    os.write(fd, WHATSAPP.replace("Oi", "Olá").encode())
    os.close(fd)
    code, output, _ = afina_child(ws, raw, timeout=30)
    assert code == 0, output
    assert "Traceback" not in output and "chat\\xff.txt" in output
    assert main(["--workspace", str(ws), "sources", "--json"]) == 0
    [source] = json.loads(capsys.readouterr().out)
    assert source["path"] == f"{ws}/chat\\xff.txt"


def test_a_folder_name_that_is_not_utf8_is_walked(ws, capsys):
    folder = os.fsencode(ws) + b"/exp\xe9"
    os.mkdir(folder)
    with open(folder + b"/chat\xfe.txt", "w", encoding="utf-8") as f:
        f.write(WHATSAPP)
    code = main(["--workspace", str(ws), "import", os.fsdecode(folder), "--json"])
    [summary] = json.loads(capsys.readouterr().out)["files"]
    assert code == 0 and summary["status"] == "imported"
    assert summary["path"] == f"{ws}/exp\\xe9/chat\\xfe.txt"


# ---------------------------------------------------------------- decoding repairs (10)


def test_nul_bytes_are_removed_and_reported(ws, capsys):
    doc = [
        {
            "conversations": [
                {"from": "human", "value": "Oi\0\0 tudo bem?"},
                {"from": "gpt", "value": "Tudo\0 certo."},
            ]
        }
    ]
    # Raw NULs, not \\u0000 escapes: JSON forbids them inside strings, so before they were
    # removed the whole file was refused as invalid JSON.
    (ws / "chat.json").write_bytes(json.dumps(doc).replace("\\u0000", "\0").encode())
    code = main(["--workspace", str(ws), "import", str(ws / "chat.json"), "--json"])
    [summary] = json.loads(capsys.readouterr().out)["files"]
    assert code == 0 and summary["status"] == "imported" and summary["repaired"] == 3
    assert summary["notes"] == [["line 1", "NUL bytes removed (3)"]]


def test_stream_items_refuses_deep_nesting_under_its_prefix(tmp_path):
    ok = make_file(tmp_path, "ok.json", '{"guild": {"id": 1}, "messages": [{"a": [1]}, {"b": 2}]}')
    assert list(stream_items(ok, "messages.item")) == [{"a": [1]}, {"b": 2}]
    deep = make_file(tmp_path, "deep.json", '{"messages": [' + "[" * 300 + "]" * 300 + "]}")
    with pytest.raises(ParseError, match="JSON nested deeper than 200 levels"):
        list(stream_items(deep, "messages.item"))


def test_the_depth_limit_is_inclusive(tmp_path):
    at = make_file(tmp_path, "at.json", "[" * 200 + "]" * 200)
    past = make_file(tmp_path, "past.json", '{"a": ' + "[" * 200 + "]" * 200 + "}")
    value = load_json(at)
    for _ in range(199):
        [value] = value
    assert value == []
    with pytest.raises(ParseError, match=r"^line 1: JSON nested deeper than 200 levels"):
        load_json(past)
