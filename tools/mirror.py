#!/usr/bin/env python
"""A read-only static file server on several addresses (the artifact mirror for tests)."""

import argparse
import functools
import http.server
import threading


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, fmt, *args):  # one line per request, to the log file
        print("%s %s" % (self.address_string(), fmt % args), flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--directory", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--bind", action="append", required=True)
    args = parser.parse_args()
    handler = functools.partial(QuietHandler, directory=args.directory)
    servers = [http.server.ThreadingHTTPServer((addr, args.port), handler) for addr in args.bind]
    threads = [threading.Thread(target=s.serve_forever, daemon=True) for s in servers]
    for t in threads:
        t.start()
    print("serving %s on %s port %d" % (args.directory, ", ".join(args.bind), args.port), flush=True)
    for t in threads:
        t.join()


if __name__ == "__main__":
    main()
