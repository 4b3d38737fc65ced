"""moto server for the tests, on a port the OS picks, with requests applied one
at a time.

moto's own server handles requests on concurrent threads without isolation, so
two racing DynamoDB transactions can both pass their conditions. Real DynamoDB
transactions are serialisable; applying requests one at a time restores that,
which the contract suites' race tests rely on.

moto's DynamoDB Query on a table (not an index) also lists and sorts every item
of the table before keeping one partition's, so its cost grows with the whole
table where DynamoDB's grows with the partition read. `partition_query` gives
it that partition alone: the same results, at the cost DynamoDB's shape has,
so benchmarks and long suites measure Noctis rather than that sort.

usage: moto_serve.py HOST PORT_FILE   (the chosen port is written to PORT_FILE)
"""

import inspect

import os
import signal
import sys
import threading

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from moto.dynamodb.models.table import Table
from werkzeug.serving import make_server


def partition_query(original):
    signature = inspect.signature(original)

    def query(self, *args, **kwargs):
        arguments = signature.bind(self, *args, **kwargs).arguments
        hash_key = arguments.get("hash_key")
        # Newer moto passes the partition key as a condition instead.
        conditions = arguments.get("hash_key_conditions") or []
        if hash_key is None and len(conditions) == 1 and conditions[0][0] == self.hash_key_attr:
            hash_key = conditions[0][1]
        if arguments.get("index_name") or hash_key is None or not self.range_key_attr:
            return original(self, *args, **kwargs)
        partition = list(self.items.get(hash_key, {}).values())
        # Requests are applied one at a time, so the override is seen by this query only.
        self.all_items = lambda: partition
        try:
            return original(self, *args, **kwargs)
        finally:
            del self.all_items

    return query


Table.query = partition_query(Table.query)


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
    # Everything is in memory, so there is nothing to flush: exit at once,
    # without joining request threads held open by clients' keep-alive
    # connections or freeing a heap of gigabytes object by object.
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    server.serve_forever()


if __name__ == "__main__":
    main()
