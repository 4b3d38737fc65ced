"""moto server for the tests, on a port the OS picks, with requests applied one
at a time.

moto's own server handles requests on concurrent threads without isolation, so
two racing DynamoDB transactions can both pass their conditions. Real DynamoDB
transactions are serialisable; applying requests one at a time restores that,
which the contract suites' race tests rely on.

usage: moto_serve.py HOST PORT_FILE   (the chosen port is written to PORT_FILE)
"""

import os
import signal
import sys
import threading

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import make_server


def main() -> None:
    host, port_file = sys.argv[1], sys.argv[2]
    app = DomainDispatcherApplication(create_backend_app)
    lock = threading.Lock()

    def one_at_a_time(environ, start_response):
        with lock:
            return list(app(environ, start_response))

    server = make_server(host, 0, one_at_a_time, threaded=True, request_handler=MotoRequestHandler)
    port = server.socket.getsockname()[1]
    os.environ["MOTO_PORT"] = str(port)
    with open(port_file + ".tmp", "w") as f:
        f.write(str(port))
    os.replace(port_file + ".tmp", port_file)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    server.serve_forever()


if __name__ == "__main__":
    main()
