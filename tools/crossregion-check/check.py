#!/usr/bin/env python3
"""The independent cross-region check (issue 36), run by .ci/run through run.sh.

A peer district "330999" written here from the protocol's description alone (docs/areas/halls.md:
Ed25519 over a canonical text of domain, id, sender, receiver, kind, time sent and the body's
SHA-256), with PyNaCl's Ed25519, talks to a small demo district configured with this peer's public
key and URL:

Messages to the demo (this peer as the sending district):
1. a `case` message for the demo's item zgj-housing-status and a resident of its register is
   accepted with a receipt whose signature verifies with the key the demo publishes at
   GET /api/crossregion/key, naming the application the demo filed;
2. the very same message again gets the very same receipt (nothing filed twice);
3. the body altered after signing is refused (403 bad_signature); signed by another key, refused;
4. the same id with another body, properly signed, is refused (409 message_id_reused);
5. a message for an item the demo does not have gets a signed refusal (unknown_item).

Messages from the demo (this peer as the handling district, an HTTP server here):
6. a window of the demo takes in a case for this peer: the message that arrives verifies with the
   demo's published key, is addressed to 330999 and names the demo's case; answered with a receipt
   signed here, the demo's case shows it accepted with this peer's reference;
7. answered with a receipt signed by another key, the demo does not take it (the case stays
   `sending`).

Usage: check.py --bin target/debug/minsheng [--report target/crossregion-check]
Exits 1 when a check fails.
"""

import argparse
import base64
import hashlib
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from nacl.exceptions import BadSignatureError
from nacl.signing import SigningKey, VerifyKey

ME = "330999"
MESSAGE_DOMAIN = "minsheng-crossregion-message-v1"
RECEIPT_DOMAIN = "minsheng-crossregion-receipt-v1"
KEY = SigningKey(hashlib.sha256(b"minsheng crossregion check: the peer's key").digest())
WRONG = SigningKey(hashlib.sha256(b"someone else").digest())


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode("ascii")


