#!/usr/bin/env python3
"""The independent MQTT client check of the elderly safety guardian (issue 30).

Starts `minsheng demo` (a small district, its embedded MQTT broker on a free port), reads the
wearables' credentials from DATA_DIR/guardian-devices.csv, and with paho-mqtt (MQTT 3.1.1, QoS 1,
the device's own user name and password; client id = user name = device id) checks, reading the
answers back over HTTP as the monitoring centre (mzj_clerk):

1. a wrong password is refused at CONNECT: no CONNACK with return code 0 (a refusing CONNACK, or
   the connection closed before any CONNACK);
2. a garbage payload is acknowledged (PUBACK) and counted in GET /api/guardian/rejections
   (`malformed_payload` for that device); its arrival also shows that the server listens;
3. an SOS in the documented payload (crates/guardian/README.md: seq, ts, battery_pct, sos) is
   acknowledged and becomes an open `sos` alarm of that device in GET /api/guardian/alarms, its
   evidence the reading's seq;
4. an SOS published by one wearable on another wearable's topic raises nothing for the other.

Usage: check.py --bin target/debug/minsheng [--report target/mqtt-check] (tools/mqtt-check/run.sh
makes the virtualenv and calls it). Exits 1 when a check fails.
"""

import argparse
import csv
import datetime
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

import paho.mqtt.client as mqtt

CENTRE = "mzj_clerk"
TOPIC = "minsheng/v1/guardian/{}/up"
CHINA = datetime.timezone(datetime.timedelta(hours=8))

failures = []


def ok(what):
    print(f"ok   {what}", flush=True)


def fail(what):
    print(f"FAIL {what}", flush=True)
    failures.append(what)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def now_text():
    """Now in Hangzhou, RFC 3339 with its offset (as a device's clock would write it)."""
    return datetime.datetime.now(CHINA).isoformat(timespec="seconds")


def wait_for(what, probe, seconds, every=0.5):
    """Calls `probe` until it returns something truthy (returned), or None after `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        got = probe()
        if got:
            return got
        if time.monotonic() > deadline:
            print(f"     (gave up waiting for {what} after {seconds} s)", flush=True)
            return None
        time.sleep(every)


# ----------------------------------------------------------------------------------------------
# HTTP.


class Api:
    def __init__(self, base):
        self.base = base
        self.token = None

    def call(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method)
        if data is not None:
            req.add_header("content-type", "application/json")
        if self.token:
            req.add_header("authorization", "Bearer " + self.token)
        try:
            with urllib.request.urlopen(req, timeout=20) as r:
                return r.status, json.loads(r.read() or b"null")
        except urllib.error.HTTPError as e:
            text = e.read()
            try:
                return e.code, json.loads(text)
            except ValueError:
                return e.code, text.decode(errors="replace")

    def login(self, login, password):
        status, body = self.call("POST", "/api/auth/login", {"login": login, "password": password})
        if status != 200:
            raise SystemExit(f"cannot sign in as {login}: {status} {body}")
        self.token = body["token"]

    def alarms(self):
        status, body = self.call("GET", "/api/guardian/alarms?open=true&limit=500")
        if status != 200:
            raise SystemExit(f"GET /api/guardian/alarms: {status} {body}")
        return body["alarms"]

    def rejected(self, device, code):
        """How many payloads of `device` were refused with `code`."""
        status, body = self.call("GET", "/api/guardian/rejections")
        if status != 200:
            raise SystemExit(f"GET /api/guardian/rejections: {status} {body}")
        return sum(r["count"] for r in body if r["device"] == device and r["code"] == code)


# ----------------------------------------------------------------------------------------------
# MQTT.


class Device:
    """One MQTT 3.1.1 connection as a device makes it: client id = user name = device id."""

    def __init__(self, host, port, user, password):
        self.host, self.port = host, port
        self.connacks = []
        self.connected = threading.Event()
        self.dropped = threading.Event()
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=user, protocol=mqtt.MQTTv311, clean_session=True)
        self.client.username_pw_set(user, password)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect

    def _on_connect(self, client, userdata, flags, reason_code, properties):
        self.connacks.append(reason_code)
        if not reason_code.is_failure:
            self.connected.set()
        else:
            self.dropped.set()

    def _on_disconnect(self, client, userdata, flags, reason_code, properties):
        self.connected.clear()
        self.dropped.set()

    def connect(self, seconds=10):
        """Connects; True once a CONNACK with return code 0 came, False if refused or closed."""
        self.dropped.clear()
        try:
            self.client.connect(self.host, self.port, keepalive=30)
        except OSError as e:
            print(f"     (connect: {e})", flush=True)
            return False
        self.client.loop_start()
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.connected.is_set():
                return True
            if self.dropped.is_set():
                break
            time.sleep(0.05)
        # Refused: stop the loop before paho tries again.
        self.client.loop_stop()
        return self.connected.is_set()

    def publish(self, topic, payload, seconds=10):
        """Publishes at QoS 1: True once the broker's PUBACK came."""
        try:
            info = self.client.publish(topic, payload, qos=1)
            info.wait_for_publish(timeout=seconds)
            return info.is_published()
        except (RuntimeError, ValueError) as e:
            print(f"     (publish: {e})", flush=True)
            return False

    def close(self):
        try:
            self.client.disconnect()
        except Exception:  # noqa: BLE001 — closing a connection the broker may have closed
            pass
        self.client.loop_stop()


