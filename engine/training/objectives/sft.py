"""Causal-LM SFT on answers: the workspace's accepted pairs, scrubbed and exported per split as
chat messages; the loss falls on the assistant's answers only. Every causal method (lora,
qlora, ia3, prompt-tuning, prefix-tuning, full) trains this way."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from afina.engine.errors import UsageError
from afina.engine.training import checkpoints, recipe
from afina.engine.training.contract import CAUSAL_LM
from afina.engine.training.objectives import Objective

if TYPE_CHECKING:
    from afina.engine.config import TrainSettings
    from afina.engine.training.events import EventLog
    from afina.engine.training.spec import RunSpec
    from afina.engine.workspace import Workspace


class AnswerSFT(Objective):
    name = "sft"
    task = CAUSAL_LM
    description = "supervised fine-tuning of a causal LM on the answers of curated pairs"

    def prepare_data(
        self,
        ws: Workspace,
        settings: TrainSettings,
        options: dict[str, Any],
        data_dir: Path,
        allow: tuple[str, ...],
        system_prompt: str = "",
    ) -> int:
        from afina.engine.training.retrieval_data import add_retrieved_context, add_system

        examples = export_pairs(ws, data_dir, allow)
        if settings.retrieval_share:
            add_retrieved_context(
                ws,
                data_dir / "pairs.train.jsonl",
                settings.retrieval_share,
                settings.retrieval_k,
                settings.retrieval_index,
                settings.seed,
                system=system_prompt,
            )
        if system_prompt:
            for split in ("train", "validation", "test"):
                add_system(data_dir / f"pairs.{split}.jsonl", system_prompt)
        return examples

    def run(
        self,
        spec: RunSpec,
        run_dir: Path,
        log: EventLog | None,
        stop: threading.Event,
        resume: bool,
    ) -> dict[str, Any]:
        from afina.engine.training.callbacks import AfinaCallback

        notes: list[str] = []
        st = recipe.setup(spec, run_dir, notes.append)
        checkpoints.clear_staging(run_dir)
        start_from = checkpoints.latest(run_dir) if resume else None
        if log is not None:
            data = {k: r.to_json() for k, r in st.reports.items()}
            log.emit("ready", **recipe.ready_event(st, start_from, data=data))
        s = spec.settings
        callback = AfinaCallback(run_dir, log, stop, s.keep_checkpoints, s.early_stopping_patience)
        trainer = recipe.make_trainer(st, [callback])
        if start_from is None and st.validation is not None and s.eval_every:
            trainer.evaluate()  # step 0: the base model's validation loss, the curve's baseline
        result = trainer.train(resume_from_checkpoint=str(start_from) if start_from else None)
        metrics = dict(result.metrics)
        if st.validation is not None and s.eval_every and trainer.state.global_step % s.eval_every:
            metrics.update(trainer.evaluate())  # the last step had no evaluation of its own
        if callback.val_losses and "eval_loss" not in metrics:
            metrics["eval_loss"] = callback.val_losses[-1]
        metrics.update(recipe.end_metrics(trainer, st, callback, stop))
        if not stop.is_set():
            metrics["final"] = str(recipe.save_final(trainer, st))
        return metrics

    def measure(self, spec: RunSpec, run_dir: Path, steps: int) -> dict[str, Any]:
        from afina.engine.training.preflight import measure_answers

        return measure_answers(spec, run_dir, steps)


def export_pairs(ws: Workspace, data_dir: Path, allow: tuple[str, ...]) -> int:
    """The accepted pairs, scrubbed, as messages JSONL per split; returns the train count."""
    from afina.engine.curation.dataset_run import export_store
    from afina.engine.store.pairs import PairFilter

    with ws.open_store() as store:
        if not store.count_pairs(PairFilter(status="accepted")):
            raise UsageError(
                "no accepted pairs to train on",
                "run `afina curate` (it can accept what passes the rules) or accept pairs "
                "with `afina pairs accept`",
            )
        data_dir.mkdir(parents=True)
        result, _ = export_store(
            store,
            "messages",
            data_dir / "pairs.jsonl",
            per_split=True,
            allow=ws.scrub_allow(allow),
        )
    examples = int(dict(result.counts).get("train", 0))
    if not examples:
        raise UsageError("the train split is empty", "run `afina split` first")
    return examples


OBJECTIVE = AnswerSFT()
