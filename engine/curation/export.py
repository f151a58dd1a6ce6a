"""Export pairs for training: OpenAI ``messages`` JSONL, ``prompt``/``completion`` JSONL,
Alpaca JSON, ShareGPT JSON, or a Hugging Face ``datasets`` folder, with a dataset card.

Every write is atomic: data goes to a hidden temporary file (or folder) next to the target,
is flushed to disk, and is renamed over the target, so a crash or a kill leaves either the
old export or the new one, never half of one.

Multi-turn pairs: in ``messages`` and ShareGPT the context turns become the earlier messages
of the conversation (after the system prompt). ``prompt``/``completion`` and Alpaca have no
place for turns, so the context is flattened into text, oldest turn first, each turn as
``User: text`` or ``Assistant: text``, separated by blank lines (:func:`flatten_context`):

* ``prompt``/``completion``: the prompt is the system prompt (if any), a blank line, the
  flattened context (if any), a blank line and ``User: <prompt>``; a pair with neither system
  prompt nor context has its prompt as is (:func:`flatten_prompt`).
* Alpaca: ``instruction`` is the prompt, ``input`` the flattened context ("" if none),
  ``output`` the response, and ``system`` is added when the pair has a system prompt.

What this module never writes: the pseudonymization mapping, review notes, or anything else
that is not in :class:`ExportPair`. PII scrubbing happens before pairs get here.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from afina.engine.errors import AfinaError

SPLITS = ("train", "validation", "test")  # the order splits are written and counted in
ROLES = {"user": "User", "assistant": "Assistant"}  # context roles and their flattened labels
SHAREGPT_ROLES = {"system": "system", "user": "human", "assistant": "gpt"}
FORMATS: dict[str, str] = {
    "messages": 'OpenAI chat fine-tuning JSONL: one {"messages": [...]} object a line',
    "prompt-completion": 'JSONL: one {"prompt": ..., "completion": ...} object a line',
    "alpaca": "Alpaca JSON: a list of {instruction, input, output[, system]} objects",
    "sharegpt": "ShareGPT JSON: a list of {id, conversations: [{from, value}]} objects",
    "hf": "Hugging Face datasets folder (DatasetDict.save_to_disk), one split per split",
}


class ExportError(AfinaError):
    """An export that cannot be written: nothing to export, a bad target, a bad pair."""

    exit_code = 2


@dataclass(frozen=True, slots=True)
class ExportPair:
    """One accepted, scrubbed pair as it leaves afina.

    ``context`` holds the earlier turns, oldest first, as (role, text) with role "user" or
    "assistant"; ``split`` is "train", "validation" or "test".
    """

    prompt: str
    response: str
    context: tuple[tuple[str, str], ...] = ()
    system: str | None = None
    split: str = "train"
    id: int = 0
    tags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ExportResult:
    """What was written: the data files (or the folder), the card, and pairs per split."""

    format: str
    paths: tuple[Path, ...]
    card: Path
    counts: Mapping[str, int]


# -- records, one per format ------------------------------------------------------------------


def flatten_context(context: Sequence[tuple[str, str]]) -> str:
    """Earlier turns as text: ``User: ...`` / ``Assistant: ...`` blocks, blank-line separated."""
    return "\n\n".join(f"{ROLES[role]}: {text}" for role, text in context)


def flatten_prompt(pair: ExportPair) -> str:
    """The prompt of a prompt/completion record: system prompt and context folded in."""
    parts = [pair.system] if pair.system else []
    if pair.context:
        parts += [flatten_context(pair.context), f"{ROLES['user']}: {pair.prompt}"]
    else:
        parts.append(pair.prompt)
    return "\n\n".join(parts)


def chat_messages(pair: ExportPair) -> list[dict[str, str]]:
    """The pair as chat messages: system, context turns, the prompt, the response."""
    messages = [{"role": "system", "content": pair.system}] if pair.system else []
    messages += [{"role": role, "content": text} for role, text in pair.context]
    messages.append({"role": "user", "content": pair.prompt})
    messages.append({"role": "assistant", "content": pair.response})
    return messages


def messages_record(pair: ExportPair) -> dict[str, Any]:
    """OpenAI chat fine-tuning: ``{"messages": [...]}`` and nothing else (extra keys are
    refused by some trainers)."""
    return {"messages": chat_messages(pair)}


def prompt_completion_record(pair: ExportPair) -> dict[str, Any]:
    """``{"prompt": ..., "completion": ...}``; see :func:`flatten_prompt` for multi-turn."""
    return {"prompt": flatten_prompt(pair), "completion": pair.response}


def alpaca_record(pair: ExportPair) -> dict[str, Any]:
    """Alpaca: instruction, input (the flattened context), output, and system if any."""
    record = {
        "instruction": pair.prompt,
        "input": flatten_context(pair.context),
        "output": pair.response,
    }
    if pair.system:
        record["system"] = pair.system
    return record


def sharegpt_record(pair: ExportPair) -> dict[str, Any]:
    """ShareGPT: ``{"id", "conversations": [{"from": "human"|"gpt"|"system", "value"}]}``."""
    turns = [
        {"from": SHAREGPT_ROLES[m["role"]], "value": m["content"]} for m in chat_messages(pair)
    ]
    return {"id": str(pair.id), "conversations": turns}


RECORDS: dict[str, Callable[[ExportPair], dict[str, Any]]] = {
    "messages": messages_record,
    "prompt-completion": prompt_completion_record,
    "alpaca": alpaca_record,
    "sharegpt": sharegpt_record,
}
JSON_LINES = {"messages", "prompt-completion"}  # the others are one JSON array


# -- the export -------------------------------------------------------------------------------


def export_pairs(
    pairs: Iterable[ExportPair],
    fmt: str,
    out: str | os.PathLike[str],
    *,
    card: Mapping[str, object] | None = None,
    per_split: bool = False,
) -> ExportResult:
    """Write ``pairs`` in format ``fmt`` (a key of :data:`FORMATS`) to ``out``, with a card.

    File formats write one file, or with ``per_split`` one file per split present, named
    ``<stem>.<split><suffix>`` (``out.jsonl`` -> ``out.train.jsonl``). Their card goes next
    to them as ``<stem>.card.md``. "hf" writes a folder with one split per split present and
    the card as its ``README.md``; an existing folder is replaced only if it is empty or an
    earlier export. ``card`` is the plain dict :func:`dataset_card` describes.
    """
    if fmt not in FORMATS:
        raise ExportError(f"unknown export format {fmt!r}", hint="one of: " + ", ".join(FORMATS))
    chosen = list(pairs)
    if not chosen:
        raise ExportError("nothing to export: no pairs", hint="accept some pairs first")
    for pair in chosen:
        _check_pair(pair)
    target = Path(out)
    counts = split_counts(chosen)
    text = dataset_card(counts, fmt, card or {})
    if fmt == "hf":
        save_hf_dataset(chosen, target, text)
        return ExportResult(fmt, (target,), target / "README.md", counts)
    if target.is_dir():
        raise ExportError(f"{target} is a folder; {fmt} export writes a file", hint="give a file")
    written = []
    groups = _by_split(chosen) if per_split else {"": chosen}
    for split, group in groups.items():
        path = target.with_name(f"{target.stem}.{split}{target.suffix}") if split else target
        try:
            write_records(group, fmt, path)
        except UnicodeEncodeError as e:  # a lone surrogate: text that is not valid Unicode
            raise ExportError(f"{path}: a pair's text is not valid Unicode ({e.reason})") from e
        written.append(path)
    card_path = target.with_name(f"{target.stem}.card.md")
    atomic_write(card_path, [text])
    return ExportResult(fmt, tuple(written), card_path, counts)


# Characters JSON may leave raw but that many readers (Python's splitlines among them) take
# for line breaks: escaped, so one record stays one line.
_LINE_BREAKS = {"\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def _one_line(text: str) -> str:
    for raw, escaped in _LINE_BREAKS.items():
        if raw in text:
            text = text.replace(raw, escaped)
    return text


def write_records(pairs: Iterable[ExportPair], fmt: str, path: Path) -> None:
    """One file in a file format: JSON lines, or a JSON array with one record a line."""
    record = RECORDS[fmt]

    def dump(pair: ExportPair) -> str:
        return _one_line(json.dumps(record(pair), ensure_ascii=False))

    if fmt in JSON_LINES:
        atomic_write(path, (dump(p) + "\n" for p in pairs))
    else:
        atomic_write(path, _json_array(dump(p) for p in pairs))


def split_counts(pairs: Iterable[ExportPair]) -> dict[str, int]:
    """Pairs per split present, in train, validation, test order."""
    counts = Counter(p.split for p in pairs)
    return {s: counts[s] for s in SPLITS if counts[s]}


def _json_array(items: Iterable[str]) -> Iterator[str]:
    yield "["
    for i, item in enumerate(items):
        yield ("\n" if i == 0 else ",\n") + item
    yield "\n]\n"


def _by_split(pairs: Sequence[ExportPair]) -> dict[str, list[ExportPair]]:
    groups: dict[str, list[ExportPair]] = {s: [] for s in SPLITS}
    for pair in pairs:
        groups[pair.split].append(pair)
    return {s: g for s, g in groups.items() if g}


def _check_pair(pair: ExportPair) -> None:
    if pair.split not in SPLITS:
        raise ExportError(f"pair {pair.id}: unknown split {pair.split!r}", hint=", ".join(SPLITS))
    for role, _ in pair.context:
        if role not in ROLES:
            raise ExportError(
                f"pair {pair.id}: context role {role!r} is not user or assistant",
                hint="extraction gives context turns the roles user and assistant",
            )


# -- Hugging Face datasets ---------------------------------------------------------------------


def save_hf_dataset(pairs: Sequence[ExportPair], folder: Path, card_text: str) -> None:
    """``DatasetDict.save_to_disk`` into a temporary folder, the card in it, then swapped in.

    Columns: id, messages (role/content list, context included), prompt, response, system,
    tags. Load it back with ``datasets.load_from_disk(folder)``.
    """
    _check_replaceable(folder)
    hf = _hf_datasets()
    features = hf.Features(
        {
            "id": hf.Value("int64"),
            "messages": [{"role": hf.Value("string"), "content": hf.Value("string")}],
            "prompt": hf.Value("string"),
            "response": hf.Value("string"),
            "system": hf.Value("string"),
            "tags": [hf.Value("string")],
        }
    )
    splits = {
        name: hf.Dataset.from_dict(_columns(group), features=features)
        for name, group in _by_split(pairs).items()
    }
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = _temp_path(folder)
    os.mkdir(tmp)  # mode 0o777 less the umask, as a plain mkdir would give
    try:
        with _progress_bars_off(hf):
            hf.DatasetDict(splits).save_to_disk(str(tmp))
        atomic_write(tmp / "README.md", [card_text])
        _swap_in(tmp, folder)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _hf_datasets() -> Any:
    """Hugging Face's ``datasets``, imported only here (it is heavy)."""
    try:
        import datasets as hf
    except ImportError as e:
        raise ExportError(
            "the Hugging Face datasets package is not installed", "pip install datasets"
        ) from e
    # A folder named datasets/ (this repository has one) must not stand in for the package.
    if not hasattr(hf, "DatasetDict"):
        where = ", ".join(str(p) for p in getattr(hf, "__path__", ["?"]))
        raise ExportError(
            f"`import datasets` found {where}, not Hugging Face's package",
            hint="a local datasets/ folder with an __init__.py shadows it",
        )
    return hf