# ----------------------------------------------------------------------------------------------
# The demo.


class DemoServer:
    def __init__(self, binary, report):
        self.binary = binary
        self.report = report
        self.work = tempfile.mkdtemp(prefix="minsheng-mqtt-check-")
        self.data = os.path.join(self.work, "data")
        self.http_port = free_port()
        self.mqtt_port = free_port()
        self.log_path = os.path.join(self.work, "server.log")
        self.proc = None

    def start(self):
        env = dict(os.environ, NO_COLOR="1", RUST_LOG=os.environ.get("RUST_LOG", "warn,rumqttd=off"))
        args = [
            self.binary, "demo", "--fresh", "--no-peer", "--residents", "300", "--enterprises", "30", "--history", "0",
            "--data-dir", self.data, "--listen", f"127.0.0.1:{self.http_port}", "--mqtt-listen", f"127.0.0.1:{self.mqtt_port}",
        ]
        print("server: " + " ".join(args), flush=True)
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT, env=env)
        base = f"http://127.0.0.1:{self.http_port}"

        def up():
            if self.proc.poll() is not None:
                raise SystemExit(f"the demo stopped (exit {self.proc.returncode}):\n{self.log_text()}")
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=2) as r:
                    return r.status == 200
            except OSError:
                return False

        if not wait_for("the demo to serve", up, 300, every=1):
            raise SystemExit(f"the demo did not come up:\n{self.log_text()}")
        return base

    def log_text(self):
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def password(self):
        """The demo's password, as the demo prints it ("password 密码: …")."""
        found = wait_for("the demo's log-ins", lambda: re.search(r"password 密码: (\S+?)\)", self.log_text()), 20)
        if not found:
            raise SystemExit(f"no demo password in the demo's output:\n{self.log_text()}")
        return found.group(1)

    def devices(self):
        with open(os.path.join(self.data, "guardian-devices.csv"), newline="", encoding="utf-8") as f:
            return list(csv.DictReader(f))

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc:
            self.log.close()
            os.makedirs(self.report, exist_ok=True)
            shutil.copy(self.log_path, os.path.join(self.report, "server.log"))
        shutil.rmtree(self.work, ignore_errors=True)


# ----------------------------------------------------------------------------------------------
# The checks.


def sos_payload(seq):
    return json.dumps({"seq": seq, "ts": now_text(), "battery_pct": 87, "sos": True})