def unb64url(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def now_text():
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def message_text(m):
    digest = hashlib.sha256(m["body"].encode("utf-8")).hexdigest()
    return "\n".join([MESSAGE_DOMAIN, m["id"], m["from"], m["to"], m["kind"], m["sent_at"], digest])


def receipt_text(r):
    return "\n".join([RECEIPT_DOMAIN, r["id"], r["by"], r["at"], r["outcome"], r.get("reference") or "", r.get("code") or ""])


def sign(key, text):
    return b64url(key.sign(text.encode("utf-8")).signature)


def verifies(public, text, signature):
    try:
        VerifyKey(unb64url(public)).verify(text.encode("utf-8"), unb64url(signature))
        return True
    except (BadSignatureError, ValueError):
        return False


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(base, method, path, body=None, token=None):
    data = None if body is None else json.dumps(body, ensure_ascii=False).encode("utf-8")
    req = urllib.request.Request(base + path, data=data, method=method)
    if data is not None:
        req.add_header("content-type", "application/json")
    if token:
        req.add_header("authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read().decode("utf-8") or "null")
    except urllib.error.HTTPError as e:
        text = e.read().decode("utf-8", "replace")
        try:
            return e.code, json.loads(text)
        except ValueError:
            return e.code, text


class Peer(BaseHTTPRequestHandler):
    """This peer's server: takes the demo's messages and answers with receipts it signs."""

    received = []
    key = KEY
    demo_key = None

    def do_POST(self):
        length = int(self.headers.get("content-length", "0"))
        m = json.loads(self.rfile.read(length).decode("utf-8"))
        Peer.received.append(m)
        if m.get("to") != ME or not verifies(Peer.demo_key, message_text(m), m.get("signature", "")):
            self.answer(403, {"code": "bad_signature"})
            return
        r = {"id": m["id"], "by": ME, "at": now_text(), "outcome": "accepted", "reference": "py-" + m["id"][:8], "code": None, "message": None}
        r["signature"] = sign(Peer.key, receipt_text(r))
        self.answer(200, r)

    def answer(self, status, body):
        data = json.dumps(body).encode("utf-8")
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


class Demo:
    def __init__(self, binary, report, peer_port):
        self.binary, self.report, self.peer_port = binary, report, peer_port
        os.makedirs(report, exist_ok=True)
        self.data = tempfile.mkdtemp(prefix="crossregion-check-")
        self.log_path = os.path.join(report, "server.log")
        self.proc = None

    def start(self):
        port, mqtt = free_port(), free_port()
        args = [self.binary, "demo", "--fresh", "--residents", "300", "--enterprises", "20", "--history", "0", "--no-peer",
                "--data-dir", self.data, "--listen", f"127.0.0.1:{port}", "--mqtt-listen", f"127.0.0.1:{mqtt}"]
        env = dict(os.environ, NO_COLOR="1", RUST_LOG=os.environ.get("RUST_LOG", "warn,rumqttd=off"))
        env[f"MINSHENG__HALLS__PEERS__{ME}__NAME"] = "独立核验对端"
        env[f"MINSHENG__HALLS__PEERS__{ME}__URL"] = f"http://127.0.0.1:{self.peer_port}"
        env[f"MINSHENG__HALLS__PEERS__{ME}__PUBLIC_KEY"] = b64url(bytes(KEY.verify_key))
        print("server: " + " ".join(args), flush=True)
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT, env=env)
        base = f"http://127.0.0.1:{port}"
        deadline = time.time() + 300
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"the demo stopped (exit {self.proc.returncode}):\n{self.text()}")
            try:
                if call(base, "GET", "/healthz")[0] == 200:
                    return base
            except OSError:
                pass
            time.sleep(1)
        raise SystemExit(f"the demo did not come up:\n{self.text()}")

    def text(self):
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def envelope(demo_code, body, key=KEY, mid=None):
    m = {"id": mid or os.urandom(16).hex(), "from": ME, "to": demo_code, "kind": "case", "sent_at": now_text(),
         "body": json.dumps(body, ensure_ascii=False)}
    m["signature"] = sign(key, message_text(m))
    return m


