"""The eager start of aiohttp's body writer on Python 3.11 (harness/endpoints/eager.py).

The factory is checked on coroutines of our own, one per way a first step can end (it
finishes, it waits, it fails, it is cancelled later), then on the real thing: requests
through the SDK's aiohttp transport to a scripted server on 127.0.0.1, where every body
writer must have been started at once and every reply must still be right.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import socket
import sys
import threading
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from harness.endpoints.eager import EagerBodyWrites, install_eager_body_writes
from harness.endpoints.retry import RetryPolicy
from harness.endpoints.settings import Endpoint, HttpClient, OutputMode
from harness.endpoints.transport import CallFailed, Transport
from harness.fakes import ChatRequest, Reply, Script, ScriptedServer

Start = Callable[[Script], ScriptedServer]
steps: list[str] = []
where: contextvars.ContextVar[str] = contextvars.ContextVar("where", default="caller")


async def finishes() -> str:
    steps.append("finishes ran")
    return "done"


async def waits(gate: asyncio.Future[str]) -> str:
    steps.append(f"waits started, sees {where.get()}")
    where.set("inside")
    value = await gate
    steps.append(f"waits got {value}, sees {where.get()}")
    return value.upper()


async def fails() -> None:
    steps.append("fails ran")
    raise ValueError("bad body")


async def cleans_up(gate: asyncio.Future[None]) -> None:
    try:
        await gate
    finally:
        steps.append("cleaned up")


def on_a_loop(test: Callable[..., Awaitable[None]]) -> Callable[..., None]:
    """The test body on a fresh event loop (no pytest asyncio plugin here)."""

    @functools.wraps(test)
    def run(*args: Any, **kwargs: Any) -> None:
        asyncio.run(test(*args, **kwargs))  # type: ignore[arg-type]

    return run


def theirs(
    loop: asyncio.AbstractEventLoop, coro: Any, context: contextvars.Context | None = None
) -> asyncio.Future[Any]:
    """A task factory of the caller's own."""
    return asyncio.Task(coro, loop=loop, context=context)


def eager_for(*functions: Any) -> EagerBodyWrites:
    return EagerBodyWrites(frozenset(f.__code__ for f in functions))


@on_a_loop
async def test_a_first_step_that_finishes_gives_a_finished_future() -> None:
    steps.clear()
    factory = eager_for(finishes)
    future = factory(asyncio.get_running_loop(), finishes())
    assert steps == ["finishes ran"] and future.done() and future.result() == "done"
    assert factory.started == 1


@on_a_loop
async def test_a_waiting_coroutine_runs_its_first_step_now_and_the_rest_in_a_task() -> None:
    steps.clear()
    loop = asyncio.get_running_loop()
    gate: asyncio.Future[str] = loop.create_future()
    task = eager_for(waits)(loop, waits(gate))
    assert steps == ["waits started, sees caller"] and not task.done()
    assert where.get() == "caller"  # the coroutine's context is its own, as a task's is
    gate.set_result("ok")
    assert await task == "OK"
    assert steps == ["waits started, sees caller", "waits got ok, sees inside"]


@on_a_loop
async def test_a_context_given_for_the_task_is_the_one_it_runs_in() -> None:
    steps.clear()
    loop = asyncio.get_running_loop()
    where.set("changed by the caller")
    given = contextvars.Context()  # empty, so falsy: it must still be the one used
    gate: asyncio.Future[str] = loop.create_future()
    task = eager_for(waits)(loop, waits(gate), context=given)
    gate.set_result("ok")
    await task
    assert steps == ["waits started, sees caller", "waits got ok, sees inside"]
    assert given[where] == "inside" and where.get() == "changed by the caller"


@on_a_loop
async def test_an_error_in_the_first_step_lands_on_the_future() -> None:
    steps.clear()
    future = eager_for(fails)(asyncio.get_running_loop(), fails())
    assert steps == ["fails ran"] and future.done()
    with pytest.raises(ValueError, match="bad body"):
        future.result()


@on_a_loop
async def test_cancelling_the_rest_reaches_the_coroutine() -> None:
    steps.clear()
    loop = asyncio.get_running_loop()
    gate: asyncio.Future[None] = loop.create_future()
    task = eager_for(cleans_up)(loop, cleans_up(gate))
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert steps == ["cleaned up"] and gate.cancelled()


