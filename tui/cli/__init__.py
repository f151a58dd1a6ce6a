"""The `afina` command line. Every TUI action has a verb here, with --json for scripts.

Kept free of textual and of heavy libraries at import time: `afina sources` must start fast.
"""

from __future__ import annotations

import contextlib
import os
import sys
import traceback
from datetime import datetime, timezone
from pathlib import Path

import click

from afina.engine.errors import AfinaError
from afina.tui.cli.output import fail


@click.group(invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--workspace",
    "-w",
    type=click.Path(path_type=Path),
    default=None,
    help="Workspace folder (default: found from the current folder upward).",
)
@click.version_option(package_name="afina")
@click.pass_context
def cli(ctx: click.Context, workspace: Path | None) -> None:
    """afina: build a domain assistant from your chat logs.

    With no command it opens the terminal UI on the workspace.
    """
    ctx.obj = {"workspace": workspace}
    if ctx.invoked_subcommand is None:
        from afina.tui.cli.context import get_workspace

        ws = get_workspace(ctx)
        from afina.tui.app import run_app  # textual only when the UI is wanted

        run_app(ws)


def _register() -> None:
    from afina.tui.cli import (
        chat_cmds,
        dataset_cmds,
        demo_cmd,
        eval_cmds,
        import_cmds,
        index_cmds,
        model_cmds,
        pairs_cmds,
        remote_cmds,
        train_cmds,
        vote_cmds,
        workspace_cmds,
    )

    modules = (
        workspace_cmds,
        import_cmds,
        pairs_cmds,
        dataset_cmds,
        train_cmds,
        model_cmds,
        index_cmds,
        chat_cmds,
        vote_cmds,
        eval_cmds,
        remote_cmds,
    )
    for module in (*modules, demo_cmd):
        for command in module.COMMANDS:
            cli.add_command(command)


_register()


# Crash logs kept in the cache's logs folder; older ones are deleted as new ones come.
KEEP_CRASHES = 20


def save_crash(text: str) -> Path:
    """Write a crash's traceback to a file of its own, ``crash-<UTC time>-<pid>.log``, and
    return it: one file per crash, so a second crash never overwrites the first one's (the
    one a bug report needs), and only the newest ``KEEP_CRASHES`` are kept."""
    from afina.engine.paths import cache_dir

    folder = cache_dir() / "logs"
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S.%fZ")
    log = folder / f"crash-{stamp}-{os.getpid()}.log"
    with log.open("x", encoding="utf-8") as f:  # "x": never over another crash's file
        f.write(text)
    # The names sort by time (a fixed-width UTC stamp first), so the oldest come first.
    for old in sorted(folder.glob("crash-*.log"))[:-KEEP_CRASHES]:
        with contextlib.suppress(OSError):
            old.unlink()
    return log


def main(argv: list[str] | None = None) -> int:
    try:
        # Without standalone mode click returns ctx.exit()'s code instead of exiting.
        code = cli.main(args=argv, prog_name="afina", standalone_mode=False)
    except AfinaError as e:
        fail(e.message, e.hint)
        return e.exit_code
    except click.exceptions.Abort:
        fail("aborted")
        return 130
    except click.ClickException as e:
        e.show()
        return e.exit_code
    except KeyboardInterrupt:
        fail("interrupted")
        return 130
    except Exception as e:  # a bug: one line for the person, the traceback in a file
        try:
            where = f"traceback in {save_crash(traceback.format_exc())}"
        except OSError:
            where = "could not write the traceback"
        fail(f"internal error: {type(e).__name__}: {e}", f"this is a bug in afina; {where}")
        return 1
    return code if isinstance(code, int) else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
