#!/usr/bin/env python3
"""Issue 12's proof: the dashboards and rules in dashboards/ against a real Prometheus.

1. Structural check of every dashboard JSON (unique panel ids, a datasource on every panel and
   target, every ${var} defined, a unit on every panel, no hard-coded datasource uid, stable
   uid/title, tag `lookout`), plus a self-test: a dashboard using an undefined variable fails.
2. `promtool check rules` and `promtool test rules`.
3. Starts the test estate (lookout-estate), `lookout run` on a config with healthy and failing
   sites, an expiring certificate, a listed IP, an insecure CMS and a filling disk, and a real
   Prometheus (127.0.0.1, 1 s scrape and rule evaluation) loading the rule files. Once data is
   in, every PromQL expression of every panel (template variables substituted with real values
   from label_values) and of every loaded rule goes through the HTTP API: each must parse, and
   each panel and recording rule must return data (for at least one value of its variables),
   except those in PENDING_ISSUE_10. Then what the estate says must show: the down site as
   down, the expiring certificate's days left, the listing, the insecure CMS.
4. By name: every metric a dashboard or rule uses must be in agent/metric_families.h and
   exported by the running agent; one that is not fails the test naming it (self-tested with a
   made-up name).

Standard library only. Loopback only. Bounded: every wait has a deadline (about 40 s total).
"""
import argparse
import itertools
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

# Metrics from issue 10 (incidents, outbox, notifications) that the agent does not export yet.
# Panels and rules that use them are checked to parse, and may return no data; the by-name
# check reports them as pending instead of failing. Delete a name here once issue 10 exports it.
# Metrics a panel uses that this run cannot produce (none now: the config routes tickets to a
# refusing webhook and failing sites open incidents, so the alerting metrics have data).
PENDING_ISSUE_10 = set()

# Series Prometheus itself writes for every target (not exported by the agent).
PROMETHEUS_SERIES = {"up", "scrape_duration_seconds", "scrape_samples_scraped",
                     "scrape_samples_post_metric_relabeling", "scrape_series_added",
                     "ALERTS", "ALERTS_FOR_STATE"}

# Grafana's built-in variables, with the values used when sending a query to Prometheus.
GRAFANA_BUILTINS = {"__rate_interval": "30s", "__interval": "5s", "__interval_ms": "5000",
                    "__range": "1h", "__range_s": "3600", "__range_ms": "3600000",
                    "__dashboard": "", "__from": "", "__to": "", "__name": ""}

EXPECTED_DASHBOARDS = {  # file -> (uid, title): stable, dashboards link by uid
    "lookout-estate-overview.json": ("lookout-estate-overview", "Lookout / Estate overview"),
    "lookout-client.json": ("lookout-client", "Lookout / Client"),
    "lookout-site.json": ("lookout-site", "Lookout / Site"),
    "lookout-agent-health.json": ("lookout-agent-health", "Lookout / Agent health"),
}

failures = []
pending_notes = []


def fail(msg):
    failures.append(msg)
    print("FAIL: " + msg, flush=True)


def log(msg):
    print(msg, flush=True)


# ------------------------------------------------------------------ structural check
VAR_RE = re.compile(r"\$\{(\w+)(?::[^}]*)?\}|\[\[(\w+)(?::[^\]]*)?\]\]|\$(\w+)")


def used_vars(text):
    out = set()
    for m in VAR_RE.finditer(text):
        out.add(m.group(1) or m.group(2) or m.group(3))
    return out


def all_panels(dash):
    for p in dash.get("panels", []):
        yield p
        for sub in p.get("panels", []) or []:
            yield sub


