"""Import throughput and peak memory of afina against the popular WhatsApp parsers on PyPI.

Generates large exports in a temporary folder (never in the repository), then measures each
run in a fresh Python process, so the peak RSS reported is that run's own and no run warms
caches or heaps for the next:

* afina: a new workspace, then ``Sniffer().candidates`` + ``import_candidates`` on the file,
  i.e. parsing AND storing in SQLite; messages = turns stored.
* chat-miner: ``WhatsAppParser(path).parse_file()`` and ``get_df(as_pandas=True)``.
* whatstk: ``df_from_whatsapp(path, max_size=None)``: its reader refuses files over 50 MB
  unless told otherwise; the header format is auto-detected.

Both competitors only parse into a DataFrame; they store nothing. Each child times only the
work (``time.perf_counter``), after its imports; it reports its RSS just before the work
(baseline) and ``ru_maxrss`` at the end (peak).

    .venv/bin/pip install -e '.[bench]'
    .venv/bin/python benchmarks/import_throughput.py                  # full run, several minutes
    .venv/bin/python benchmarks/import_throughput.py --quick          # smoke run, under a minute
    .venv/bin/python benchmarks/import_throughput.py --write-results  # record in RESULTS.md
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.metadata
import importlib.util
import json
import os
import platform
import resource
import shlex
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path

# A sibling module: found because Python puts the script's folder first on sys.path.
from gen_exports import ChatGPTStats, WhatsAppStats, write_chatgpt, write_whatsapp

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
RESULTS = BENCH_DIR / "RESULTS.md"
SECTION = "## Import throughput"
GOAL_SPEED = 1.5  # afina messages/s at least this many times whatstk's ...
GOAL_MEMORY = 0.2  # ... with at most this fraction of its peak RSS
GROWTH_TOLERANCE = 0.10  # peak RSS on twice the main file may exceed the main one's by this
COMPETITOR_CALLS = {
    "chat-miner": "WhatsAppParser(path).parse_file(); parsed_messages.get_df(as_pandas=True)",
    "whatstk": "df_from_whatsapp(path, max_size=None)  # header format auto-detected",
}
Work = Callable[[], tuple[int, str]]  # does the measured work: (messages, a note)


@dataclass
class Measurement:
    tool: str
    file: str
    messages: int
    seconds: float
    cpu_seconds: float = 0.0  # the process's CPU time: less swayed by other load than wall time
    baseline_kib: int = 0
    peak_kib: int = 0
    note: str = ""
    error: str = ""
    runs: int = 1  # how many runs this is the best of

    @property
    def rate(self) -> float:
        return self.messages / self.seconds if self.seconds > 0 else 0.0

    @property
    def growth_kib(self) -> int:
        return self.peak_kib - self.baseline_kib


# -- the measured work, one setup per tool ---------------------------------------------------
# A setup does the imports and preparation that are not the work, and returns the work.


def _setup_afina(path: Path, workdir: Path) -> Work:
    from afina.engine.ingest.discover import Sniffer
    from afina.engine.ingest.run import import_candidates
    from afina.engine.workspace import init_workspace

    workspace, _ = init_workspace(workdir / "workspace")
    # Loading the importer plugins is afina's equivalent of the competitors' imports.
    sniffer = Sniffer()

    def work() -> tuple[int, str]:
        store = workspace.open_store()
        try:
            summaries = import_candidates(store, sniffer.candidates([path]))
        finally:
            store.close()  # checkpoints the WAL: part of storing
        failed = [f"{s.path}: {s.status} ({s.reason})" for s in summaries if s.status != "imported"]
        if failed:
            raise RuntimeError("; ".join(failed))
        turns = sum(s.turns for s in summaries)
        convs = sum(s.conversations for s in summaries)
        skipped = sum(s.skipped for s in summaries)
        importer = ",".join(sorted({s.importer or "-" for s in summaries}))
        return turns, f"{importer}: {convs:,} conversations, {skipped:,} lines skipped"

    return work


def _setup_chatminer(path: Path, workdir: Path) -> Work:
    from chatminer.chatparsers import WhatsAppParser

    def work() -> tuple[int, str]:
        parser = WhatsAppParser(str(path))
        parser.parse_file()
        df = parser.parsed_messages.get_df(as_pandas=True)
        return len(df), COMPETITOR_CALLS["chat-miner"]

    return work


def _setup_whatstk(path: Path, workdir: Path) -> Work:
    from whatstk import df_from_whatsapp

    def work() -> tuple[int, str]:
        df = df_from_whatsapp(str(path), max_size=None)
        return len(df), COMPETITOR_CALLS["whatstk"]

    return work


SETUPS: dict[str, Callable[[Path, Path], Work]] = {
    "afina": _setup_afina,
    "chat-miner": _setup_chatminer,
    "whatstk": _setup_whatstk,
}


def current_rss_kib() -> int:
    """Resident memory now (KiB), from /proc: ``ru_maxrss`` only knows the peak."""
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def measure(tool: str, path: Path, workdir: Path) -> Measurement:
    """Set up, then time the work alone. Peak RSS means something only in a fresh process."""
    work = SETUPS[tool](path, workdir)
    baseline = current_rss_kib()
    start, cpu_start = time.perf_counter(), time.process_time()
    messages, note = work()
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    return Measurement(tool, path.name, messages, seconds, cpu, baseline, peak, note)


def run_child(tool: str, path: Path, workdir: Path, timeout: float) -> Measurement:
    """``measure`` in a fresh interpreter; its last stdout line is the measurement as JSON."""
    workdir.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", tool, str(path), str(workdir)]
    env = {**os.environ, "TQDM_DISABLE": "1"}  # chat-miner's progress bar is not the work
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        return Measurement(tool, path.name, 0, 0.0, error=f"timed out after {timeout:.0f} s")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)  # the workspace of a 2M-line run is large
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        return Measurement(tool, path.name, 0, 0.0, error=f"exit {proc.returncode}: {tail}")
    return Measurement(**json.loads(lines[-1]))


def child_main(tool: str, path: str, workdir: str) -> None:
    try:
        result = measure(tool, Path(path), Path(workdir))
    except Exception as e:  # reported as a row, so one failing parser doesn't sink the run
        result = Measurement(tool, Path(path).name, 0, 0.0, error=f"{type(e).__name__}: {e}")
    print(json.dumps(asdict(result)))


# -- the benchmark plan ----------------------------------------------------------------------


@dataclass
class Plan:
    lines: int
    chatgpt_messages: int
    competitors: bool
    timeout: float
    repeat: int = 1

    @property
    def scaling_lines(self) -> tuple[int, int, int]:
        """The sizes that show whether memory grows with the file: 1/4, 1 and 2 times."""
        return self.lines // 4, self.lines, self.lines * 2


@dataclass
class Report:
    plan: Plan
    whatsapp: dict[int, WhatsAppStats] = field(default_factory=dict)
    chatgpt: ChatGPTStats | None = None
    main: dict[str, Measurement] = field(default_factory=dict)  # tool -> run on the main file
    scaling: dict[int, Measurement] = field(default_factory=dict)  # lines -> afina run
    chatgpt_run: Measurement | None = None
    load_before: float = 0.0  # 1-minute load average: other work on the machine skews timings
    load_after: float = 0.0
    code_changed: bool = False  # afina's sources changed during the run: rows mix versions


def installed(tool: str) -> bool:
    module = {"chat-miner": "chatminer", "whatstk": "whatstk"}.get(tool, "afina")
    return importlib.util.find_spec(module) is not None


def generate(plan: Plan, folder: Path, report: Report) -> None:
    for n in sorted(set(plan.scaling_lines)):
        started = time.perf_counter()
        stats = write_whatsapp(folder / f"whatsapp-{n}.txt", n)
        report.whatsapp[n] = stats
        _say(
            f"generated {stats.path.name}: {stats.messages:,} messages, {_mb(stats.bytes)} MB "
            f"({time.perf_counter() - started:.1f} s)"
        )
    started = time.perf_counter()
    report.chatgpt = write_chatgpt(folder / "conversations.json", plan.chatgpt_messages)
    _say(
        f"generated conversations.json: {report.chatgpt.messages:,} messages in "
        f"{report.chatgpt.conversations:,} conversations, {_mb(report.chatgpt.bytes)} MB "
        f"({time.perf_counter() - started:.1f} s)"
    )


def run_all(plan: Plan, folder: Path) -> Report:
    report = Report(plan, load_before=os.getloadavg()[0])
    code = code_fingerprint()
    generate(plan, folder, report)
    main_file = report.whatsapp[plan.lines].path
    tools = ["afina", "chat-miner", "whatstk"] if plan.competitors else ["afina"]
    jobs: list[tuple[str, Path]] = [(t, main_file) for t in tools if installed(t)]
    jobs += [("afina", report.whatsapp[n].path) for n in plan.scaling_lines if n != plan.lines]
    assert report.chatgpt is not None
    jobs.append(("afina", report.chatgpt.path))
    best = run_rounds(jobs, folder, plan)
    for tool in tools:
        missing = Measurement(tool, main_file.name, 0, 0.0, error="not installed")
        report.main[tool] = best.get((tool, main_file), missing)
    for n in plan.scaling_lines:
        report.scaling[n] = best[("afina", report.whatsapp[n].path)]
    report.chatgpt_run = best[("afina", report.chatgpt.path)]
    report.load_after = os.getloadavg()[0]
    report.code_changed = code_fingerprint() != code
    if report.code_changed:
        _say("WARNING: afina's engine/ or plugins/ changed during the run; run it again")
    return report


def code_fingerprint() -> str:
    """A digest of afina's engine and plugin sources, to notice edits made during a run."""
    digest = hashlib.sha256()
    for path in sorted([*REPO.glob("engine/**/*.py"), *REPO.glob("plugins/**/*.py")]):
        digest.update(str(path.relative_to(REPO)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def code_version() -> str:
    """The commit measured, and whether the working tree had uncommitted changes."""
    try:
        out = subprocess.run(
            ["git", "describe", "--always", "--dirty"],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    return out.stdout.strip() or "unknown"


def run_rounds(
    jobs: list[tuple[str, Path]], folder: Path, plan: Plan
) -> dict[tuple[str, Path], Measurement]:
    """Every job once per round, rounds one after another: a burst of load from elsewhere
    then slows one round of every tool rather than all rounds of one tool."""
    results: dict[tuple[str, Path], list[Measurement]] = {job: [] for job in jobs}
    for round_no in range(1, plan.repeat + 1):
        for tool, path in jobs:
            _say(f"[{round_no}/{plan.repeat}] {tool} on {path.name} ...")
            m = run_child(tool, path, folder / f"work-{tool}", plan.timeout)
            _say(f"  {_summary(m)}")
            results[(tool, path)].append(m)
    return {job: best_of(runs) for job, runs in results.items()}


def best_of(runs: list[Measurement]) -> Measurement:
    """The fastest run's time, with the highest peak RSS seen in any run (memory is judged
    by its worst case, speed by what the code can do when the machine lets it)."""
    ok = [m for m in runs if not m.error]
    if not ok:
        return runs[-1]
    best = min(ok, key=lambda m: m.seconds)
    worst = max(ok, key=lambda m: m.peak_kib)
    return replace(best, peak_kib=worst.peak_kib, baseline_kib=worst.baseline_kib, runs=len(ok))


def _summary(m: Measurement) -> str:
    if m.error:
        return f"failed: {m.error}"
    return (
        f"{m.messages:,} messages in {m.seconds:.2f} s (CPU {m.cpu_seconds:.2f} s) "
        f"= {m.rate:,.0f}/s, "
        f"peak {_mib(m.peak_kib)} MiB"
    )


# -- reporting -------------------------------------------------------------------------------


def _say(text: str) -> None:
    print(text, flush=True)


def _mb(n: int) -> str:
    return f"{n / 1e6:.1f}"


def _mib(kib: int) -> str:
    return f"{kib / 1024:,.0f}"


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}x" if b else "n/a"


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    return [_row(header), _row(["---"] * len(header)), *map(_row, rows)]


def measurement_rows(report: Report) -> list[str]:
    runs: list[tuple[str, Measurement]] = [(t, m) for t, m in report.main.items()]
    runs += [("afina", m) for n, m in report.scaling.items() if n != report.plan.lines]
    if report.chatgpt_run is not None:
        runs.append(("afina", report.chatgpt_run))
    rows = []
    for tool, m in runs:
        if m.error:
            rows.append([tool, m.file, "failed", m.error, "", "", "", "", ""])
            continue
        rows.append(
            [
                tool,
                m.file,
                f"{m.messages:,}",
                f"{m.seconds:.2f}",
                f"{m.cpu_seconds:.2f}",
                f"{m.rate:,.0f}",
                _mib(m.peak_kib),
                _mib(m.baseline_kib),
                _mib(m.growth_kib),
            ]
        )
    header = ["Run", "File", "Messages", "Seconds", "CPU s", "Messages/s", "Peak RSS MiB"]
    return _table([*header, "Baseline MiB", "Peak − baseline MiB"], rows)


def ratio_rows(report: Report) -> list[str]:
    """afina against each competitor on the same file in the same run."""
    ours = report.main["afina"]
    rows = []
    for tool in ("whatstk", "chat-miner"):
        other = report.main.get(tool)
        if other is None or other.error or ours.error:
            continue
        speed = ours.rate / other.rate
        memory = ours.peak_kib / other.peak_kib
        goal = ""
        if tool == "whatstk":
            goal = (
                f"speed {'met' if speed >= GOAL_SPEED else 'MISSED'} (≥ {GOAL_SPEED}x), "
                f"memory {'met' if memory <= GOAL_MEMORY else 'MISSED'} (≤ {GOAL_MEMORY:.2f})"
            )
        rows.append(
            [
                tool,
                f"{speed:.2f}x",
                f"{memory:.3f}",
                f"{ours.growth_kib / other.growth_kib:.3f}" if other.growth_kib else "n/a",
                goal,
            ]
        )
    header = ["afina vs", "Messages/s ratio", "Peak RSS ratio", "Peak − baseline ratio", "Goal"]
    return _table(header, rows)


def scaling_rows(report: Report) -> list[str]:
    rows = []
    for n, m in sorted(report.scaling.items()):
        stats = report.whatsapp[n]
        if m.error:
            rows.append([f"{n:,}", _mb(stats.bytes), "failed", m.error, ""])
            continue
        rows.append(
            [f"{n:,}", _mb(stats.bytes), f"{m.rate:,.0f}", _mib(m.peak_kib), _mib(m.growth_kib)]
        )
    table = _table(["Lines", "MB", "Messages/s", "Peak RSS MiB", "Peak − baseline MiB"], rows)
    return [*table, "", growth_verdict(report)]


def count_check(report: Report) -> str:
    """Whether afina stored every message the generator wrote, file by file."""
    expected = {s.path.name: s.messages for s in report.whatsapp.values()}
    if report.chatgpt is not None:
        expected[report.chatgpt.path.name] = report.chatgpt.messages
    runs = [m for m in (*report.scaling.values(), report.chatgpt_run) if m and not m.error]
    wrong = [
        f"{m.file}: {m.messages:,} of {expected[m.file]:,}"
        for m in runs
        if m.messages != expected[m.file]
    ]
    if wrong:
        return "Stored ≠ generated: " + "; ".join(wrong) + "."
    return f"afina stored every generated message in all {len(runs)} runs."


def growth_verdict(report: Report) -> str:
    """Flat or growing, judged between the two largest files (the main one and twice it).

    Bounded caches (SQLite's page cache, parser caches) fill up on the smaller files, so the
    smallest against the largest would call a cache a leak; doubling a file that already
    filled them must not add memory.
    """
    runs = [m for _, m in sorted(report.scaling.items()) if not m.error]
    if len(runs) < 2:
        return "Memory growth: not measured."
    smaller, larger = runs[-2], runs[-1]
    grew = larger.peak_kib > smaller.peak_kib * (1 + GROWTH_TOLERANCE)
    delta = (larger.peak_kib - smaller.peak_kib) / 1024
    size = larger.messages / smaller.messages if smaller.messages else 0
    return (
        f"Memory growth: peak RSS {'GROWS' if grew else 'stays flat'} with file size: "
        f"{delta:+,.0f} MiB from {smaller.file} to {larger.file} ({size:.1f}x the messages; "
        f"flat means within {GROWTH_TOLERANCE:.0%})."
    )


def input_rows(report: Report) -> list[str]:
    rows = [
        [
            s.path.name,
            f"{s.lines:,}",
            f"{s.messages:,}",
            _mb(s.bytes),
            f"{s.media:,} media, {s.system_lines:,} system lines, "
            f"{s.multiline_messages:,} multi-line messages",
        ]
        for _, s in sorted(report.whatsapp.items())
    ]
    if report.chatgpt is not None:
        c = report.chatgpt
        rows.append(
            [c.path.name, "", f"{c.messages:,}", _mb(c.bytes), f"{c.conversations:,} conversations"]
        )
    return _table(["File", "Lines", "Messages generated", "MB", "Contents"], rows)


def machine() -> list[str]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3
    return [
        f"- Machine: {os.cpu_count()} CPUs (nproc {len(os.sched_getaffinity(0))}), {cpu}, "
        f"{mem:.0f} GiB RAM, {platform.system()} {platform.release()}",
        f"- Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}",
        "- Packages: " + ", ".join(f"{n} {_version(n)}" for n in _PACKAGES),
    ]


_PACKAGES = ("afina", "chat-miner", "whatstk", "pandas", "polars", "ijson")


def _version(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def markdown(report: Report, command: str) -> str:
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        SECTION,
        "",
        f"Recorded {when} with `{command}`.",
        "",
        *machine(),
        f"- afina code: git `{code_version()}`"
        + (" — CHANGED DURING THE RUN, rows mix versions" if report.code_changed else ""),
        "- Competitors, called as their docs show: "
        + "; ".join(f"{t}: `{c}`" for t, c in COMPETITOR_CALLS.items()),
        "- Each run is a fresh process; seconds cover the work only (after imports); baseline is "
        "the RSS just before the work, peak is `ru_maxrss` at the end.",
        f"- Best of {report.plan.repeat} runs per row, interleaved: the fastest run's time, the "
        "highest peak RSS of any run.",
        f"- 1-minute load average {report.load_before:.2f} before, {report.load_after:.2f} after "
        "(other processes share this machine: timings are noisy).",
        "- afina parses and stores (SQLite, WAL, in a new workspace); the others only parse into "
        "a DataFrame.",
        "",
        "Inputs (generated by `benchmarks/gen_exports.py`, seeded):",
        "",
        *input_rows(report),
        "",
        "Runs:",
        "",
        *measurement_rows(report),
        "",
        count_check(report),
        "",
        f"afina against the others on `{report.whatsapp[report.plan.lines].path.name}`:",
        "",
        *ratio_rows(report),
        "",
        "afina on WhatsApp files of different sizes (line-based formats must stream):",
        "",
        *scaling_rows(report),
        "",
    ]
    return "\n".join(lines)


def write_results(text: str, path: Path = RESULTS) -> None:
    """Replace the "Import throughput" section of RESULTS.md, keeping any others."""
    old = path.read_text(encoding="utf-8") if path.exists() else "# Benchmark results\n\n"
    start = old.find(SECTION + "\n")
    if start < 0:
        new = old.rstrip("\n") + "\n\n" + text
    else:
        end = old.find("\n## ", start + len(SECTION))
        new = old[:start] + text + ("" if end < 0 else old[end:])
    path.write_text(new.rstrip("\n") + "\n", encoding="utf-8")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter
    )
    ap.add_argument("--lines", type=int, default=1_000_000, help="lines of the main WhatsApp file")
    ap.add_argument("--chatgpt-messages", type=int, default=200_000)
    ap.add_argument("--quick", action="store_true", help="small smoke run: 50k lines, 10k messages")
    ap.add_argument("--no-competitors", action="store_true", help="run afina only")
    ap.add_argument("--write-results", action="store_true", help=f"record in {RESULTS.name}")
    ap.add_argument("--tmpdir", type=Path, help="where to generate (default: the system temp)")
    ap.add_argument("--keep", action="store_true", help="keep the generated files")
    ap.add_argument("--repeat", type=int, help="runs of each measurement, best kept (default 3)")
    ap.add_argument("--timeout", type=float, default=1800, help="seconds allowed per run")
    ap.add_argument("--child", nargs=3, metavar=("TOOL", "PATH", "WORKDIR"), help=argparse.SUPPRESS)
    return ap.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child:
        child_main(*args.child)
        return 0
    if args.quick:
        args.lines, args.chatgpt_messages = 50_000, 10_000
    repeat = args.repeat or (1 if args.quick else 3)
    plan = Plan(args.lines, args.chatgpt_messages, not args.no_competitors, args.timeout, repeat)
    folder = Path(tempfile.mkdtemp(prefix="afina-bench-", dir=args.tmpdir))
    try:
        report = run_all(plan, folder)
    finally:
        if args.keep:
            _say(f"generated files kept in {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    given = sys.argv[1:] if argv is None else argv
    command = shlex.join([".venv/bin/python", "benchmarks/import_throughput.py", *given])
    text = markdown(report, command)
    _say("\n" + text)
    if args.write_results:
        write_results(text)
        _say(f"written to {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