@on_a_loop
async def test_other_coroutines_get_an_ordinary_task() -> None:
    steps.clear()
    factory = eager_for(waits)
    task = factory(asyncio.get_running_loop(), finishes())
    assert steps == [] and isinstance(task, asyncio.Task)  # not run yet
    assert await task == "done" and factory.started == 0


@on_a_loop
async def test_install_is_once_per_loop_and_never_over_another_factory() -> None:
    loop = asyncio.get_running_loop()
    assert loop.get_task_factory() is None
    try:
        first = install_eager_body_writes(loop)
        if sys.version_info >= (3, 12):  # aiohttp starts its writer eagerly itself
            assert first is None and loop.get_task_factory() is None
            return
        assert first is not None and install_eager_body_writes(loop) is first
        assert loop.get_task_factory() is first
    finally:
        loop.set_task_factory(None)
    loop.set_task_factory(theirs)
    try:
        assert install_eager_body_writes(loop) is None
        assert loop.get_task_factory() is theirs
    finally:
        loop.set_task_factory(None)


def echo(request: ChatRequest) -> Reply:
    return Reply(content=request.user_text.upper())


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="aiohttp starts it eagerly on 3.12+")
@pytest.mark.parametrize("client", [HttpClient.AIOHTTP, HttpClient.HTTPX])
@on_a_loop
async def test_every_body_writer_through_the_sdk_starts_at_once(
    scripted_server: Start, client: HttpClient
) -> None:
    """40 requests, 8 at a time, over real HTTP: each reply answers its own body."""
    server = scripted_server(echo)
    endpoint = Endpoint(base_url=server.base_url, model="m", concurrency=8, http_client=client)
    transport = Transport(endpoint, None, RetryPolicy(max_attempts=1), {})
    loop = asyncio.get_running_loop()
    try:
        bodies = [
            {"model": "m", "messages": [{"role": "user", "content": f"doc {i} " + "x" * 5000}]}
            for i in range(40)
        ]
        results = await asyncio.gather(*(transport.send(b, OutputMode.JSON_OBJECT) for b in bodies))
        factory = loop.get_task_factory()
        if client is HttpClient.HTTPX:  # httpx writes in the caller's task: nothing to do
            assert factory is None
        else:
            assert isinstance(factory, EagerBodyWrites) and factory.started == len(bodies)
    finally:
        await transport.close()
        loop.set_task_factory(None)
    contents = [r.content for r in results]
    assert contents == [f"DOC {i} " + "X" * 5000 for i in range(40)]


class Unread:
    """A server that accepts connections and never reads: a large body fills the socket
    buffers, aiohttp's writer pauses mid-body and the eager first step hands it over."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.accepted: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.listener.getsockname()[1]}/v1"

    def _accept(self) -> None:
        while True:
            try:
                self.accepted.append(self.listener.accept()[0])
            except OSError:  # closed
                return

    def close(self) -> None:
        self.listener.close()
        for conn in self.accepted:
            conn.close()


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="aiohttp starts it eagerly on 3.12+")
@on_a_loop
async def test_a_body_the_server_never_reads_times_out_and_leaves_nothing_behind() -> None:
    """The body writer blocks mid-body after its eager first step; the per-attempt
    deadline must still end the attempt as `timeout`, cancel the writer's task, and leave
    no task running and no exception unretrieved."""
    server = Unread()
    loop = asyncio.get_running_loop()
    unhandled: list[dict[str, Any]] = []
    loop.set_exception_handler(lambda _, context: unhandled.append(context))
    endpoint = Endpoint(base_url=server.base_url, model="m", timeout_s=0.5)
    transport = Transport(endpoint, None, RetryPolicy(max_attempts=1), {})
    body = {"model": "m", "messages": [{"role": "user", "content": "x" * 8_000_000}]}
    try:
        with pytest.raises(CallFailed) as failed:
            await transport.send(body, OutputMode.JSON_OBJECT)
        factory = loop.get_task_factory()
        assert isinstance(factory, EagerBodyWrites) and factory.started == 1
    finally:
        await transport.close()
        server.close()
        loop.set_task_factory(None)
    assert failed.value.failure.kind == "timeout" and failed.value.http_attempts == 1
    await asyncio.sleep(0.05)
    others = asyncio.all_tasks() - {asyncio.current_task()}
    assert not others and not unhandled, (others, unhandled)
