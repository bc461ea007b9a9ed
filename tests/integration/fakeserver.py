"""The threaded HTTP server the Python fakes share (fakeapi.FakeMackerel,
tests/plugins/ec2/fakeimds.FakeImds).  Python 3 standard library only.

    class FakeThing(FakeServer):
        def __init__(self, port=0):
            handler = type("Handler", (_Handler,), {"thing": self})
            self._serve(handler, "127.0.0.1", port, "fakething")

    thing = FakeThing().start()     # or: with FakeThing() as thing:
    ... thing.port ...
    thing.stop()

stop() also sets self._release, the event hung requests wait on: a fake's
"hang" fault returns when the server stops.
"""

import http.server
import socketserver
import threading


class ThreadedServer(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64     # bursts of agent connections

    def handle_error(self, request, client_address):
        # Clients that give up (timeouts, resets) are expected; stay quiet.
        pass


class FakeServer:
    """Base of a fake: a ThreadedServer served from a daemon thread."""

    def _serve(self, handler, host, port, name):
        """Bind (host, port) with handler; call from __init__."""
        self._release = threading.Event()
        self._server = ThreadedServer((host, port), handler)
        self._thread = None
        self._thread_name = name

    def start(self):
        if self._thread is None:
            self._thread = threading.Thread(target=self._server.serve_forever,
                                            kwargs={"poll_interval": 0.05},
                                            name=self._thread_name, daemon=True)
            self._thread.start()
        return self

    def stop(self):
        self._release.set()
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(5)
            self._thread = None
        self._server.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