def check(base, demo):
    failures = []

    def expect(ok, what):
        print(("ok    " if ok else "FAIL  ") + what, flush=True)
        if not ok:
            failures.append(what)

    status, doc = call(base, "GET", "/api/crossregion/key")
    expect(status == 200 and len(unb64url(doc.get("public_key", ""))) == 32, f"the demo publishes a 32-byte key ({status})")
    demo_code, demo_key = doc["district"], doc["public_key"]
    Peer.demo_key = demo_key
    # The resident is the demo's citizen log-in the server prints ("居民 … resident").
    ids = [line.split()[0] for line in demo.text().splitlines() if "居民" in line and "resident" in line and line.split()]
    ids = [i for i in ids if re.fullmatch(r"\d{17}[\dX]", i)]
    if not ids:
        raise SystemExit("no resident's ID number among the demo's printed log-ins:\n" + demo.text()[-3000:])
    citizen = ids[0]
    case = {"case": "py-case-1", "item": "zgj-housing-status", "applicant": citizen, "applicant_name": "核验用", "phone": None,
            "form": {}, "materials_seen": ["居民身份证"], "taken_in_at": "独立核验对端（Python）", "taken_in": now_text()}

    # 1. accepted, with a receipt signed by the demo's published key.
    m = envelope(demo_code, case)
    status, r = call(base, "POST", "/api/crossregion/messages", m)
    expect(status == 200 and r.get("outcome") == "accepted" and r.get("reference"), f"a case is accepted ({status} {r})")
    expect(status == 200 and r.get("by") == demo_code and r.get("id") == m["id"], "the receipt is the demo's, about this message")
    expect(status == 200 and verifies(demo_key, receipt_text(r), r.get("signature", "")), "the receipt's signature verifies with the published key")
    forged_receipt = dict(r, reference="py-other")
    expect(not verifies(demo_key, receipt_text(forged_receipt), r.get("signature", "")), "a receipt changed after signing does not verify")
    # 2. the same message again: the same receipt.
    status2, r2 = call(base, "POST", "/api/crossregion/messages", m)
    expect(status2 == 200 and r2 == r, f"a replay gets the very same receipt ({status2})")
    # 3. altered after signing; signed by another key.
    altered = dict(m, id=os.urandom(16).hex())
    altered["signature"] = sign(KEY, message_text(altered))
    altered["body"] = altered["body"].replace("核验用", "别人")
    status, e = call(base, "POST", "/api/crossregion/messages", altered)
    expect(status == 403 and e.get("code") == "bad_signature", f"a body altered after signing is refused ({status} {e})")
    status, e = call(base, "POST", "/api/crossregion/messages", envelope(demo_code, case, key=WRONG))
    expect(status == 403 and e.get("code") == "bad_signature", f"a message signed by another key is refused ({status} {e})")
    # 4. the same id with another body, properly signed.
    reused = envelope(demo_code, dict(case, item="rsj-employment-cert"), mid=m["id"])
    status, e = call(base, "POST", "/api/crossregion/messages", reused)
    expect(status == 409 and e.get("code") == "message_id_reused", f"an id reused for another body is refused ({status} {e})")
    # 5. an item the demo does not have: a signed refusal.
    status, r = call(base, "POST", "/api/crossregion/messages", envelope(demo_code, dict(case, item="no-such-item")))
    expect(status == 200 and r.get("outcome") == "refused" and r.get("code") == "unknown_item", f"an unknown item gets a refusal ({status} {r})")
    expect(status == 200 and verifies(demo_key, receipt_text(r), r.get("signature", "")), "the refusal's signature verifies")

    # 6. the demo's window sends a case here.
    status, login = call(base, "POST", "/api/auth/login", {"login": "window", "password": "demo1234"})
    token = login.get("token") if isinstance(login, dict) else None
    expect(status == 200 and token, f"the demo's window signs in ({status})")
    forward = {"district": ME, "item": "py-item", "applicant": citizen, "applicant_name": "核验用"}
    status, c = call(base, "POST", "/api/crossregion/cases", forward, token)
    got = Peer.received[-1] if Peer.received else {}
    expect(status == 201 and got.get("to") == ME and got.get("from") == demo_code and got.get("kind") == "case", f"the demo's message arrives ({status})")
    expect(verifies(demo_key, message_text(got), got.get("signature", "")) if got else False, "its signature verifies with the published key")
    body = json.loads(got.get("body", "{}")) if got else {}
    expect(body.get("case") == c.get("id") and body.get("item") == "py-item", "it names the demo's case and the item")
    expect(c.get("state") == "accepted" and (c.get("remote_application") or "").startswith("py-"), f"the demo takes this peer's signed receipt ({c.get('state')})")
    # 7. a receipt signed by another key is not taken.
    Peer.key = WRONG
    status, c = call(base, "POST", "/api/crossregion/cases", forward, token)
    expect(status == 201 and c.get("state") == "sending", f"a receipt signed by another key is not taken ({c.get('state')})")
    Peer.key = KEY
    return failures


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", required=True)
    ap.add_argument("--report", default="target/crossregion-check")
    a = ap.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Peer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    demo = Demo(a.bin, a.report, server.server_address[1])
    try:
        base = demo.start()
        failures = check(base, demo)
    finally:
        demo.stop()
        server.shutdown()
    if failures:
        print("\nFAILED:\n  " + "\n  ".join(failures))
        sys.exit(1)
    print("\nevery cross-region check passed")


if __name__ == "__main__":
    main()
