"""`afina export-model`: a run's result as a merged Hugging Face folder with an Ollama Modelfile."""

from __future__ import annotations

from pathlib import Path

import click

from afina.engine.training import jobs
from afina.tui.cli.context import get_workspace
from afina.tui.cli.output import emit_json, err, out

_DTYPES = ("float32", "bfloat16", "float16")  # engine.training.export_model.DTYPES, kept light


@click.command("export-model")
@click.argument("run_id", metavar="RUN")
@click.argument("dest", metavar="OUT", type=click.Path(path_type=Path))
@click.option(
    "--checkpoint", type=int, default=None, metavar="N", help="Export checkpoint N, not final."
)
@click.option(
    "--dtype",
    type=click.Choice(_DTYPES),
    default="float32",
    show_default=True,
    help="Precision of the saved weights.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_context
def export_model_cmd(
    ctx: click.Context,
    run_id: str,
    dest: Path,
    checkpoint: int | None,
    dtype: str,
    as_json: bool,
) -> None:
    """Merge run RUN's adapter into its base model and write OUT: a Hugging Face folder
    (safetensors, tokenizer, generation config) and an Ollama Modelfile.

    RUN is a run id or a unique prefix of one (`afina jobs` lists them). OUT must be new,
    empty, or an earlier export.
    """
    from afina.engine.training.export_model import export_model

    run_dir = jobs.find_run(get_workspace(ctx), run_id)
    with err.status(f"exporting run {run_dir.name}") as status:
        result = export_model(
            run_dir, dest, checkpoint=checkpoint, dtype=dtype, say=lambda m: status.update(m)
        )
    if as_json:
        emit_json(result.to_json())
        return
    how = "adapter merged into the base" if result.merged else "full fine-tune"
    out.print(
        f"[green]Exported[/] run {result.run_id} ({result.method} on {result.base_model}, "
        f"{result.source}, {how}) to {result.out}",
        markup=True,
    )
    out.print(f"  Hugging Face: AutoModelForCausalLM.from_pretrained({str(result.out)!r})")
    out.print(f"  Ollama:       ollama create NAME -f {result.out / 'Modelfile'}")
    system = f"; default system prompt {result.system!r}" if result.system else ""
    out.print(f"  stops on {', '.join(result.stop_tokens)}{system}")
    loss = result.metrics.get("eval_loss", result.metrics.get("train_loss"))
    if isinstance(loss, (int, float)):
        which = "validation" if "eval_loss" in result.metrics else "train"
        out.print(f"  final {which} loss {loss:.4f}")


COMMANDS = (export_model_cmd,)
