"""The followed run: where it is, how fast it goes, what the curves say, and its curves.

Everything here is drawn from one :class:`RunTrace`; the screen hands in a new trace as
events arrive and this view only redraws.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import ProgressBar, Static

from afina.engine.training.jobs import RECONNECTING
from afina.engine.training.trace import RunTrace
from afina.tui.widgets.loss_chart import LossChart
from afina.tui.widgets.printable import shown
from afina.tui.widgets.runs_table import loss_text, state_text

VERDICT_STYLE = {
    "learning": "green",
    "converged": "green",
    "too-early": "dim",
    "flat": "yellow",
    "overfitting": "yellow",
    "early-stop": "yellow",
}


def duration_text(seconds: float) -> str:
    """3h 05m, 12m 40s, 9s."""
    s = round(seconds)
    if s >= 3600:
        return f"{s // 3600}h {s % 3600 // 60:02d}m"
    if s >= 60:
        return f"{s // 60}m {s % 60:02d}s"
    return f"{s}s"


def head_text(t: RunTrace) -> Text:
    text = Text.assemble((t.run_id, "bold"), "  ", state_text(t.state), "  ")
    text.append(f"{t.method} on {t.base_model}", style="dim")
    return text


def stats_text(t: RunTrace) -> Text:
    """Step, losses and learning rate; speed, ETA and memory; checkpoints: three lines."""
    parts = [f"step {t.step}/{t.total}" if t.total else f"step {t.step}"]
    parts.append(f"loss {loss_text(t.loss)}")
    val = f"val {loss_text(t.val_loss)}"
    if t.best_val is not None and t.val_loss is not None and t.best_val < t.val_loss:
        val += f" (best {t.best_val:.4f})"
    parts.append(val)
    if t.lr is not None:
        parts.append(f"lr {t.lr:.2e}")
    speed = [t.device] if t.device else []
    if t.tokens_per_s is not None:
        speed.append(f"{t.tokens_per_s:.0f} tok/s")
    if t.s_per_step is not None:
        speed.append(f"{t.s_per_step:.2f} s/step")
    if t.eta_s is not None:
        speed.append(f"ETA {duration_text(t.eta_s)}")
    if t.peak_mib is not None:
        speed.append(f"peak {t.peak_mib:.0f} MiB")
    ckpt = f"{t.checkpoints} checkpoint{'' if t.checkpoints == 1 else 's'}"
    if t.last_checkpoint is not None:
        ckpt += f" (newest at step {t.last_checkpoint})"
    return Text("\n".join(x for x in (" · ".join(parts), " · ".join(speed), ckpt) if x))


def advice_text(t: RunTrace) -> Text:
    if t.message.startswith(RECONNECTING):  # a remote run's link dropped; the run goes on
        return Text.assemble((f"{RECONNECTING} ", "bold yellow"), t.message[len(RECONNECTING) :])
    if t.state == "failed" and t.message:
        return Text.assemble(("failed: ", "bold red"), t.message)
    if t.state in ("stopped", "interrupted"):
        hint = "press r to resume from the newest checkpoint"
        note = f"{t.message}; " if t.message else ""
        return Text.assemble((f"{t.state}: ", "bold yellow"), note + hint)
    if t.advice:
        style = VERDICT_STYLE.get(t.verdict, "cyan")
        return Text.assemble((f"{t.verdict or 'advice'}: ", f"bold {style}"), t.advice)
    if t.state == "starting":
        return Text("loading the model and the data…", style="dim")
    return Text("")


class RunView(Vertical):
    def compose(self) -> ComposeResult:
        yield Static(id="run-head")
        yield ProgressBar(id="run-progress", show_eta=False)
        yield Static(id="run-stats")
        yield Static(id="run-advice")
        yield LossChart(id="run-chart")

    def clear(self, note: str) -> None:
        self.query_one("#run-head", Static).update(shown(Text(note, style="italic")))
        self.query_one("#run-progress", ProgressBar).update(total=None, progress=0)
        self.query_one("#run-stats", Static).update("")
        self.query_one("#run-advice", Static).update("")
        self.query_one(LossChart).show((), (), 0)

    def show(self, t: RunTrace) -> None:
        self.query_one("#run-head", Static).update(shown(head_text(t)))
        bar = self.query_one("#run-progress", ProgressBar)
        if t.total:
            bar.update(total=t.total, progress=min(t.step, t.total))
        else:
            bar.update(total=None if t.live else 1, progress=0)
        self.query_one("#run-stats", Static).update(stats_text(t))
        # The message of a failed run can quote the data it failed on.
        self.query_one("#run-advice", Static).update(shown(advice_text(t)))
        self.query_one(LossChart).show(t.train, t.val, t.total)