def structural_errors(name, dash, expected=None):
    """Returns a list of problems with one dashboard (empty = fine)."""
    errs = []
    if expected:
        uid, title = expected
        if dash.get("uid") != uid:
            errs.append(f"{name}: uid {dash.get('uid')!r}, expected the stable {uid!r}")
        if dash.get("title") != title:
            errs.append(f"{name}: title {dash.get('title')!r}, expected {title!r}")
    if dash.get("id") is not None:
        errs.append(f"{name}: id must be null in a provisioned file")
    if "lookout" not in dash.get("tags", []):
        errs.append(f"{name}: tag 'lookout' missing")
    sv = dash.get("schemaVersion")
    if not isinstance(sv, int) or not 36 <= sv <= 42:
        errs.append(f"{name}: schemaVersion {sv} is not one of Grafana 10/11 (36..42)")
    variables = dash.get("templating", {}).get("list", [])
    defined = {v.get("name") for v in variables}
    ds_vars = [v for v in variables if v.get("type") == "datasource"]
    if not any(v.get("name") == "datasource" and v.get("query") == "prometheus" for v in ds_vars):
        errs.append(f"{name}: no `datasource` template variable of type prometheus")

    def check_ds(where, ds):
        if not isinstance(ds, dict):
            errs.append(f"{name}: {where}: no datasource")
            return
        if ds.get("type") != "prometheus":
            errs.append(f"{name}: {where}: datasource type {ds.get('type')!r}, expected prometheus")
        uid = str(ds.get("uid", ""))
        if not uid.startswith("$"):
            errs.append(f"{name}: {where}: hard-coded datasource uid {uid!r} (use ${{datasource}})")

    texts = []  # (where, text) whose variables must be defined
    for v in variables:
        if v.get("type") == "query":
            check_ds(f"variable {v.get('name')}", v.get("datasource"))
            q = v.get("query")
            texts.append((f"variable {v.get('name')}", q.get("query", "") if isinstance(q, dict) else str(q)))
            texts.append((f"variable {v.get('name')}", v.get("definition", "")))
    ids = set()
    titles = set()
    for p in all_panels(dash):
        pid = p.get("id")
        where = f"panel {pid} {p.get('title')!r}"
        if pid in ids:
            errs.append(f"{name}: duplicate panel id {pid}")
        ids.add(pid)
        if p.get("type") == "row":
            continue
        if not p.get("title"):
            errs.append(f"{name}: {where}: no title")
        if p.get("title") in titles:
            errs.append(f"{name}: {where}: duplicate title")
        titles.add(p.get("title"))
        check_ds(where, p.get("datasource"))
        unit = p.get("fieldConfig", {}).get("defaults", {}).get("unit")
        if not unit:
            errs.append(f"{name}: {where}: no unit (fieldConfig.defaults.unit)")
        targets = p.get("targets", [])
        if not targets:
            errs.append(f"{name}: {where}: no targets")
        for t in targets:
            check_ds(f"{where} target {t.get('refId')}", t.get("datasource", p.get("datasource")))
            if not t.get("expr"):
                errs.append(f"{name}: {where} target {t.get('refId')}: empty expr")
            texts.append((where, t.get("expr", "")))
            texts.append((where, t.get("legendFormat", "")))
        texts.append((where, p.get("title", "")))
    for where, text in texts:
        for var in used_vars(text or ""):
            if var not in defined and var not in GRAFANA_BUILTINS:
                errs.append(f"{name}: {where}: uses ${var}, which is not a template variable")
    return errs


def load_dashboards(src):
    d = os.path.join(src, "dashboards", "grafana")
    out = {}
    for f in sorted(os.listdir(d)):
        if f.endswith(".json"):
            with open(os.path.join(d, f)) as fh:
                out[f] = json.load(fh)
    return out


# ------------------------------------------------------------------ metric names in PromQL
PROMQL_KEYWORDS = {"and", "or", "unless", "by", "without", "on", "ignoring", "group_left",
                   "group_right", "bool", "offset", "inf", "nan", "atan2", "start", "end",
                   # aggregation operators (may be followed by `by (...)` before their argument)
                   "sum", "min", "max", "avg", "group", "stddev", "stdvar", "count",
                   "count_values", "bottomk", "topk", "quantile", "limitk", "limit_ratio"}


