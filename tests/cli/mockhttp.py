#!/usr/bin/env python3
"""A collector on loopback for the tests: plays an OTLP/HTTP logs endpoint
and a Splunk HEC endpoint, answering each POST with the next status of a
script, and records every request (path, headers, body) as one JSON line.

    mockhttp.py LOG SCRIPT [CERT KEY]

SCRIPT is a comma-separated list of answers, the last repeated: a status
(200, 429, 500...), "slow" (a 200 after 3 s), or "drop" (the connection
closed with no answer), or "badjson" (a 200 whose body is not JSON). A 429
carries Retry-After: 1. On a path ending in /chat/completions a 200 is a
chat completion that echoes the last message ("echo: ..."), after
sleeping N seconds when that message starts with "sleep=N ". Requests are
served in threads, so slow ones do not hold up the rest. With CERT and
KEY it speaks TLS. It prints its port on the first line of stdout."""
import http.server, json, os, socket, ssl, sys, threading, time

log_path, script = sys.argv[1], sys.argv[2].split(",")
lock = threading.Lock()


def completion(body):
    req = json.loads(body)
    last = req["messages"][-1]["content"]
    if last.startswith("sleep="):
        time.sleep(float(last.split()[0][6:]))
    return json.dumps({"id": "chatcmpl-1", "object": "chat.completion", "model": req["model"],
                       "system_fingerprint": "fp_mock",
                       "choices": [{"index": 0, "message": {"role": "assistant",
                                   "content": "echo: " + last}, "finish_reason": "stop"}],
                       "usage": {"prompt_tokens": len(last.split()), "completion_tokens": 2,
                                 "total_tokens": len(last.split()) + 2}}).encode()


class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with lock:
            with open(log_path, "a") as log:
                log.write(json.dumps({"path": self.path, "headers": dict(self.headers),
                                      "body": body.decode("utf-8", "replace")}) + "\n")
            step = script.pop(0) if len(script) > 1 else script[0]
        if step == "drop":
            self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True
            return
        if step == "slow":
            time.sleep(3)
            step = "200"
        if step == "badjson":
            step, reply = "200", b"this is not json"
        elif self.path.endswith("/chat/completions") and step == "200":
            reply = completion(body)
        else:
            reply = b'{"text":"Success","code":0}' if step == "200" else b'{"error":"no"}'
        code = int(step)
        self.send_response(code)
        if code == 429:
            self.send_header("Retry-After", "1")
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, *args):
        pass


# a backlog for many clients at once (the default, 5, drops SYNs: 1 s stalls)
http.server.ThreadingHTTPServer.request_queue_size = 256
http.server.ThreadingHTTPServer.daemon_threads = True
server = http.server.ThreadingHTTPServer((os.environ.get("MOCK_BIND", "127.0.0.1"), 0), H)
if len(sys.argv) > 4:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(sys.argv[3], sys.argv[4])
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
print(server.server_address[1], flush=True)
server.serve_forever()
