"""The `harness` command: a thin layer over the Python API.

Every user error becomes one line on stderr naming the file and field, with exit code 2
(usage) or 1/3 (run or endpoint failure); SIGTERM is handled like Ctrl-C, so cleanup
(the local model server, the run manifest) always happens.
"""

from __future__ import annotations

import signal
import sys
from types import FrameType

import click

from harness import __version__
from harness.cli.lazy import LazyGroup
from harness.errors import HarnessError, storage_error

__all__ = ["cli", "main"]


@click.group(
    cls=LazyGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, prog_name="claim-harness")
def cli() -> None:
    """Evaluate how well language models extract claims and their attribution
    ("who said what, reported by whom") from news documents.

    \b
    Quick start (embedded local model, no API key):
      harness run
    Against any OpenAI-compatible endpoint:
      harness run --prompt extract@v2 --model gpt-4o-mini --base-url https://api.openai.com/v1
    """


class _Stop:
    """Which signal stopped the command, for its exit code (128 + signal number, as a
    shell reports a process killed by it). One per process, set only by the handlers."""

    signum: int | None = None


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    """Treat SIGTERM as Ctrl-C: inside asyncio.run the SIGINT handler cancels the main task,
    so cleanup (manifest, local server) runs at an await point, never mid-write."""
    _Stop.signum = _Stop.signum or signum
    signal.raise_signal(signal.SIGINT)


def install_signal_handlers() -> None:
    """Handle SIGINT and SIGTERM whatever this process inherited. A shell starts a
    background job (`harness run ... &`) with SIGINT ignored, and Python then installs no
    handler of its own, so SIGTERM (turned into SIGINT here) was ignored too. asyncio.run
    puts its own SIGINT handler in place only over `signal.default_int_handler`, so that is
    the handler installed outside a run; `_Stop` learns the signal from SIGTERM's handler
    or, for SIGINT, from the interrupt itself."""
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _on_sigterm)


def _interrupted() -> None:
    signum = _Stop.signum or signal.SIGINT
    click.echo(f"interrupted ({signal.Signals(signum).name})", err=True)
    sys.exit(128 + signum)


def main() -> None:
    install_signal_handlers()
    try:
        cli.main(prog_name="harness", standalone_mode=False)
    except (click.exceptions.Abort, KeyboardInterrupt):
        _interrupted()
    except click.UsageError as exc:  # one line, like every other user error
        command = exc.ctx.command_path if exc.ctx else "harness"
        click.echo(f"error: {command}: {exc.format_message()} (see {command} --help)", err=True)
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except HarnessError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except OSError as exc:  # a full, read-only or broken file system: one line, no traceback
        error = storage_error(exc)
        click.echo(f"error: {error}", err=True)
        sys.exit(error.exit_code)