@contextlib.contextmanager
def _progress_bars_off(hf: Any) -> Iterator[None]:
    # save_to_disk draws a tqdm bar on stderr; engine code does not print.
    was_disabled = hf.are_progress_bars_disabled()
    hf.disable_progress_bars()
    try:
        yield
    finally:
        if not was_disabled:
            hf.enable_progress_bars()


def _columns(pairs: Sequence[ExportPair]) -> dict[str, list[Any]]:
    return {
        "id": [p.id for p in pairs],
        "messages": [chat_messages(p) for p in pairs],
        "prompt": [p.prompt for p in pairs],
        "response": [p.response for p in pairs],
        "system": [p.system for p in pairs],
        "tags": [list(p.tags) for p in pairs],
    }


def _check_replaceable(folder: Path) -> None:
    """Only an empty folder or an earlier export may be replaced: never a user's folder."""
    if not folder.exists():
        return
    if folder.is_dir() and ((folder / "dataset_dict.json").is_file() or not any(folder.iterdir())):
        return
    raise ExportError(
        f"{folder} exists and is not an earlier dataset export; not replacing it",
        hint="give a new folder name",
    )


def _swap_in(tmp: Path, folder: Path) -> None:
    """Rename the finished folder into place; an old export is moved aside, then removed."""
    if not folder.exists():
        os.rename(tmp, folder)
    else:
        old = _temp_path(folder, ".old")
        os.rename(folder, old)
        os.rename(tmp, folder)
        shutil.rmtree(old, ignore_errors=True)
    _fsync_dir(folder.parent)


