"""EmbeddedNatsServer: a real child process, and clear errors when it cannot run."""

from __future__ import annotations

import socket
from pathlib import Path

import nats
import pytest

from kubeopt_common.bus import server
from kubeopt_common.bus.server import EmbeddedNatsServer, NatsServerError


async def test_start_serves_jetstream_and_stop_ends_the_process(tmp_path: Path) -> None:
    with EmbeddedNatsServer(tmp_path / "nats") as embedded:
        assert embedded.port > 0
        client = await nats.connect(embedded.url)
        try:
            account = await client.jetstream().account_info()
            assert account.limits is not None
        finally:
            await client.close()
        running_inside = embedded.running
    assert running_inside
    assert not embedded.running
    embedded.stop()  # a second stop is harmless


def test_a_port_held_by_another_process_is_a_clear_error(tmp_path: Path) -> None:
    # Someone else listens on the port: a TCP connect would succeed, but nats-server cannot bind.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        embedded = EmbeddedNatsServer(tmp_path, port=port)
        with pytest.raises(NatsServerError, match="address already in use") as info:
            embedded.start()
    assert f"127.0.0.1:{port}" in str(info.value)
    assert not embedded.running


def test_an_unusable_binary_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    binary = tmp_path / "nats-server"
    binary.write_text("not a program")
    monkeypatch.setattr(server, "nats_server_binary", lambda: binary)

    with pytest.raises(NatsServerError, match=f"cannot run nats-server at {binary}"):
        EmbeddedNatsServer(tmp_path / "store").start()


def test_free_port_is_bindable() -> None:
    port = server.free_port()
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", port))
