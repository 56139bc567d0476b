#!/usr/bin/env python3
"""The independent Open311 client check of community governance (issue 33).

Starts `minsheng demo` (a small district; or uses a running server with --url), signs in as the
demo's administrator, registers an Open311 client application (POST /api/governance/clients) for
its api_key, picks a registered estate (GET /api/governance/estates; when the demo has none, it
registers one in 富春街道 itself), and with the independent library `georeport` (PyPI, pinned in
requirements.txt) and plain `requests` checks the GeoReport v2 endpoints under /api/open311/v2:

1. GET services.json lists the services, with night_construction_noise among them;
2. GET services/night_construction_noise.json defines its required `heard_at` datetime attribute;
3. POST requests.json, form-encoded exactly as the GeoReport v2 specification gives the fields
   (api_key, jurisdiction_id, service_code, lat, long, address_string, description, email,
   account_id, attribute[heard_at]), near the estate, answers a list of one
   {service_request_id, service_notice, account_id};
4. GET requests/{id}.json shows that request, open, with its service code, place and description;
5. GET requests.json?service_code=…&status=open lists it;
6. an unknown service_code answers 404 with Open311's error list [{"code": 404, "description"}]
   (GET services/{code}.json and POST requests.json alike); a bad api_key 403; lat/long outside
   the district 400 — each with the error list.

georeport has no call that posts: the one PyPI client that posts requests, `open311` 1.1 (2011),
is Python 2 only (implicit relative imports, `basestring`, a str body to urlopen), so the POST is
made with `requests` as the specification has it.

Usage: check.py --bin target/debug/minsheng [--report target/open311-check]
       check.py --url http://127.0.0.1:8080 [--password demo1234]
(tools/open311-check/run.sh makes the virtualenv and calls it). Exits 1 when a check fails.
"""

import argparse
import datetime
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

import georeport
import requests

ADMIN = "admin"
JURISDICTION = "330111"
SERVICE = "night_construction_noise"
ATTRIBUTE = "heard_at"
# 富春街道's 城西社区, for the estate this check registers when the demo has none.
COMMUNITY = "330111001003"
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


def body_of(r):
    try:
        return r.json()
    except ValueError:
        return r.text


def open311_error(r, status):
    """Whether `r` is an Open311 error answer: `status` and a list of {code: status, description}."""
    body = body_of(r)
    return (
        r.status_code == status
        and isinstance(body, list)
        and len(body) >= 1
        and all(isinstance(e, dict) and e.get("code") == status and isinstance(e.get("description"), str) and e["description"] for e in body)
    )


# ----------------------------------------------------------------------------------------------
# The platform's own JSON API (as the administrator).


class Api:
    def __init__(self, base):
        self.base = base
        self.session = requests.Session()

    def call(self, method, path, body=None):
        r = self.session.request(method, self.base + path, json=body, timeout=30)
        return r.status_code, body_of(r)

    def login(self, login, password):
        status, body = self.call("POST", "/api/auth/login", {"login": login, "password": password})
        if status != 200:
            raise SystemExit(f"cannot sign in as {login}: {status} {body}")
        self.session.headers["authorization"] = "Bearer " + body["token"]


# ----------------------------------------------------------------------------------------------
# The demo.


