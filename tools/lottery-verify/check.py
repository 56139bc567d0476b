#!/usr/bin/env python3
"""The independent check of the public rental housing lottery (issue 32), run by .ci/run.

Starts `minsheng demo` (a small district whose seeding commits and draws a lottery), reads every
published draw from GET /api/places/housing/draws as anyone would (no sign-in), and for each drawn
one runs the independent re-implementation `verify.py` (Python standard library only) on it:

1. the published draw, with its published seed, must reproduce exactly (exit 0);
2. the same draw with two applicants' places swapped must be refused (exit 1);
3. the same draw with another seed must be refused (exit 1);
4. the server's own GET /api/places/housing/draws/{id}/verify?seed=… agrees.

Usage: check.py --bin target/debug/minsheng [--report target/lottery-check] [--residents 400]
       check.py --url http://127.0.0.1:8080
Exits 1 when a check fails or the demo has no drawn draw.
"""

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
VERIFY = os.path.join(HERE, "verify.py")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(base, path):
    try:
        with urllib.request.urlopen(base + path, timeout=30) as r:
            return r.status, json.loads(r.read().decode("utf-8"))
    except urllib.error.HTTPError as e:
        body = e.read().decode("utf-8", "replace")
        try:
            return e.code, json.loads(body)
        except ValueError:
            return e.code, body


class Demo:
    def __init__(self, binary, report, residents):
        self.binary, self.report, self.residents = binary, report, residents
        self.proc = None
        os.makedirs(report, exist_ok=True)
        self.data = tempfile.mkdtemp(prefix="lottery-check-")
        self.log_path = os.path.join(report, "server.log")

    def start(self):
        port, mqtt = free_port(), free_port()
        args = [self.binary, "demo", "--fresh", "--no-peer", "--residents", str(self.residents), "--enterprises", "30", "--history", "0",
                "--data-dir", self.data, "--listen", f"127.0.0.1:{port}", "--mqtt-listen", f"127.0.0.1:{mqtt}"]
        print("server: " + " ".join(args), flush=True)
        env = dict(os.environ, NO_COLOR="1", RUST_LOG=os.environ.get("RUST_LOG", "warn,rumqttd=off"))
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT, env=env)
        base = f"http://127.0.0.1:{port}"
        deadline = time.time() + 300
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"the demo stopped (exit {self.proc.returncode}):\n{self.text()}")
            try:
                if get(base, "/healthz")[0] == 200:
                    return base
            except OSError:
                pass
            time.sleep(1)
        raise SystemExit(f"the demo did not come up:\n{self.text()}")

    def text(self):
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as f:
                return f.read()[-4000:]
        except OSError:
            return ""

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def run_verify(draw, seed=None):
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False, encoding="utf-8") as f:
        json.dump(draw, f, ensure_ascii=False)
        path = f.name
    args = [sys.executable, VERIFY, path] + (["--seed", seed] if seed else [])
    r = subprocess.run(args, capture_output=True, text=True)
    os.unlink(path)
    return r.returncode, (r.stdout + r.stderr).strip()


def check(base):
    failures = []
    status, draws = get(base, "/api/places/housing/draws")
    if status != 200 or not isinstance(draws, list):
        raise SystemExit(f"GET /api/places/housing/draws answered {status}: {draws}")
    drawn = [d for d in draws if d.get("seed")]
    if not drawn:
        raise SystemExit(f"the demo published no drawn lottery ({len(draws)} draws)")
    for d in drawn:
        name = f"draw {d['id']} ({d['title']})"
        code, out = run_verify(d)
        print(f"{name}: verify.py -> {code}: {out}")
        if code != 0:
            failures.append(f"{name}: the published draw does not reproduce: {out}")
        group = next((g for g in d["groups"] if len(g["order"]) >= 2), None)
        if group is not None:
            tampered = json.loads(json.dumps(d))
            g = next(x for x in tampered["groups"] if x["code"] == group["code"])
            g["order"][0], g["order"][1] = g["order"][1], g["order"][0]
            code, out = run_verify(tampered)
            print(f"{name}, two places swapped: verify.py -> {code}: {out}")
            if code != 1:
                failures.append(f"{name}: a tampered order was not refused")
        other = ("0" if d["seed"][0] != "0" else "1") + d["seed"][1:]
        code, out = run_verify(d, other)
        print(f"{name}, another seed: verify.py -> {code}: {out}")
        if code != 1:
            failures.append(f"{name}: another seed was not refused")
        status, body = get(base, f"/api/places/housing/draws/{d['id']}/verify?seed={d['seed']}")
        if status != 200 or not body.get("reproduced"):
            failures.append(f"{name}: the server's own verify answered {status}: {body}")
    return failures


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin")
    ap.add_argument("--url")
    ap.add_argument("--report", default="target/lottery-check")
    ap.add_argument("--residents", type=int, default=400)
    a = ap.parse_args()
    demo = None
    try:
        if a.url:
            base = a.url.rstrip("/")
        else:
            if not a.bin:
                raise SystemExit("give --bin or --url")
            demo = Demo(a.bin, a.report, a.residents)
            base = demo.start()
        failures = check(base)
    finally:
        if demo:
            demo.stop()
    if failures:
        print("\nFAILED:\n  " + "\n  ".join(failures))
        sys.exit(1)
    print("\nevery lottery check passed")


if __name__ == "__main__":
    main()
