"""Loopback HTTP server for tests/test_datasets_fetch.c.

Serves DIRECTORY like `python3 -m http.server --bind 127.0.0.1 PORT`, plus
/truncated/NAME, which announces NAME's full Content-Length but sends only half
of its bytes before closing: a transfer cut short.

usage: python3 http_server.py PORT DIRECTORY
"""
import functools
import http.server
import os
import sys


class Handler(http.server.SimpleHTTPRequestHandler):
    def do_GET(self):
        prefix = "/truncated/"
        if self.path.startswith(prefix):
            path = os.path.join(self.directory, os.path.basename(self.path[len(prefix):]))
            with open(path, "rb") as source:
                data = source.read()
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        super().do_GET()

    def log_message(self, *args):
        pass


def main():
    port, directory = int(sys.argv[1]), sys.argv[2]
    handler = functools.partial(Handler, directory=directory)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    server.serve_forever()


if __name__ == "__main__":
    main()
