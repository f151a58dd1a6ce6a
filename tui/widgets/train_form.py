"""The new-run form: the method, the common hyperparameters, and the method's own options.

The method's fields are drawn from the options its plugin declares (name, type, default,
help, choices), so a trainer installed from elsewhere gets a form without any code here. The
form only holds text; the screen hands it to the train action as ``KEY=VALUE`` overrides
and the method's values, which the engine parses and checks, saying what is wrong in words.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Literal

from textual import events, on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Button, Checkbox, Input, Label, Select, Static

from afina.engine.config import TrainSettings
from afina.engine.plugins import Option
from afina.engine.training.recommend import CHOSEN

# The [train] settings the form shows, with what each one does.
COMMON: tuple[tuple[str, str], ...] = (
    ("base_model", "The base model: a name (`afina models`), a local folder or a Hugging Face id."),
    ("epochs", "Passes over the training pairs."),
    ("max_steps", "Stop after this many steps; 0 runs for the epochs."),
    ("learning_rate", "Peak learning rate, reached after warm-up and then decayed."),
    ("batch_size", "Pairs per step."),
    ("max_length", "Tokens per example; a longer one loses earlier context or is dropped."),
    ("eval_every", "Steps between validation losses; 0 turns evaluation off."),
    ("checkpoint_every", "Steps between checkpoints (a stopped run resumes from the newest)."),
)
METHOD_HELP = "The training method (`afina plugins` lists them); its options follow below."


def field_text(value: Any) -> str:
    """A setting as the person types it: 0.0002, not 0.00020000000000000001."""
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


InputType = Literal["integer", "number", "text"]
OPTION_INPUT: dict[str, InputType] = {"int": "integer", "float": "number"}


def _input_type(value: Any) -> InputType:
    if isinstance(value, bool):
        return "text"
    if isinstance(value, int):
        return "integer"
    return "number" if isinstance(value, float) else "text"


def _safe_id(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "_", name)


class TrainForm(VerticalScroll):
    """Posts ``MethodChosen`` when the method changes; the screen loads its options."""

    class MethodChosen(Message):
        def __init__(self, method: str) -> None:
            super().__init__()
            self.method = method

    def __init__(
        self,
        settings: TrainSettings,
        methods: Sequence[str],
        *,
        id: str,
        given: frozenset[str] = frozenset(CHOSEN),
        hosts: Sequence[tuple[str, str]] = (),
    ) -> None:
        super().__init__(id=id)
        self._hosts = list(hosts)  # (name, destination) of the GPU boxes `afina remote add` knows
        self._settings = settings
        # Settings afina.toml leaves out start empty: the run gets the recommended value.
        self._auto = {k for k in CHOSEN if k not in given}
        self._methods = list(dict.fromkeys([*methods, settings.method]))
        self._options: dict[str, tuple[Option, Widget]] = {}
        self._help: dict[str, str] = {}  # widget id -> what the field does

    def compose(self) -> ComposeResult:
        yield Label("New run", classes="pane-title")
        with Horizontal(classes="form-row"):
            yield Label("method", classes="form-label")
            yield Select(
                [(m, m) for m in self._methods],
                value=self._settings.method,
                allow_blank=False,
                compact=True,
                id="form-method",
            )
        self._help["form-method"] = METHOD_HELP
        with Horizontal(classes="form-row"):
            yield Label("run on", classes="form-label")
            yield Select(
                [("this machine", "")] + [(f"{n} ({d})", n) for n, d in self._hosts],
                value="",
                allow_blank=False,
                compact=True,
                id="form-where",
            )
        self._help["form-where"] = (
            "Where the run trains: here, or on a GPU box added with `afina remote add` (its "
            "progress shows here as for a local run; the adapter comes back when it ends)."
        )
        for name, help_text in COMMON:
            value = getattr(self._settings, name)
            auto = name in self._auto
            with Horizontal(classes="form-row"):
                yield Label(name, classes="form-label")
                yield Input(
                    "" if auto else field_text(value),
                    placeholder="auto" if auto else "",
                    type=_input_type(value),
                    compact=True,
                    id=f"form-{name}",
                )
            self._help[f"form-{name}"] = help_text + (
                " Empty: chosen from your data (the preflight shows the value)." if auto else ""
            )
        yield Label("Method options", id="options-title", classes="form-section")
        yield Vertical(id="form-options")
        with Horizontal(id="form-buttons"):
            yield Button(
                "Preflight (p)", id="preflight-button", compact=True, action="screen.preflight"
            )
            yield Button(
                "Launch (l)",
                id="launch-button",
                variant="primary",
                compact=True,
                action="screen.launch",
            )
        yield Static(id="form-help")

    # -- values ----------------------------------------------------------------------------

    @property
    def method(self) -> str:
        return str(self.query_one("#form-method", Select).value)

    @property
    def where(self) -> str | None:
        """The GPU box chosen to run on, or None for this machine."""
        return str(self.query_one("#form-where", Select).value) or None

    def overrides(self) -> list[str]:
        """The filled-in common fields as ``KEY=VALUE``, over the workspace's [train]
        settings; an empty one is left to the recommendation."""
        values = {n: self.query_one(f"#form-{n}", Input).value.strip() for n, _ in COMMON}
        return [*(f"{n}={v}" for n, v in values.items() if v), f"method={self.method}"]

    def method_values(self) -> dict[str, Any]:
        """The method's options as typed (text, or a bool for a switch); the plugin parses them."""
        values: dict[str, Any] = {}
        for name, (_, widget) in self._options.items():
            if isinstance(widget, (Checkbox, Select)):
                values[name] = widget.value
            elif isinstance(widget, Input):
                values[name] = widget.value.strip()
        return values

    # -- the method's options --------------------------------------------------------------

    def show_options(
        self, method: str, description: str, options: Sequence[Option], values: dict[str, Any]
    ) -> None:
        """Draw one field per declared option, starting from ``values``."""
        if method != self.method:
            return  # the person has chosen another method meanwhile
        box = self.query_one("#form-options", Vertical)
        box.remove_children()
        self._options = {}
        rows = []
        for option in options:
            widget = self._field(option, values.get(option.name, option.default))
            self._options[option.name] = (option, widget)
            rows.append(
                Horizontal(Label(option.name, classes="form-label"), widget, classes="form-row")
            )
        box.mount_all(rows)
        title = f"{method} options" + (f" · {description}" if description else "")
        if not options:
            title = f"{method}: no options"
        self.query_one("#options-title", Label).update(title)

    def options_failed(self) -> None:
        self.query_one("#options-title", Label).update(f"{self.method}: cannot be loaded")

    def _field(self, option: Option, value: Any) -> Widget:
        wid = f"opt-{_safe_id(option.name)}"
        self._help[wid] = f"{option.name} ({option.type}): {option.help}"
        if option.type == "bool":
            return Checkbox(value=bool(value), compact=True, id=wid)
        if option.type == "choice":
            start = value if value in option.choices else option.choices[0]
            return Select(
                [(c, c) for c in option.choices],
                value=start,
                allow_blank=False,
                compact=True,
                id=wid,
            )
        kind = OPTION_INPUT.get(option.type, "text")
        return Input(field_text(value), type=kind, compact=True, id=wid)

    # -- events ----------------------------------------------------------------------------

    @on(Select.Changed, "#form-method")
    def _method_changed(self, event: Select.Changed) -> None:
        event.stop()
        self.query_one("#form-options", Vertical).remove_children()
        self._options = {}
        self.query_one("#options-title", Label).update(f"{self.method} options: reading…")
        self.post_message(self.MethodChosen(self.method))

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        widget: Widget | None = event.widget
        while widget is not None and widget is not self:
            if widget.id in self._help:
                self.query_one("#form-help", Static).update(self._help[widget.id])
                return
            widget = widget.parent if isinstance(widget.parent, Widget) else None
