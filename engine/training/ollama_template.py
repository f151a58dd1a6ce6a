"""A model's chat template (Jinja, as used in training) translated into an Ollama template.

Ollama renders prompts with Go's text/template over ``.Messages``. Rather than translate
Jinja, afina renders probe conversations with the tokenizer's own template, reads off the
pieces every turn is made of (a role header, the content, a footer; the generation prompt;
any text before the first turn; a default system prompt the template adds when none is
given), builds the Go template from those pieces, and then checks that it renders exactly
what the tokenizer renders for a set of conversations. A template that does not fit that
shape (one that trims content, folds the system prompt into a user turn, adds dates ...)
is refused with an error instead of being exported wrong.

:func:`render_go` evaluates the small subset of Go's template language used here, so the
written template itself, not a parallel construction, is what the check compares.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from afina.engine.errors import AfinaError

Messages = Sequence[Mapping[str, str]]
ROLES = ("system", "user", "assistant")
_PROBE = "afinaprobe{}x"  # no spaces: survives templates that strip, and no Jinja or Go syntax


class TemplateUntranslatable(AfinaError):
    """A chat template afina cannot express as an Ollama template exactly."""

    exit_code = 2


@dataclass(frozen=True)
class ChatFormat:
    """The pieces a chat template puts around each turn."""

    begin: str  # before the first turn (a BOS token the template writes)
    headers: Mapping[str, str]  # role -> text before the content
    role_wrap: tuple[str, str] | None  # (before, after): header == before + role + after
    footer: str  # after every turn's content
    generation: str  # opens the assistant's answer (add_generation_prompt)
    default_system: str | None  # what the template uses when no system message is given

    def header(self, role: str) -> str:
        if self.role_wrap is not None:
            return self.role_wrap[0] + role + self.role_wrap[1]
        return self.headers.get(role, self.headers["user"])

    def go_template(self) -> str:
        """The Ollama TEMPLATE: every message in .Messages (the SYSTEM default arrives as the
        first message when a conversation has none), then the generation prompt."""
        if self.role_wrap is not None:
            before, after = self.role_wrap
            header = _lit(before) + "{{ .Role }}" + _lit(after)
        else:
            h = self.headers
            header = (
                f'{{{{ if eq .Role "system" }}}}{_lit(h["system"])}'
                f'{{{{ else if eq .Role "assistant" }}}}{_lit(h["assistant"])}'
                f"{{{{ else }}}}{_lit(h['user'])}{{{{ end }}}}"
            )
        return (
            _lit(self.begin)
            + "{{ range .Messages }}"
            + header
            + "{{ .Content }}"
            + _lit(self.footer)
            + "{{ end }}"
            + _lit(self.generation)
        )


def _lit(text: str) -> str:
    """Literal text in a Go template: only ``{{`` would be read as an action."""
    return text.replace("{{", '{{ "{{" }}')


def hf_render(tokenizer: Any, messages: Messages, generation_prompt: bool = True) -> str:
    try:
        text = tokenizer.apply_chat_template(
            [dict(m) for m in messages], tokenize=False, add_generation_prompt=generation_prompt
        )
    except Exception as e:  # jinja's raise_exception, a missing template ...
        raise TemplateUntranslatable(
            f"the model's chat template refuses a probe conversation: {e}",
            "export the Hugging Face folder and write the Ollama template by hand",
        ) from e
    return str(text)


def ollama_messages(messages: Messages, system: str | None) -> list[dict[str, str]]:
    """What Ollama's chat endpoint hands the template: the Modelfile's SYSTEM first when the
    conversation has no system message, and consecutive turns of one role merged."""
    msgs = [{"role": m["role"], "content": m["content"]} for m in messages]
    if system and (not msgs or msgs[0]["role"] != "system"):
        msgs.insert(0, {"role": "system", "content": system})
    merged: list[dict[str, str]] = []
    for m in msgs:
        if merged and merged[-1]["role"] == m["role"] and m["role"] != "tool":
            merged[-1]["content"] += "\n\n" + m["content"]
        else:
            merged.append(dict(m))
    return merged


def derive(tokenizer: Any) -> ChatFormat:
    """The pieces of ``tokenizer``'s chat template, checked against the template itself."""
    if not getattr(tokenizer, "chat_template", None):
        raise TemplateUntranslatable(
            "the tokenizer has no chat template", "an Ollama Modelfile needs one to chat"
        )
    p = [_PROBE.format(i) for i in range(6)]
    convo = [
        {"role": "system", "content": p[0]},
        {"role": "user", "content": p[1]},
        {"role": "assistant", "content": p[2]},
        {"role": "user", "content": p[3]},
        {"role": "assistant", "content": p[4]},
    ]
    full = hf_render(tokenizer, convo, generation_prompt=False)
    spans = _locate(full, p[:5])
    begin_system = full[: spans[0][0]]
    gaps = [full[spans[i][1] : spans[i + 1][0]] for i in range(4)]  # after s, u, a, u
    footer = full[spans[4][1] :]
    if not footer or not all(g.startswith(footer) for g in gaps):
        raise _untranslatable("the turns do not end with one common footer")
    user_h, asst_h = gaps[0][len(footer) :], gaps[1][len(footer) :]
    if gaps[2][len(footer) :] != user_h or gaps[3][len(footer) :] != asst_h:
        raise _untranslatable("the same role gets different headers in different turns")
    with_prompt = hf_render(tokenizer, convo[:4], generation_prompt=True)
    tail = with_prompt[_locate(with_prompt, p[:4])[3][1] :]
    if not tail.startswith(footer):
        raise _untranslatable("the generation prompt does not follow the last turn's footer")
    generation = tail[len(footer) :]

    role_wrap = _role_wrap(user_h, asst_h, begin_system)
    if role_wrap is not None:
        system_h = role_wrap[0] + "system" + role_wrap[1]
        begin = begin_system[: len(begin_system) - len(system_h)]
    else:
        bos = getattr(tokenizer, "bos_token", None) or ""
        begin = bos if bos and begin_system.startswith(bos) else ""
        system_h = begin_system[len(begin) :]
    fmt = ChatFormat(
        begin,
        {"system": system_h, "user": user_h, "assistant": asst_h},
        role_wrap,
        footer,
        generation,
        None,
    )
    fmt = _with_default_system(tokenizer, fmt, p[5])
    _verify(tokenizer, fmt)
    return fmt


def _untranslatable(why: str) -> TemplateUntranslatable:
    return TemplateUntranslatable(
        f"cannot translate the model's chat template into an Ollama template: {why}",
        "export the Hugging Face folder and write the Ollama TEMPLATE by hand",
    )


def _locate(text: str, probes: Sequence[str]) -> list[tuple[int, int]]:
    spans, pos = [], 0
    for probe in probes:
        if text.count(probe) != 1:
            raise _untranslatable("a message's content is not rendered exactly once, as given")
        start = text.index(probe)
        if start < pos:
            raise _untranslatable("the messages are not rendered in order")
        spans.append((start, start + len(probe)))
        pos = start + len(probe)
    return spans


def _role_wrap(user_h: str, asst_h: str, begin_system: str) -> tuple[str, str] | None:
    """(before, after) when every header is ``before + role + after`` (ChatML and kin)."""
    for m in re.finditer("user", user_h):
        before, after = user_h[: m.start()], user_h[m.end() :]
        if asst_h == before + "assistant" + after and begin_system.endswith(
            before + "system" + after
        ):
            return before, after
    return None


def _with_default_system(tokenizer: Any, fmt: ChatFormat, probe: str) -> ChatFormat:
    msgs = [{"role": "user", "content": probe}]
    rendered = hf_render(tokenizer, msgs)
    if rendered == render(fmt, msgs):
        return fmt
    head = fmt.begin + fmt.header("system")
    rest = fmt.footer + render(fmt, msgs)[len(fmt.begin) :]
    if rendered.startswith(head) and rendered.endswith(rest) and len(rendered) >= len(head + rest):
        default = rendered[len(head) : len(rendered) - len(rest)]
        return ChatFormat(
            fmt.begin, fmt.headers, fmt.role_wrap, fmt.footer, fmt.generation, default
        )
    raise _untranslatable("without a system message the template renders something else")


def render(fmt: ChatFormat, messages: Messages) -> str:
    """The prompt from the pieces, with the generation prompt; no default system added."""
    body = "".join(fmt.header(m["role"]) + m["content"] + fmt.footer for m in messages)
    return fmt.begin + body + fmt.generation


VERIFY: tuple[tuple[dict[str, str], ...], ...] = (
    ({"role": "user", "content": "Hello?"},),
    ({"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}),
    (
        {"role": "user", "content": " two\nlines "},
        {"role": "assistant", "content": "Ünïcode ✓ {{ .Content }}"},
        {"role": "user", "content": "and\n\nmore"},
    ),
    (
        {"role": "system", "content": "You answer questions about the product."},
        {"role": "user", "content": "q1"},
        {"role": "assistant", "content": "a1"},
        {"role": "user", "content": "q2"},
        {"role": "assistant", "content": "a2"},
        {"role": "user", "content": "q3"},
    ),
)


def _verify(tokenizer: Any, fmt: ChatFormat) -> None:
    template = fmt.go_template()
    for convo in VERIFY:
        want = hf_render(tokenizer, convo)
        got = render_go(template, ollama_messages(convo, fmt.default_system))
        if got != want:
            at = next((i for i, (a, b) in enumerate(zip(got, want, strict=False)) if a != b), None)
            at = min(len(got), len(want)) if at is None else at
            lo = max(0, at - 20)
            raise _untranslatable(
                f"at character {at} the derived template renders {got[lo : at + 30]!r} "
                f"where the model's renders {want[lo : at + 30]!r}"
            )


# --- a tiny evaluator for the Go template subset written above -----------------------------

_ACTION = re.compile(r"\{\{(.*?)\}\}", re.S)
_IF_ROLE = re.compile(r'^(?:else )?if eq \.Role ("(?:[^"\\]|\\.)*")$')


def render_go(template: str, messages: Messages, system: str = "") -> str:
    """Render ``template`` as Ollama would for ``messages`` (already through
    :func:`ollama_messages`). Knows only: text, ``{{ "literal" }}``, ``{{ .Role }}``,
    ``{{ .Content }}``, ``{{ .System }}``, ``{{ range .Messages }}`` and
    ``{{ if eq .Role "x" }}`` / ``else if`` / ``else`` / ``end``."""
    tokens: list[tuple[str, str]] = []
    pos = 0
    for m in _ACTION.finditer(template):
        tokens.append(("text", template[pos : m.start()]))
        action = m.group(1)
        if action.startswith("-") or action.endswith("-"):
            raise ValueError(f"trim markers are not supported: {m.group(0)!r}")
        tokens.append(("action", action.strip()))
        pos = m.end()
    tokens.append(("text", template[pos:]))
    body, rest = _parse(tokens, 0, top=True)
    assert rest == len(tokens)
    out: list[str] = []
    _eval(body, {"Messages": list(messages), "System": system}, out)
    return "".join(out)


Node = tuple[Any, ...]


def _parse(tokens: list[tuple[str, str]], i: int, top: bool = False) -> tuple[list[Node], int]:
    nodes: list[Node] = []
    while i < len(tokens):
        kind, value = tokens[i]
        if kind == "text":
            nodes.append(("text", value))
            i += 1
        elif value in ("end", "else") or value.startswith("else if "):
            if top:
                raise ValueError(f"unexpected {{{{ {value} }}}}")
            return nodes, i
        elif value == "range .Messages":
            inner, i = _parse(tokens, i + 1)
            if tokens[i][1] != "end":
                raise ValueError("range without end")
            nodes.append(("range", inner))
            i += 1
        elif (first := _IF_ROLE.match(value)) and not value.startswith("else"):
            branches: list[tuple[str | None, list[Node]]] = []
            cond: str | None = json.loads(first.group(1))
            while True:
                inner, i = _parse(tokens, i + 1)
                branches.append((cond, inner))
                closing = tokens[i][1]
                if closing == "end":
                    break
                m = _IF_ROLE.match(closing)
                if m and closing.startswith("else if"):
                    cond = json.loads(m.group(1))
                elif closing == "else":
                    cond = None
                else:
                    raise ValueError(f"unexpected {{{{ {closing} }}}}")
            nodes.append(("if", branches))
            i += 1
        elif value in (".Role", ".Content", ".System"):
            nodes.append(("field", value[1:]))
            i += 1
        elif value.startswith('"'):
            nodes.append(("text", json.loads(value)))
            i += 1
        else:
            raise ValueError(f"unsupported action {{{{ {value} }}}}")
    return nodes, i


def _eval(nodes: list[Node], dot: Mapping[str, Any], out: list[str]) -> None:
    for node in nodes:
        if node[0] == "text":
            out.append(node[1])
        elif node[0] == "field":
            key = node[1].lower() if "role" in dot else node[1]
            out.append(str(dot.get(key, "")))
        elif node[0] == "range":
            for message in dot["Messages"]:
                _eval(node[1], message, out)
        elif node[0] == "if":
            for cond, body in node[1]:
                if cond is None or dot.get("role") == cond:
                    _eval(body, dot, out)
                    break