class DemoServer:
    def __init__(self, binary, report, residents):
        self.binary = binary
        self.report = report
        self.residents = residents
        self.work = tempfile.mkdtemp(prefix="minsheng-open311-check-")
        self.data = os.path.join(self.work, "data")
        self.http_port = free_port()
        self.mqtt_port = free_port()
        self.log_path = os.path.join(self.work, "server.log")
        self.proc = None

    def start(self):
        env = dict(os.environ, NO_COLOR="1", RUST_LOG=os.environ.get("RUST_LOG", "warn,rumqttd=off"))
        args = [
            self.binary, "demo", "--fresh", "--no-peer", "--residents", str(self.residents), "--enterprises", "30", "--history", "0",
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
                return requests.get(base + "/healthz", timeout=2).status_code == 200
            except requests.RequestException:
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


def an_estate(api):
    """A registered estate (id, name, lat, lon): the demo's first, or one registered here."""
    status, estates = api.call("GET", "/api/governance/estates")
    if status != 200 or not isinstance(estates, list):
        raise SystemExit(f"GET /api/governance/estates: {status} {estates}")
    if not estates:
        # The demo registers none yet: one estate in 富春街道, its committee the street's worker.
        print("     (the demo has no estate: registering one as the administrator)", flush=True)
        body = {
            "id": 9311,
            "name": "开放接口核查小区",
            "community": COMMUNITY,
            "lat": 30.0500,
            "lon": 119.9560,
            "committee_kind": "owners_committee",
            "committee": {"name": "业主委员会", "members": ["community_worker"]},
        }
        status, e = api.call("POST", "/api/governance/estates", body)
        if status != 200:
            raise SystemExit(f"POST /api/governance/estates: {status} {e}")
        estates = [e]
    e = estates[0]
    return e["id"], e["name"], float(e["lat"]), float(e["lon"])


def check(base, password):
    api = Api(base)
    api.login(ADMIN, password)
    status, client = api.call("POST", "/api/governance/clients", {"name": f"open311-check {os.getpid()}"})
    if status != 201 or not isinstance(client, dict) or not client.get("api_key"):
        raise SystemExit(f"POST /api/governance/clients: {status} {client}")
    key = client["api_key"]
    ok(f"the administrator registered Open311 client {client['id']}; its api_key is shown once")
    estate, name, lat, lon = an_estate(api)
    # About 55 m north of the estate: inside its 800 m.
    lat, lon = round(lat + 0.0005, 6), round(lon, 6)
    print(f"     estate {estate} {name}; reports at {lat}, {lon}", flush=True)

    root = f"{base}/api/open311/v2"
    gr = georeport.GeoReport(root_address=root, jurisdiction=JURISDICTION)

    # 1. The service list.
    services = gr.get_service_list()
    codes = [s.get("service_code") for s in services] if isinstance(services, list) else []
    wanted = ("service_code", "service_name", "description", "metadata", "type", "keywords", "group")
    incomplete = [s for s in services if not all(k in s for k in wanted)] if isinstance(services, list) else [services]
    if SERVICE in codes and not incomplete:
        ok(f"GET services.json: {len(codes)} services with every field of the specification, {SERVICE} among them")
    else:
        fail(f"GET services.json: {SERVICE} missing or fields missing: {codes} {incomplete[:2]}")
    noise = next((s for s in services if s.get("service_code") == SERVICE), {})
    if noise.get("metadata") is not True:
        fail(f"{SERVICE} has attributes but metadata is {noise.get('metadata')!r}")

    # 2. Its definition.
    d = gr.get_service_definition(SERVICE)
    attrs = {a.get("code"): a for a in d.get("attributes", [])} if isinstance(d, dict) else {}
    a = attrs.get(ATTRIBUTE, {})
    if d.get("service_code") == SERVICE and a.get("datatype") == "datetime" and a.get("required") is True and a.get("variable") is True and "order" in a:
        ok(f"GET services/{SERVICE}.json: attribute {ATTRIBUTE} (datetime, required, order {a['order']})")
    else:
        fail(f"GET services/{SERVICE}.json: {d}")

    # 3. A request posted as the specification has it: form fields, attribute[code].
    heard = datetime.datetime.now(CHINA).replace(microsecond=0) - datetime.timedelta(hours=1)
    description = f"凌晨还在打桩，吵得睡不着（open311-check {os.getpid()}）"
    form = {
        "jurisdiction_id": JURISDICTION,
        "api_key": key,
        "service_code": SERVICE,
        "lat": str(lat),
        "long": str(lon),
        "address_string": f"{name}东门外",
        "description": description,
        "email": "resident@example.org",
        "account_id": "check-1",
        f"attribute[{ATTRIBUTE}]": heard.isoformat(),
    }
    r = requests.post(f"{root}/requests.json", data=form, timeout=30)
    created = body_of(r)
    if r.status_code not in (200, 201) or not isinstance(created, list) or len(created) != 1 or not created[0].get("service_request_id"):
        fail(f"POST requests.json: {r.status_code} {created}")
        return
    if r.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        fail(f"POST requests.json answered content-type {r.headers.get('content-type')!r}")
    sr_id = str(created[0]["service_request_id"])
    if created[0].get("account_id") == "check-1" and "service_notice" in created[0]:
        ok(f"POST requests.json (form-encoded, api_key, attribute[{ATTRIBUTE}]): service request {sr_id}, notice {created[0]['service_notice']!r}")
    else:
        fail(f"POST requests.json: the answer lacks service_notice or does not echo account_id: {created}")

    # 4. The request by its id.
    got = gr.get_service_request(sr_id)
    problems = []
    if str(got.get("service_request_id")) != sr_id:
        problems.append(f"service_request_id {got.get('service_request_id')}")
    if got.get("status") != "open":
        problems.append(f"status {got.get('status')}")
    if got.get("service_code") != SERVICE:
        problems.append(f"service_code {got.get('service_code')}")
    if got.get("description") != description:
        problems.append(f"description {got.get('description')!r}")
    if abs(float(got.get("lat", 0)) - lat) > 1e-6 or abs(float(got.get("long", 0)) - lon) > 1e-6:
        problems.append(f"place {got.get('lat')}, {got.get('long')}")
    for field in ("service_name", "status_notes", "agency_responsible", "requested_datetime", "updated_datetime"):
        if not isinstance(got.get(field), str):
            problems.append(f"no {field}")
    if problems:
        fail(f"GET requests/{sr_id}.json: {', '.join(problems)}: {got}")
    else:
        ok(f"GET requests/{sr_id}.json: open, {SERVICE}, at {got['lat']}, {got['long']}, responsible {got['agency_responsible']!r}")

    # 5. Among the open requests of the service.
    listed = gr.get_service_requests(service_code=SERVICE, status="open")
    mine = [x for x in listed if str(x.get("service_request_id")) == sr_id]
    others = [x for x in listed if x.get("service_code") != SERVICE or x.get("status") != "open"]
    if mine and mine[0].get("status") == "open" and not others:
        ok(f"GET requests.json?service_code={SERVICE}&status=open: {len(listed)} requests, {sr_id} among them, all open and of the service")
    else:
        fail(f"GET requests.json?service_code={SERVICE}&status=open: {sr_id} {'missing' if not mine else 'listed'}, {len(others)} of another service or status")

    # 6. Errors, as Open311's list.
    try:
        gr.get_service_definition("no_such_service")
        fail("GET services/no_such_service.json answered 2xx")
    except requests.HTTPError as e:
        if open311_error(e.response, 404):
            ok(f"GET services/no_such_service.json: 404 {body_of(e.response)}")
        else:
            fail(f"GET services/no_such_service.json: {e.response.status_code} {body_of(e.response)}")
    r = requests.post(f"{root}/requests.json", data=dict(form, service_code="no_such_service"), timeout=30)
    if open311_error(r, 404):
        ok(f"POST requests.json with an unknown service_code: 404 {body_of(r)}")
    else:
        fail(f"POST requests.json with an unknown service_code: {r.status_code} {body_of(r)}")
    r = requests.post(f"{root}/requests.json", data=dict(form, api_key="0" * 32), timeout=30)
    if open311_error(r, 403):
        ok(f"POST requests.json with a bad api_key: 403 {body_of(r)}")
    else:
        fail(f"POST requests.json with a bad api_key: {r.status_code} {body_of(r)}")
    no_key = {k: v for k, v in form.items() if k != "api_key"}
    r = requests.post(f"{root}/requests.json", data=no_key, timeout=30)
    if open311_error(r, 403):
        ok("POST requests.json without an api_key: 403")
    else:
        fail(f"POST requests.json without an api_key: {r.status_code} {body_of(r)}")
    # 西湖 in Hangzhou: outside 富阳区.
    r = requests.post(f"{root}/requests.json", data=dict(form, lat="30.2590", long="120.1300"), timeout=30)
    if open311_error(r, 400):
        ok(f"POST requests.json with lat/long outside the district: 400 {body_of(r)}")
    else:
        fail(f"POST requests.json with lat/long outside the district: {r.status_code} {body_of(r)}")
    # None of the refused posts made a request.
    after = gr.get_service_requests(service_code=SERVICE, status="open")
    if len(after) == len(listed):
        ok("the refused requests made nothing")
    else:
        fail(f"the refused requests changed the open {SERVICE} requests: {len(listed)} → {len(after)}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bin", help="the minsheng binary: a demo district is started with it")
    parser.add_argument("--url", help="or a running server (its administrator signs in)")
    parser.add_argument("--password", default="demo1234", help="the administrator's password with --url")
    parser.add_argument("--residents", type=int, default=int(os.environ.get("MINSHENG_OPEN311_CHECK_RESIDENTS", "300")), help="the demo's residents")
    parser.add_argument("--report", default="target/open311-check", help="where the server's log is kept")
    args = parser.parse_args()
    print(f"georeport {georeport.__version__}, requests {requests.__version__}", flush=True)
    if args.url:
        check(args.url.rstrip("/"), args.password)
    elif args.bin:
        server = DemoServer(args.bin, args.report, args.residents)
        try:
            base = server.start()
            print(f"demo: {base}", flush=True)
            check(base, server.password())
        finally:
            text = server.log_text()
            server.stop()
        if "panicked" in text:
            fail("the server panicked (see its log)")
        print(f"\nthe server's log: {os.path.join(args.report, 'server.log')}", flush=True)
    else:
        parser.error("give --bin or --url")
    if failures:
        print(f"{len(failures)} check(s) failed:\n  " + "\n  ".join(failures), flush=True)
        return 1
    print("every Open311 check passed", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