# -- atomic files -------------------------------------------------------------------------------


def atomic_write(path: Path, chunks: Iterable[str]) -> None:
    """Write text to a temporary file beside ``path``, fsync it, and rename it over ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _temp_path(path)
    # O_EXCL: never write through someone else's file; 0o666 less the umask, like open().
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with open(fd, "w", encoding="utf-8", newline="\n") as f:
            f.writelines(chunks)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    _fsync_dir(path.parent)


def _temp_path(target: Path, suffix: str = ".tmp") -> Path:
    # Hidden, beside the target (a rename within one filesystem), and unique.
    return target.with_name(f".{target.name}.{secrets.token_hex(6)}{suffix}")


def _fsync_dir(folder: Path) -> None:
    # The rename is durable once the folder's entry is on disk.
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


# -- the dataset card ---------------------------------------------------------------------------


def dataset_card(counts: Mapping[str, int], fmt: str, info: Mapping[str, object]) -> str:
    """A Markdown dataset card (README.md with YAML front matter for the Hugging Face Hub).

    ``info`` is a plain dict; every key is optional:

    * ``title``: the dataset's name;
    * ``filters``: the rules applied, as {rule: what it removed} or a list of descriptions;
    * ``pii``: the personal-data policy, in a sentence or two;
    * ``sources``: the imported files, as a list of {"sha256", "importer", "conversations",
      "turns"} (a path given is never written: it names whose chat it was);
    * anything else is listed under Notes.
    """
    title = _text(info.get("title", "afina export"), "title")
    lines = ["---", f"pretty_name: {json.dumps(title, ensure_ascii=False)}"]
    lines += ["task_categories:", "- text-generation", "---", "", f"# {title}", ""]
    lines += [f"Exported by afina as {fmt}: {FORMATS[fmt]}.", ""]
    if fmt in ("prompt-completion", "alpaca"):
        lines += [_FLATTENING[fmt], ""]
    lines += ["## Splits", "", "| Split | Pairs |", "| --- | --- |"]
    lines += [f"| {name} | {n:,} |" for name, n in counts.items()]
    lines += [f"| total | {sum(counts.values()):,} |", ""]
    lines += ["## Filters applied", "", *_filter_lines(info.get("filters")), ""]
    pii = info.get("pii")
    lines += ["## Personal data", "", _text(pii, "pii") if pii else "No policy was given.", ""]
    lines += ["## Sources", "", *_source_lines(info.get("sources")), ""]
    known = {"title", "filters", "pii", "sources"}
    notes = [f"- {_cell(str(k))}: {_cell(str(v))}" for k, v in info.items() if k not in known]
    if notes:
        lines += ["## Notes", "", *notes, ""]
    return "\n".join(lines)


_FLATTENING = {
    "prompt-completion": "Multi-turn pairs: the prompt holds the system prompt, then the earlier "
    "turns as `User: ...` / `Assistant: ...` blocks, then `User: <prompt>`, blank-line separated.",
    "alpaca": "Multi-turn pairs: `input` holds the earlier turns as `User: ...` / "
    "`Assistant: ...` blocks, blank-line separated; `system` is present when there is one.",
}


def _filter_lines(filters: object) -> list[str]:
    if not filters:
        return ["None recorded."]
    if isinstance(filters, Mapping):
        rows = [f"| {_cell(str(k))} | {_cell(str(v))} |" for k, v in filters.items()]
        return ["| Rule | Removed |", "| --- | --- |", *rows]
    if isinstance(filters, Sequence) and not isinstance(filters, str):
        return [f"- {_cell(str(f))}" for f in filters]
    raise ExportError("card info 'filters' must be a dict or a list", hint=repr(filters)[:80])


def _source_lines(sources: object) -> list[str]:
    # A path names whose chat it was (a contact, a phone number, a home folder): the card is
    # written to be published, so sources are listed by hash, importer and counts only.
    if not sources:
        return ["None recorded."]
    if isinstance(sources, Mapping):
        entries = [{"sha256": v} for v in sources.values()]
    elif isinstance(sources, Sequence) and not isinstance(sources, str):
        entries = [dict(s) for s in sources if isinstance(s, Mapping)]
    else:
        raise ExportError("card info 'sources' must be a dict or a list", hint=repr(sources)[:80])
    rows = [
        "| `{}` | {} | {} | {} |".format(
            *(_cell(str(e.get(k, ""))) for k in ("sha256", "importer", "conversations", "turns"))
        )
        for e in entries
    ]
    return ["| SHA-256 | Importer | Conversations | Turns |", "| --- | --- | --- | --- |", *rows]


def _text(value: object, key: str) -> str:
    if not isinstance(value, str):
        raise ExportError(f"card info {key!r} must be text", hint=repr(value)[:80])
    return value


def _cell(text: str) -> str:
    # A table cell is one line, and a bare | would end it.
    return " ".join(text.split()).replace("|", "\\|")