def metric_names(expr):
    """Metric names a PromQL expression selects (a tokenizer, not a full parser)."""
    s = re.sub(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`', '""', expr)  # strings
    s = re.sub(r"\{[^}]*\}", "{}", s)                                           # label matchers
    s = re.sub(r"\[[^\]]*\]", "[]", s)                                          # ranges
    s = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", r"\1", s)
    names = set()
    for m in re.finditer(r"(?<![\w.:$])([A-Za-z_:][A-Za-z0-9_:]*)", s):
        tok = m.group(1)
        rest = s[m.end():].lstrip()
        if rest.startswith("("):  # a function or aggregation
            continue
        if tok.lower() in PROMQL_KEYWORDS:
            continue
        names.add(tok)
    return names


def read_families(src):
    """name -> type, from agent/metric_families.h (the one list of what the agent exports)."""
    text = open(os.path.join(src, "agent", "metric_families.h")).read()
    return {n: t for n, t in re.findall(r'\{"([a-z_:][a-z0-9_:]*)",\s*MetricType::(\w+)', text)}


def by_name_errors(where, expr, families, exported, recorded):
    """Problems with the metric names one expression uses. Pending names go to pending_notes."""
    errs = []
    for n in sorted(metric_names(expr)):
        if n in recorded or n in PROMETHEUS_SERIES:
            continue
        base = n
        for suffix in ("_bucket", "_sum", "_count"):
            if n.endswith(suffix) and families.get(n[: -len(suffix)]) == "histogram":
                base = n[: -len(suffix)]
        if base in PENDING_ISSUE_10:
            if base not in exported:
                pending_notes.append(f"{where}: {base} (issue 10, not exported yet)")
            continue
        if base not in families:
            errs.append(f"{where}: uses metric {n}, which is not in agent/metric_families.h")
        elif exported is not None and n not in exported:
            errs.append(f"{where}: uses metric {n}, which the agent does not export")
    return errs


# ------------------------------------------------------------------ processes and HTTP
def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def http_get_json(url, timeout=10):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return json.loads(r.read().decode())


class Prom:
    def __init__(self, base):
        self.base = base

    def query(self, expr):
        """(ok, result list or error text)."""
        url = self.base + "/api/v1/query?" + urllib.parse.urlencode({"query": expr})
        try:
            j = http_get_json(url)
        except urllib.error.HTTPError as e:
            try:
                j = json.loads(e.read().decode())
            except Exception:
                return False, f"HTTP {e.code}"
        except Exception as e:  # noqa: BLE001
            return False, str(e)
        if j.get("status") != "success":
            return False, f"{j.get('errorType')}: {j.get('error')}"
        res = j["data"]["result"]
        if j["data"]["resultType"] == "scalar":
            res = [{"metric": {}, "value": res}]
        return True, res

    def label_values(self, label, match=None):
        q = {"match[]": match} if match else {}
        url = self.base + f"/api/v1/label/{label}/values?" + urllib.parse.urlencode(q)
        return http_get_json(url)["data"]


def wait_for(pred, seconds, what):
    deadline = time.time() + seconds
    last = None
    while time.time() < deadline:
        try:
            last = pred()
            if last:
                return last
        except Exception as e:  # noqa: BLE001
            last = e
        time.sleep(0.5)
    raise TimeoutError(f"{what} not reached in {seconds} s (last: {last})")


def write_lookout_config(path, port, work, ep):
    http = ep["http"]
    tls = lambda name: ep[name].replace("127.0.0.1", "localhost")  # noqa: E731
    ca = ep["ca_file"]
    dns = ep["dns"]
    cfg = f"""agent:
  listen: 127.0.0.1:{port}
  state_file: {work}/state.db
  workers: 2
# Loopback only: no catalogue feed from the internet; plugins judged by the estate's directory.
catalog: {{refresh: off}}
defaults:
  interval: 2s
  retry_interval: 2s
  timeout: 2s
  patch: {{directory_api: "{http}/wp-directory"}}
alerting:
  sinks:
    # A receiver that refuses connections: its notifications stay pending and are retried, so
    # the outbox and notification panels have data.
    - {{id: hook, type: webhook, url: "http://127.0.0.1:9/lookout", timeout: 1s}}
  defaults:
    tickets: [builtin, hook]
clients:
  - id: acme
    # SLA clocks on calendar time: the shop's P1 ticket is due for a response within 30 min,
    # so it shows as at risk.
    contract:
      coverage: 24x7
      sla:
        P1: {{response: 30m, resolution: 4h}}
    sites:
      - id: www
        url: {http}/ok
        checks:
          - {{type: http, id: uptime, keyword: Welcome}}
      - id: shop
        url: {http}/status/503
        checks:
          - {{type: http}}
      - id: blog
        url: {http}/redirect/2
        checks:
          - {{type: http}}
  - id: initech
    defaults:
      tls: {{ca_file: {ca}}}
      dns: {{servers: ["{dns}"]}}
      dnsbl: {{servers: ["{dns}"]}}
    sites:
      - id: secure
        url: https://{tls('tls_valid')}/
        checks:
          - {{type: tls}}
          - {{type: http, ca_file: {ca}}}
      - id: expiring
        url: https://{tls('tls_expiring_5d')}/
        checks:
          - {{type: tls}}
      - id: dns
        url: http://estate.test/
        checks:
          - {{type: dns, target: estate.test, record: MX, mx_present: true}}
      - id: mail
        url: http://listed.estate.test/
        checks:
          - {{type: dnsbl, target: 127.0.0.2, lists: [bl.estate.test], domain_lists: [dbl.estate.test]}}
      - id: domain
        url: http://expiring.test/
        checks:
          - {{type: domain, target: expiring.test, rdap_url: "{ep['rdap']}"}}
  - id: hooli
    sites:
      - id: db1
        url: http://127.0.0.1/
        checks:
          - {{type: disk, target: "{ep['node_exporter_filling']}"}}
      - id: db2
        url: http://127.0.0.1/
        checks:
          - {{type: disk, target: "{ep['node_exporter_full']}"}}
      - id: blog
        url: {ep['cms_wordpress_insecure']}
        checks:
          - {{type: patch}}
      - id: news
        url: {ep['cms_wordpress_current']}
        checks:
          - {{type: patch}}
"""
    open(path, "w").write(cfg)
    return cfg.count("{type:")


def substitutions(dash, prom):
    """Every combination of template-variable values, from label_values / custom options."""
    variables = [v for v in dash.get("templating", {}).get("list", []) if v.get("type") in ("query", "custom")]
    combos = [{}]
    for v in variables:
        new = []
        for combo in combos:
            if v["type"] == "custom":
                cur = v.get("current", {}).get("value")
                values = [cur] if cur else [o["value"] for o in v.get("options", [])][:1]
            else:
                q = v["query"]["query"] if isinstance(v["query"], dict) else v["query"]
                q = substitute(q, combo)
                m = re.fullmatch(r"\s*label_values\((?:(.*),\s*)?(\w+)\)\s*", q)
                if not m:
                    raise ValueError(f"variable {v['name']}: unsupported query {q!r}")
                values = prom.label_values(m.group(2), m.group(1))
                if not values:
                    fail(f"{dash['uid']}: variable {v['name']} ({q}) has no values")
            for val in values:
                c = dict(combo)
                c[v["name"]] = val
                new.append(c)
        combos = new
    return combos


def substitute(text, values):
    def rep(m):
        name = m.group(1) or m.group(2) or m.group(3)
        if name in values:
            if name == "target":  # a number used in arithmetic, not in a label matcher
                return values[name]
            # Regex-escaped inside a PromQL string, as Grafana does: `.` -> `\\.`
            return re.escape(values[name]).replace("\\", "\\\\")
        if name in GRAFANA_BUILTINS:
            return GRAFANA_BUILTINS[name]
        return m.group(0)
    return VAR_RE.sub(rep, text)


# ------------------------------------------------------------------ main
def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lookout", required=True)
    ap.add_argument("--estate", required=True)
    ap.add_argument("--source", required=True)
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()
    src = os.path.abspath(args.source)
    args.lookout, args.estate = os.path.abspath(args.lookout), os.path.abspath(args.estate)
    t0 = time.time()

    # 1. Structure.
    dashboards = load_dashboards(src)
    for f in EXPECTED_DASHBOARDS:
        if f not in dashboards:
            fail(f"dashboards/grafana/{f} missing")
    uids = [d.get("uid") for d in dashboards.values()]
    if len(set(uids)) != len(uids):
        fail(f"dashboard uids not unique: {uids}")
    for f, d in dashboards.items():
        for e in structural_errors(f, d, EXPECTED_DASHBOARDS.get(f)):
            fail(e)
    # Bad input: a panel referencing a variable that does not exist must be caught.
    bad = json.loads(json.dumps(dashboards["lookout-client.json"]))
    bad["panels"][0]["targets"][0]["expr"] = 'probe_success{client=~"$customer"}'
    bad["panels"][1]["fieldConfig"]["defaults"].pop("unit")
    bad["panels"][2]["datasource"] = {"type": "prometheus", "uid": "P1809F7CD0C75ACF3"}
    bad["panels"][3]["id"] = bad["panels"][4]["id"]
    errs = "\n".join(structural_errors("bad.json", bad))
    for needle in ("uses $customer, which is not a template variable", "no unit",
                   "hard-coded datasource uid 'P1809F7CD0C75ACF3'", "duplicate panel id"):
        if needle not in errs:
            fail(f"structural self-test: a broken dashboard was not reported ({needle!r}); got:\n{errs}")
    log(f"structure: {len(dashboards)} dashboards, "
        f"{sum(1 for d in dashboards.values() for p in all_panels(d) if p.get('type') != 'row')} panels checked")

    # 2. promtool.
    rules_dir = os.path.join(src, "dashboards", "prometheus")
    rule_files = [os.path.join(rules_dir, f) for f in ("lookout-recording.rules.yml", "lookout-alerts.rules.yml")]
    r = subprocess.run(["promtool", "check", "rules", *rule_files], capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        fail("promtool check rules:\n" + r.stdout + r.stderr)
    r = subprocess.run(["promtool", "test", "rules", "lookout-alerts.test.yml"], cwd=rules_dir,
                       capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        fail("promtool test rules:\n" + r.stdout + r.stderr)
    log("promtool: check rules and test rules done")

    # 3. Estate, agent, Prometheus.
    work = tempfile.mkdtemp(prefix="lookout-dashboards-")
    procs = []

    def start(cmd, logname, **kw):
        out = open(os.path.join(work, logname), "w")
        p = subprocess.Popen(cmd, stdout=kw.pop("stdout", out), stderr=out, **kw)
        procs.append(p)
        return p

    try:
        estate = start([args.estate, "--base-port", "0", "--work-dir", os.path.join(work, "estate"),
                        "--print-endpoints"], "estate.log", stdout=subprocess.PIPE)
        line = estate.stdout.readline().decode()
        ep = json.loads(line)
        aport = free_port()
        n_checks = write_lookout_config(os.path.join(work, "lookout.yaml"), aport, work, ep)
        agent_cmd = [args.lookout, "run", "-c", os.path.join(work, "lookout.yaml")]
        agent = start(agent_cmd, "agent.log", cwd=work)
        wait_for(lambda: urllib.request.urlopen(f"http://127.0.0.1:{aport}/healthz", timeout=2).status == 200,
                 20, "agent /healthz")
        # lookout_disk_days_to_full needs stored free-space points from two different hours.
        # Give the filling disk one from an hour ago (1 MiB/s more free, as the estate's host
        # fills at 1 MiB/s), then restart the agent so it loads it.
        db = os.path.join(work, "state.db")
        key, series = "hooli/db1/disk", "disk_free:/var/lib/mysql"

        def stored_point():
            con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=2)
            try:
                return con.execute("SELECT hour, at_ms, value FROM series WHERE check_key=? AND series=?",
                                   (key, series)).fetchone()
            finally:
                con.close()
        hour, at_ms, value = wait_for(stored_point, 20, "the filling disk's free space in the state store")
        agent.send_signal(signal.SIGTERM)
        agent.wait(timeout=15)
        con = sqlite3.connect(db, timeout=5)
        con.execute("INSERT OR REPLACE INTO series (check_key, series, hour, at_ms, value) VALUES (?, ?, ?, ?, ?)",
                    (key, series, hour - 1, at_ms - 3_600_000, value + 3600 * 1048576))
        con.commit()
        con.close()
        start(agent_cmd, "agent.log", cwd=work)
        wait_for(lambda: urllib.request.urlopen(f"http://127.0.0.1:{aport}/healthz", timeout=2).status == 200,
                 20, "agent /healthz after restart")
        pport = free_port()
        prom_cfg = os.path.join(work, "prometheus.yml")
        with open(prom_cfg, "w") as f:
            f.write(f"""global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
rule_files:
  - {rule_files[0]}
  - {rule_files[1]}
scrape_configs:
  - job_name: lookout
    static_configs:
      - targets: ["127.0.0.1:{aport}"]
""")
        start(["prometheus", f"--config.file={prom_cfg}", f"--storage.tsdb.path={work}/tsdb",
               f"--web.listen-address=127.0.0.1:{pport}", "--web.enable-lifecycle",
               "--storage.tsdb.retention.time=1d", "--log.level=warn"], "prometheus.log")
        prom = Prom(f"http://127.0.0.1:{pport}")
        wait_for(lambda: prom.query('up{job="lookout"} == 1')[1], 30, "Prometheus scraping the agent")

        def data_in():
            ok, r = prom.query("count(lookout_check_status)")
            if not ok or not r or int(float(r[0]["value"][1])) < n_checks:
                data_in.missing = f"count(lookout_check_status) = {r}, expected {n_checks}"
                return False
            for q in ("lookout_patch_status", "lookout:site_uptime:ratio_30d",
                      "lookout_dnsbl_listed", 'count_over_time(lookout_disk_free_bytes{site="db1"}[30s]) > 2',
                      'count_over_time(lookout_check_runs_total{status="ok"}[30s]) > 3'):
                ok, r = prom.query(q)
                if not ok or not r:
                    data_in.missing = f"{q} -> {r}"
                    return False
            return True
        data_in.missing = ""
        try:
            wait_for(data_in, 40, f"all {n_checks} checks, rules and enough samples in Prometheus")
        except TimeoutError as e:
            fail(f"{e}: {data_in.missing}")
            raise
        log(f"data in Prometheus after {time.time() - t0:.1f} s")

        exported = set(prom.label_values("__name__", '{job="lookout"}'))
        families = read_families(src)
        rules = http_get_json(prom.base + "/api/v1/rules")["data"]["groups"]
        recorded = {r["name"] for g in rules for r in g["rules"] if r["type"] == "recording"}

        # Blackbox names kept (item 4).
        for n in ("probe_success", "probe_duration_seconds", "probe_http_status_code",
                  "probe_http_duration_seconds", "probe_ssl_earliest_cert_expiry",
                  "probe_dns_lookup_time_seconds"):
            if n not in exported:
                fail(f"blackbox_exporter metric {n} not exported by the agent")

        # By-name self-test: a made-up metric must fail, naming it.
        e = by_name_errors("self-test", 'sum(rate(lookout_no_such_metric_total[5m])) / probe_success',
                           families, exported, recorded)
        if not any("lookout_no_such_metric_total" in x for x in e) or any("probe_success" in x for x in e):
            fail(f"by-name self-test: expected exactly lookout_no_such_metric_total reported, got {e}")
        e = by_name_errors("self-test", 'lookout_checks_configured', families,
                           exported - {"lookout_checks_configured"}, recorded)
        if not any("lookout_checks_configured, which the agent does not export" in x for x in e):
            fail(f"by-name self-test: a family the agent stopped exporting was not reported: {e}")

        # 3a. Every panel expression.
        n_queries = n_exprs = 0
        results = {}  # (uid, title, refId) -> {combo json: result}
        for f, dash in dashboards.items():
            combos = substitutions(dash, prom)
            for p in all_panels(dash):
                if p.get("type") == "row":
                    continue
                for t in p.get("targets", []):
                    expr = t["expr"]
                    where = f"{dash['uid']} / {p['title']!r} {t['refId']}"
                    n_exprs += 1
                    for e in by_name_errors(where, substitute(expr, combos[0] if combos else {}),
                                            families, exported, recorded):
                        fail(e)
                    pending = bool(metric_names(expr) & PENDING_ISSUE_10)
                    got_data = False
                    per = {}
                    for combo in combos:
                        q = substitute(expr, combo)
                        ok, r = prom.query(q)
                        n_queries += 1
                        if not ok:
                            fail(f"{where}: query does not run ({r}): {q}")
                            break
                        per[json.dumps(combo, sort_keys=True)] = r
                        got_data = got_data or bool(r)
                    results[(dash["uid"], p["title"], t["refId"])] = per
                    if not got_data and not pending:
                        fail(f"{where}: no data for any of {len(combos)} variable values: {expr}")
        log(f"panels: {n_exprs} expressions, {n_queries} queries with variables substituted")

        # 3b. Every rule, as Prometheus loaded it.
        n_rules = 0
        for g in rules:
            for rule in g["rules"]:
                n_rules += 1
                where = f"rule {rule['name']} ({g['name']})"
                if rule.get("health") != "ok":
                    fail(f"{where}: health {rule.get('health')}: {rule.get('lastError')}")
                for e in by_name_errors(where, rule["query"], families, exported, recorded):
                    fail(e)
                ok, r = prom.query(rule["query"])
                if not ok:
                    fail(f"{where}: query does not run ({r})")
                elif rule["type"] == "recording" and not r and not (metric_names(rule["query"]) & PENDING_ISSUE_10):
                    fail(f"{where}: recording rule returns no data: {rule['query']}")
                if rule["type"] == "alerting":
                    for k in ("severity",):
                        if k not in rule.get("labels", {}):
                            fail(f"{where}: no {k} label")
                    if "summary" not in rule.get("annotations", {}):
                        fail(f"{where}: no summary annotation")
                    if not rule.get("duration"):
                        fail(f"{where}: no `for:`")
        if n_rules < 20:
            fail(f"only {n_rules} rules loaded by Prometheus")
        log(f"rules: {n_rules} loaded and queried")

        # 3c. What the estate says must show.
        def rows(uid, title, ref="A", **combo):
            per = results.get((uid, title, ref), {})
            if combo:
                return per.get(json.dumps(combo, sort_keys=True), [])
            return [x for r in per.values() for x in r]

        def val(x):
            return float(x["value"][1])

        down = {r["metric"].get("client"): val(r) for r in rows("lookout-estate-overview", "Sites down now, by client")}
        if down.get("acme", 0) < 1:
            fail(f"estate overview: acme/shop (503) not counted as down: {down}")
        sites = {r["metric"]["site"]: val(r) for r in rows("lookout-client", "Sites: up or down now", client="acme", target="99.9")}
        if sites.get("shop") != 0 or sites.get("www") != 1:
            fail(f"client dashboard: expected shop DOWN and www UP, got {sites}")
        certs = {(r["metric"]["client"], r["metric"]["site"]): val(r)
                 for r in rows("lookout-estate-overview", "Certificates expiring within 30 days (days left)")}
        if not 3.5 < certs.get(("initech", "expiring"), -1) < 5.5:
            fail(f"estate overview: the certificate expiring in 5 days shows {certs}")
        if ("initech", "secure") in certs:
            fail(f"estate overview: the valid certificate is listed as expiring: {certs}")
        days = rows("lookout-site", "Certificate days left", client="initech", site="expiring")
        if not days or not 3.5 < val(days[0]) < 5.5:
            fail(f"site dashboard: certificate days left for initech/expiring: {days}")
        listed = {(r["metric"]["site"], r["metric"]["list"]) for r in rows("lookout-estate-overview", "Blacklisted IPs and domains")}
        if ("mail", "bl.estate.test") not in listed:
            fail(f"estate overview: 127.0.0.2 on bl.estate.test not shown: {listed}")
        patched = {r["metric"]["site"] for r in rows("lookout-estate-overview", "Sites with a missing security patch (days exposed)")}
        if patched != {"blog"}:
            fail(f"estate overview: expected only hooli/blog (WordPress 6.8.1) as missing a security patch, got {patched}")
        full = {r["metric"]["site"] for r in rows("lookout-estate-overview", "Disks predicted full within 7 days")}
        if "db1" not in full:
            fail(f"estate overview: the filling disk (hooli/db1) is not predicted full: {full}")
        up30 = {r["metric"]["site"]: val(r) for r in rows("lookout-client", "Uptime over the last 30 days", client="acme", target="99.9")}
        if up30.get("shop") != 0 or up30.get("www") != 1:
            fail(f"client dashboard: 30-day uptime expected shop 0 and www 1, got {up30}")
        now_ms = time.time() * 1000
        due = {(r["metric"]["site"], r["metric"]["sla"]): val(r)
               for r in rows("lookout-client", "Open tickets with SLA due times", client="acme", target="99.9")}
        if not now_ms < due.get(("shop", "response"), 0) <= now_ms + 30 * 60e3:
            fail(f"client dashboard: acme/shop's P1 ticket should be due for a response within 30 min: {due}")
        if not now_ms + 3.5 * 3600e3 < due.get(("shop", "resolution"), 0) <= now_ms + 4 * 3600e3:
            fail(f"client dashboard: acme/shop's P1 resolution should be due within 4 h: {due}")
        at_risk = rows("lookout-estate-overview", "Tickets at risk (SLA due within 1 h)")
        if not at_risk or val(at_risk[0]) < 1:
            fail(f"estate overview: the P1 ticket due within 30 min is not counted at risk: {at_risk}")
        breached = rows("lookout-estate-overview", "Tickets breached (SLA overdue)")
        if not breached or val(breached[0]) != 0:
            fail(f"estate overview: nothing is overdue yet, breached shows {breached}")
        month = {r["metric"]["site"]: val(r) for r in rows("lookout-client", "Uptime this month (calendar month so far)", client="acme", target="99.9")}
        if month.get("shop") != 0 or month.get("www") != 1:
            fail(f"client dashboard: uptime this month expected shop 0 and www 1, got {month}")
        cpu = rows("lookout-agent-health", "Agent resident memory")
        if not cpu or not 1e6 < val(cpu[0]) < 4e9:
            fail(f"agent health: resident memory of the agent: {cpu}")
        healthy = rows("lookout-estate-overview", "Is monitoring itself healthy?")
        if not healthy or val(healthy[0]) != 1:
            fail(f"estate overview: monitoring health stat: {healthy}")
    except Exception as e:  # noqa: BLE001
        if not failures:
            fail(f"{type(e).__name__}: {e}")
    finally:
        for p in reversed(procs):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in reversed(procs):
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        if failures or args.keep:
            for name in ("agent.log", "prometheus.log"):
                path = os.path.join(work, name)
                if os.path.exists(path):
                    log(f"--- {name} (last 20 lines)")
                    log("".join(open(path, errors="replace").readlines()[-20:]))
        if args.keep:
            log(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)

    for n in sorted(set(pending_notes)):
        log("PENDING: " + n)
    log(f"done in {time.time() - t0:.1f} s: {len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