def check(server, base):
    api = Api(base)
    api.login(CENTRE, server.password())
    wearables = [d for d in server.devices() if d["kind"] == "wearable"]
    if len(wearables) < 2:
        raise SystemExit(f"the demo has {len(wearables)} wearables; two are needed")
    a, b = wearables[0], wearables[1]
    print(f"wearables: {a['device']} (plays the device), {b['device']} (the other device)", flush=True)
    host, port = "127.0.0.1", server.mqtt_port

    # 1. A wrong password is refused at CONNECT.
    wrong = Device(host, port, a["device"], "wrong-" + a["password"])
    let_in = wrong.connect()
    codes = [str(c) for c in wrong.connacks]
    if let_in:
        fail(f"a wrong password was let in (CONNACK {codes})")
    else:
        ok(f"a wrong password is refused at CONNECT ({'CONNACK ' + ', '.join(codes) if codes else 'closed without a CONNACK'})")
    if let_in and wrong.publish(TOPIC.format(a["device"]), sos_payload(1)):
        fail("a client with a wrong password published at QoS 1")
    wrong.close()

    # 2. The device with its own password; garbage is acknowledged and counted.
    dev = Device(host, port, a["device"], a["password"])
    if not dev.connect():
        fail(f"the device's own password is refused (CONNACK {[str(c) for c in dev.connacks]})")
        return
    ok("the device connects with its own user name and password (CONNACK 0)")
    topic = TOPIC.format(a["device"])
    before = api.rejected(a["device"], "malformed_payload")

    def garbage_counted():
        if not dev.publish(topic, b"{not json"):
            return None
        return wait_for("the garbage to be counted", lambda: api.rejected(a["device"], "malformed_payload") > before, 5)

    # The server may still be subscribing: the garbage is sent again until it is counted.
    if wait_for("the server to take the garbage", garbage_counted, 90, every=0):
        ok(f"garbage is acknowledged (PUBACK) and counted: malformed_payload of {a['device']} in /api/guardian/rejections")
    else:
        fail("garbage was not counted in /api/guardian/rejections within 90 s")
        return

    # 3. The documented SOS payload becomes an alarm.
    seq = int(time.time())
    if not dev.publish(topic, sos_payload(seq)):
        fail("no PUBACK for the SOS at QoS 1")
        return
    ok("the SOS is acknowledged (PUBACK)")
    alarm = wait_for(
        "the SOS alarm",
        lambda: next((x for x in api.alarms() if x.get("device") == a["device"] and x.get("kind") == "sos"), None),
        30,
    )
    if not alarm:
        fail(f"no open sos alarm of {a['device']} in /api/guardian/alarms within 30 s")
        return
    status, detail = api.call("GET", f"/api/guardian/alarms/{alarm['id']}")
    seqs = [e.get("seq") for e in detail.get("evidence") or []] if status == 200 and isinstance(detail, dict) else []
    if seq in seqs:
        ok(f"the SOS is alarm {alarm['id']} in /api/guardian/alarms ({alarm['state']}), its evidence the reading seq {seq}")
    else:
        fail(f"alarm {alarm['id']}'s evidence does not hold the reading seq {seq}: {status} {detail}")

    # 4. An SOS on another device's topic raises nothing for that device.
    other = TOPIC.format(b["device"])
    spoof_seq = seq + 1
    acked = dev.publish(other, sos_payload(spoof_seq), seconds=5)
    print(f"     (the publish on {other}: {'acknowledged' if acked else 'not acknowledged; the connection: ' + ('open' if dev.connected.is_set() else 'closed')})", flush=True)
    dev.close()
    # What the device publishes on its own topic afterwards is taken: then the spoof would have been too.
    again = Device(host, port, a["device"], a["password"])
    before = api.rejected(a["device"], "malformed_payload")
    if again.connect() and again.publish(topic, b"{not json either"):
        wait_for("the server to take what followed", lambda: api.rejected(a["device"], "malformed_payload") > before, 30)
    again.close()
    time.sleep(3)
    raised = [x for x in api.alarms() if x.get("device") == b["device"] and not x.get("technical")]
    if raised:
        fail(f"a reading published by {a['device']} on {other} raised {[(x['id'], x['kind']) for x in raised]}")
    else:
        ok(f"a reading published by {a['device']} on another device's topic raises nothing")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bin", required=True, help="the minsheng binary")
    parser.add_argument("--report", default="target/mqtt-check", help="where the server's log is kept")
    args = parser.parse_args()
    server = DemoServer(args.bin, args.report)
    try:
        base = server.start()
        print(f"demo: {base}, MQTT on 127.0.0.1:{server.mqtt_port}", flush=True)
        check(server, base)
    finally:
        text = server.log_text()
        server.stop()
    if "panicked" in text:
        fail("the server panicked (see its log)")
    print(f"\nthe server's log: {os.path.join(args.report, 'server.log')}", flush=True)
    if failures:
        print(f"{len(failures)} check(s) failed:\n  " + "\n  ".join(failures), flush=True)
        return 1
    print("every MQTT check passed", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
