#!/usr/bin/env python3
"""Serves the files of one directory over HTTP/1.1 on 127.0.0.1, the way a plain web server without range
support does (Content-Length, no Accept-Ranges, a Range header is ignored). With --cut-after N the first
response for each file stops after N bytes of the body and the connection is closed, like a download that
breaks in the middle; later requests get the whole file, or with --cut-every every one breaks there too. Prints
the port on stdout when it listens."""
import argparse
import http.server
import os
import socketserver
import sys

parser = argparse.ArgumentParser()
parser.add_argument("--directory", required=True)
parser.add_argument("--port", type=int, default=0)
parser.add_argument("--cut-after", type=int, default=None)
parser.add_argument("--cut-every", action="store_true")
options = parser.parse_args()
served_once = set()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *arguments):
        pass

    def do_GET(self):
        name = os.path.basename(self.path.split("?", 1)[0])
        path = os.path.join(options.directory, name)
        if not os.path.isfile(path):
            self.send_error(404)
            return
        with open(path, "rb") as file:
            body = file.read()
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if options.cut_after is not None and (options.cut_every or name not in served_once):
            served_once.add(name)
            self.wfile.write(body[: options.cut_after])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(body)


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


server = Server(("127.0.0.1", options.port), Handler)
print(server.server_address[1], flush=True)
sys.stdout.close()
server.serve_forever()
