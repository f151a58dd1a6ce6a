"""What a preflight measured: steps, seconds per step, the estimate, padding, the data kept
and dropped, and whether answers end on the token generation stops on.

The same facts as `afina train --dry-run`, from the same report (``preflight.measure``).
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from afina.tui.widgets.printable import shown
from afina.tui.widgets.run_view import duration_text


def _dropped(data: dict[str, Any]) -> str:
    dropped = data.get("dropped") or {}
    total = sum(dropped.values())
    why = ", ".join(f"{n} {reason}" for reason, n in sorted(dropped.items()))
    return f"{total} dropped" + (f" ({why})" if why else "")


def preflight_text(report: dict[str, Any]) -> Text:
    hw = report.get("hardware") or {}
    text = Text.assemble(
        ("Preflight", "bold"),
        f": {report.get('method')} on {report.get('base_model')} ",
        (f"({hw.get('device', '?')}, {report.get('precision', '?')})", "dim"),
        "\n",
    )
    steps = report.get("total_steps", 0)
    per_step = report.get("seconds_per_step", 0.0)
    text.append(
        f"  {report.get('steps_per_epoch')} steps per epoch, {steps} in all · "
        f"{per_step} s/step measured · estimate {duration_text(report.get('estimated_seconds', 0))}"
        f" · peak {report.get('peak_gpu_mib') or report.get('peak_rss_mib')} MiB\n"
    )
    for split, data in (report.get("data") or {}).items():
        text.append(
            f"  {split}: {data.get('examples')} pairs, {data.get('kept')} kept "
            f"({data.get('context_trimmed', 0)} with earlier context trimmed), "
            f"{_dropped(data)}; {data.get('tokens')} tokens, longest {data.get('longest')}\n"
        )
    text.append(f"  padding: {report.get('padding_share', 0.0):.1%} of batch slots\n")
    t = report.get("template") or {}
    text.append("  chat template: ")
    if t.get("ok"):
        text.append("ok", style="green")
    else:
        text.append("MISMATCH", style="bold red")
    text.append(
        f" (answers end with {', '.join(t.get('answer_end_tokens', []))}; generation stops on "
        f"{', '.join(t.get('generation_stops_on', []))})"
    )
    if report.get("why"):
        text.append(f"\n  {report['why']}", style="dim")
    for line in report.get("chosen", ()):
        text.append(f"\n  {line}", style="dim")
    if report.get("system_prompt"):
        text.append(f"\n  system prompt: {report['system_prompt']}", style="dim")
        if report.get("system_prompt_why"):
            text.append(f"\n    ({report['system_prompt_why']})", style="dim")
    return text


class PreflightPanel(VerticalScroll):
    """Hidden until a preflight reports; Escape (on the screen) hides it again. It scrolls:
    at 80x24 the recommended settings and the system prompt, which come last, are below the
    dozen lines it may take."""

    def compose(self) -> ComposeResult:
        yield Static(id="preflight-text")

    def show(self, report: dict[str, Any]) -> None:
        self.query_one(Static).update(shown(preflight_text(report)))
        self.scroll_home(animate=False)
        self.add_class("shown")

    def busy(self, note: str) -> None:
        self.query_one(Static).update(shown(Text(note, style="italic")))
        self.add_class("shown")

    def hide(self) -> None:
        self.remove_class("shown")
