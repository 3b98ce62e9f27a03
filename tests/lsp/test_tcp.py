"""`llm-orc lsp --tcp`: the same server over a TCP socket on loopback."""

from __future__ import annotations

import json
import socket
import subprocess
import threading

from support.lsp import SERVER_COMMAND


def _send(connection: socket.socket, message: dict[str, object]) -> None:
    body = json.dumps(message).encode("utf-8")
    connection.sendall(f"Content-Length: {len(body)}\r\n\r\n".encode("ascii") + body)


def _receive(reader: socket.SocketIO) -> dict[str, object]:
    headers: dict[str, str] = {}
    while (line := reader.readline().decode("ascii").strip()) != "":
        name, _, value = line.partition(":")
        headers[name.lower()] = value.strip()
    message: dict[str, object] = json.loads(reader.read(int(headers["content-length"])))
    return message


def test_the_server_speaks_lsp_over_tcp() -> None:
    port = 0
    server = subprocess.Popen(
        [*SERVER_COMMAND, "--tcp", "--port", "0", "--log-level", "INFO"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stderr is not None
        for line in server.stderr:  # pygls says where it listens once it does
            if "Serving on" in line:
                port = int(line.rsplit(",", 1)[1].strip(" )\n"))
                break
        # Keep reading its log, so that a full pipe never blocks the server.
        threading.Thread(target=server.stderr.read, daemon=True).start()
        with socket.create_connection(("127.0.0.1", port), timeout=30) as connection:
            reader = socket.SocketIO(connection, "rb")
            _send(
                connection,
                {
                    "jsonrpc": "2.0",
                    "id": 1,
                    "method": "initialize",
                    "params": {"processId": None, "rootUri": None, "capabilities": {}},
                },
            )
            reply = _receive(reader)
            assert reply["id"] == 1
            result = reply["result"]
            assert isinstance(result, dict)
            assert result["serverInfo"]["name"] == "llm-orc"
            assert (
                "llm-orc.runEnsemble"
                in result["capabilities"]["executeCommandProvider"]["commands"]
            )
            _send(connection, {"jsonrpc": "2.0", "id": 2, "method": "shutdown"})
            assert _receive(reader)["id"] == 2
    finally:
        server.kill()
        server.wait(timeout=30)
