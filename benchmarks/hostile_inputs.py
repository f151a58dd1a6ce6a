"""Hostile inputs: peak memory and time of `afina import` on files made to hurt, against a
benign file of the same size in the same run.

    .venv/bin/python benchmarks/hostile_inputs.py [--mb 70]

Each import runs in a child process capped at 4 GiB of address space; the child reports its
own peak resident memory (VmHWM). Cases, all at afina's real limits (nothing patched):

* benign: a WhatsApp chat of ``--mb`` MB (the baseline);
* deep JSON: a ShareGPT array whose first record nests 100,000 levels, padded past the
  64 MiB streaming threshold (the probe's case, once OOM-killed at 18.8 GB);
* zip of many members: 130 members of 8 MB each (the probe's case);
* YAML aliases: a ChatterBot file whose aliases would expand to gigabytes;
* Telegram: a full-account ``result.json`` of ``--mb`` MB, streamed.

Nothing here is a test; no number is asserted anywhere.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

CAP = 4 * 1024**3
DRIVER = """
import resource, sys
resource.setrlimit(resource.RLIMIT_AS, (int(sys.argv[1]), int(sys.argv[1])))
from afina.tui.cli import main
try:
    code = main(sys.argv[3:])
finally:
    peak = open("/proc/self/status").read().split("VmHWM:")[1].split()[0]
    open(sys.argv[2], "w").write(peak)
sys.exit(code)
"""
LINE = "{d:02d}/{mo:02d}/2024, {h:02d}:{m:02d} - {who}: pergunta {n}: quanto custa o plano?\n"


def benign(path: Path, mb: int) -> None:
    # every message distinct (numbered, one a minute), so none is stored as a duplicate
    with path.open("w", encoding="utf-8") as f:
        n = written = 0
        while written < mb * 1024**2:
            minute = n % (60 * 24 * 28 * 12)
            d, h, m = minute // 1440 % 28 + 1, minute // 60 % 24, minute % 60
            who = "Ana" if n % 2 else "Lumiar"
            line = LINE.format(d=d, mo=minute // 40320 + 1, h=h, m=m, who=who, n=n)
            written += f.write(line)
            n += 1


def deep_json(path: Path, mb: int) -> None:
    record = json.dumps({"conversations": [{"from": "human", "value": "oi " * 40}]})
    with path.open("w", encoding="utf-8") as f:
        f.write("[" + "[" * 100_000 + "]" * 100_000)
        for _ in range(max(mb, 70) * 1024**2 // len(record) + 1):
            f.write("," + record)
        f.write("]")


def many_members(path: Path) -> None:
    member = b"\0" * (8 * 1024**2)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for i in range(130):
            zf.writestr(f"chat {i}.txt", member)


def yaml_aliases(path: Path) -> None:
    lines = ["categories: [bomb]", "conversations:", "- &a0 ['" + "x" * 100 + "']"]
    lines += [f"- &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}]" for i in range(1, 20)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def telegram(path: Path, mb: int) -> None:
    with path.open("w", encoding="utf-8") as f:
        f.write('{"about": "x", "chats": {"about": "y", "list": [')
        chat, written = 0, 0
        while written < mb * 1024**2:
            msgs = [
                {
                    "id": i,
                    "type": "message",
                    "date": "2024-03-12T10:01:00",
                    "from": "Ana" if i % 2 else "Lumiar",
                    "from_id": f"user{i % 2}",
                    "text": "quanto custa o plano de 300 mega? a fatura venceu ontem",
                }
                for i in range(2000)
            ]
            body = json.dumps(
                {"name": f"chat {chat}", "type": "personal_chat", "id": chat, "messages": msgs}
            )
            f.write(("," if chat else "") + body)
            written += len(body)
            chat += 1
        f.write("]}}")


def run_import(workdir: Path, path: Path, *extra: str) -> tuple[int, float, float, str]:
    ws = workdir / f"ws-{path.stem}"
    init = "import sys; from afina.tui.cli import main; sys.exit(main(sys.argv[1:]))"
    subprocess.run([sys.executable, "-c", init, "init", str(ws)], check=True, capture_output=True)
    peak = workdir / "peak.txt"
    start = time.perf_counter()
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            DRIVER,
            str(CAP),
            str(peak),
            "-w",
            str(ws),
            "import",
            str(path),
            *extra,
        ],
        capture_output=True,
        text=True,
        env={"COLUMNS": "400", "PATH": "/usr/bin:/bin", "AFINA_CACHE_DIR": str(workdir / "c")},
    )
    seconds = time.perf_counter() - start
    last = (done.stdout + done.stderr).strip().splitlines()
    said = last[0] if len(last) == 1 else (last[-1] if last else "")
    return done.returncode, int(peak.read_text()) / 1024, seconds, said


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mb", type=int, default=70)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        cases = []
        benign(work / "chat.txt", args.mb)
        cases.append(("benign WhatsApp chat (baseline)", work / "chat.txt", ()))
        deep_json(work / "deep.json", args.mb)
        cases.append(("deep JSON, streamed path", work / "deep.json", ("--format", "sharegpt")))
        many_members(work / "many.zip")
        cases.append(("zip, 130 members x 8 MB", work / "many.zip", ()))
        yaml_aliases(work / "bomb.yml")
        cases.append(("YAML alias bomb", work / "bomb.yml", ("--format", "chatterbot-yaml")))
        telegram(work / "result.json", args.mb)
        cases.append(("Telegram result.json", work / "result.json", ()))
        print("| Input | File size | Exit | Peak memory | Time | Against the baseline | Output |")
        print("| --- | --- | --- | --- | --- | --- | --- |")
        base = 0.0
        for name, path, extra in cases:
            code, peak, seconds, said = run_import(work, path, *extra)
            base = base or peak
            size = path.stat().st_size / 1024**2
            print(
                f"| {name} | {size:,.1f} MB | {code} | {peak:,.0f} MB | {seconds:.1f} s | "
                f"{peak / base:.2f}x the benign peak | {said[:110].replace('|', '/')} |"
            )


if __name__ == "__main__":
    main()
