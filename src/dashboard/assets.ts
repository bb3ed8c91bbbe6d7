/**
 * The dashboard's static assets, kept as strings in the compiled app so the deploy package carries them (no CDN, no
 * file copy step): the page, its style sheet and its script (plain DOM and SVG, no framework, no inline script so the
 * page's Content-Security-Policy can forbid any).
 */

export const CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

const head = (title: string) => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/api/dashboard/app.css">
</head>`;

export const PAGE_HTML = `${head("Start/Stop VMs: dashboard")}
<body>
<a class="skip" href="#main">Skip to the content</a>
<header>
  <h1>Start/Stop VMs</h1>
  <p id="generated" aria-live="polite">Loading…</p>
</header>
<main id="main" tabindex="-1">
  <section aria-labelledby="runs-title" class="card wide">
    <h2 id="runs-title">Runs</h2>
    <div id="today" class="tiles"></div>
    <div id="running"></div>
    <div class="scroll" tabindex="0" role="region" aria-label="Recent runs, scrollable"><table id="runs"><caption>Runs of the last days, newest first</caption>
      <thead><tr><th scope="col">Finished</th><th scope="col">Action</th><th scope="col">State</th><th scope="col">Succeeded</th><th scope="col">Already</th><th scope="col">Failed</th><th scope="col">Skipped</th><th scope="col">Request</th></tr></thead><tbody></tbody></table></div>
  </section>
  <section aria-labelledby="failed-title" class="card wide">
    <h2 id="failed-title">VMs that failed</h2>
    <div class="scroll" tabindex="0" role="region" aria-label="Failed VMs, scrollable"><table id="failed"><caption>Failed VMs of those runs (up to 10 per run; the request lists them all)</caption>
      <thead><tr><th scope="col">VM</th><th scope="col">Reason</th><th scope="col">What to do</th><th scope="col">Run</th></tr></thead><tbody></tbody></table></div>
  </section>
  <section aria-labelledby="next-title" class="card">
    <h2 id="next-title">Next 24 hours</h2>
    <p id="zone" class="muted"></p>
    <div class="scroll" tabindex="0" role="region" aria-label="Upcoming transitions, scrollable"><table id="next"><caption>Transitions per schedule and Logic App</caption>
      <thead><tr><th scope="col">When</th><th scope="col">Source</th><th scope="col">Name</th><th scope="col">Then</th></tr></thead><tbody></tbody></table></div>
  </section>
  <section aria-labelledby="savings-title" class="card">
    <h2 id="savings-title">Savings per week</h2>
    <p id="savings-total"></p>
    <figure id="savings-chart"></figure>
    <p id="savings-note" class="muted"></p>
  </section>
  <section aria-labelledby="budget-title" class="card">
    <h2 id="budget-title">Budget and breakers</h2>
    <div id="breakers"></div>
    <div class="scroll" tabindex="0" role="region" aria-label="Budget buckets, scrollable"><table id="budget"><caption>Shared budget buckets, as last written</caption>
      <thead><tr><th scope="col">Subscription</th><th scope="col">Bucket</th><th scope="col">Tokens left</th><th scope="col">At</th></tr></thead><tbody></tbody></table></div>
  </section>
  <section aria-labelledby="heartbeat-title" class="card">
    <h2 id="heartbeat-title">Heartbeat</h2>
    <div id="heartbeat"></div>
  </section>
</main>
<script src="/api/dashboard/app.js"></script>
</body>
</html>
`;

export const LOGIN_HTML = (message: string) => `${head("Start/Stop VMs: sign in")}
<body>
<main id="main" class="login">
  <h1>Start/Stop VMs</h1>
  <form method="post" action="/api/dashboard/login">
    <p>This local dashboard needs the host's function key (<code>LOCAL_FUNCTION_KEY</code>).</p>
    ${message ? `<p role="alert" class="error">${message}</p>` : ""}
    <label for="key">Local function key</label>
    <input id="key" name="key" type="password" autocomplete="current-password" required>
    <button type="submit">Sign in</button>
  </form>
</main>
</body>
</html>
`;

export const APP_CSS = `
:root { --ink: #1b1f24; --muted: #4a535e; --line: #c9d1d9; --bg: #f6f8fa; --card: #fff; --accent: #0b5cad; --bad: #a4161a; --good: #1a6b2f; --warn: #7a4a00; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: var(--bg); }
.skip { position: absolute; left: -999px; } .skip:focus { left: 8px; top: 8px; background: #fff; padding: 8px; z-index: 2; }
header { padding: 12px 16px; background: var(--card); border-bottom: 1px solid var(--line); }
h1 { margin: 0; font-size: 1.4rem; } h2 { margin: 0 0 8px; font-size: 1.15rem; }
main { display: grid; gap: 16px; padding: 16px; grid-template-columns: repeat(auto-fit, minmax(320px, 1fr)); }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 12px 16px; min-width: 0; }
.wide { grid-column: 1 / -1; }
.tiles { display: flex; flex-wrap: wrap; gap: 8px; margin-bottom: 8px; }
.tile { border: 1px solid var(--line); border-radius: 6px; padding: 6px 10px; min-width: 110px; }
.tile b { display: block; font-size: 1.3rem; }
.scroll { overflow-x: auto; }
.scroll:focus, a:focus, button:focus, input:focus { outline: 3px solid var(--accent); outline-offset: 2px; }
table { border-collapse: collapse; width: 100%; font-size: .95rem; }
caption { text-align: left; color: var(--muted); padding-bottom: 4px; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.muted { color: var(--muted); }
.state-Succeeded, .ok { color: var(--good); font-weight: 600; }
.state-Failed, .bad { color: var(--bad); font-weight: 600; }
.state-PartiallySucceeded, .warn { color: var(--warn); font-weight: 600; }
a { color: var(--accent); }
figure { margin: 0; } svg text { fill: var(--ink); font-size: 12px; } svg .bar { fill: var(--accent); }
.login { display: block; max-width: 420px; margin: 40px auto; }
.login form { display: grid; gap: 8px; background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 16px; }
.login input { font: inherit; padding: 8px; border: 1px solid var(--muted); border-radius: 4px; }
.login button { font: inherit; padding: 8px; background: var(--accent); color: #fff; border: 0; border-radius: 4px; cursor: pointer; }
.error { color: var(--bad); }
@media (max-width: 480px) { main { padding: 8px; gap: 8px; } th, td { padding: 4px; } }
`;

export const APP_JS = `"use strict";
(function () {
  var base = "/api/dashboard/";
  var zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "your time zone";
  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    for (var k in attrs || {}) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = String(text);
    return e;
  }
  function when(iso) { return new Date(iso).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" }); }
  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); return node; }
  function row(tbody, cells) {
    var tr = el("tr");
    cells.forEach(function (c) {
      var td = el("td", c.num ? { class: "num" } : {});
      if (c.node) td.appendChild(c.node); else td.textContent = c.text === undefined ? "" : String(c.text);
      if (c.metric) td.setAttribute("data-metric", c.metric);
      if (c.cls) td.className = (td.className + " " + c.cls).trim();
      tr.appendChild(td);
    });
    tbody.appendChild(tr);
  }
  function unavailable(node, part, what) {
    node.appendChild(el("p", { class: "bad", role: "status" }, what + " could not be read: " + part.error));
  }
  function money(amount, currency) {
    try { return new Intl.NumberFormat(undefined, { style: "currency", currency: currency }).format(amount); } catch (e) { return amount.toFixed(2) + " " + currency; }
  }
  function isToday(iso) {
    var d = new Date(iso), n = new Date();
    return d.getFullYear() === n.getFullYear() && d.getMonth() === n.getMonth() && d.getDate() === n.getDate();
  }
  function requestLink(id, outcome) {
    var a = el("a", { href: base + "requests/" + encodeURIComponent(id) + (outcome ? "?outcome=" + outcome : "") }, id.slice(0, 8));
    a.setAttribute("aria-label", "request " + id + (outcome ? " (" + outcome + " VMs)" : ""));
    return a;
  }

  function renderRuns(d) {
    var today = clear(document.getElementById("today"));
    var tbody = clear(document.querySelector("#runs tbody"));
    if (!d.runs.ok) return unavailable(today, d.runs, "Runs");
    var todays = d.runs.list.filter(function (r) { return isToday(r.completedAt); });
    var sum = function (k) { return todays.reduce(function (s, r) { return s + (r.counts[k] || 0); }, 0); };
    [["Runs today", todays.length, "today-runs"], ["VMs succeeded", sum("Succeeded"), "today-succeeded"], ["Already in state", sum("AlreadyInState"), "today-already"],
     ["VMs failed", sum("Failed"), "today-failed"], ["Skipped", sum("Skipped"), "today-skipped"]].forEach(function (t) {
      var tile = el("div", { class: "tile" });
      var b = el("b", { "data-metric": t[2] }, t[1]);
      tile.appendChild(b); tile.appendChild(document.createTextNode(t[0]));
      today.appendChild(tile);
    });
    var running = clear(document.getElementById("running"));
    if (d.running.ok && d.running.list.length) {
      running.appendChild(el("p", { "data-metric": "running" }, d.running.list.length + " run(s) in progress: " + d.running.list.map(function (r) { return r.action + " " + r.requestId.slice(0, 8) + " (" + r.counts.InProgress + " VMs left)"; }).join(", ")));
    }
    d.runs.list.forEach(function (r) {
      row(tbody, [{ text: when(r.completedAt) }, { text: r.action }, { text: r.state, cls: "state-" + r.state }, { text: r.counts.Succeeded, num: true },
        { text: r.counts.AlreadyInState, num: true }, { text: r.counts.Failed, num: true }, { text: r.counts.Skipped, num: true }, { node: requestLink(r.requestId) }]);
    });
    if (!d.runs.list.length) row(tbody, [{ text: "No run finished in the last " + d.runs.days + " days." }]);
  }

  function renderFailed(d) {
    var tbody = clear(document.querySelector("#failed tbody"));
    d.failedVms.forEach(function (v) {
      row(tbody, [{ text: v.name }, { text: v.errorCode, cls: "bad" }, { text: v.message }, { node: requestLink(v.requestId, "Failed") }]);
    });
    if (!d.failedVms.length) row(tbody, [{ text: "No VM failed in these runs." }]);
    document.getElementById("failed").setAttribute("data-count", String(d.failedVms.length));
  }

  function renderNext(d) {
    document.getElementById("zone").textContent = "Times in " + zone + ".";
    var tbody = clear(document.querySelector("#next tbody"));
    d.transitions.list.forEach(function (t) {
      row(tbody, [{ text: new Date(t.at).toLocaleString(undefined, { weekday: "short", hour: "2-digit", minute: "2-digit" }) },
        { text: t.source === "schedule" ? "schedule" : "Logic App" + (t.enabled ? "" : " (disabled)") }, { text: t.name }, { text: t.what }]);
    });
    if (!d.transitions.list.length) row(tbody, [{ text: "Nothing is due in the next 24 hours." }]);
    if (d.transitions.error) document.getElementById("zone").textContent += " " + d.transitions.error;
  }

  function renderSavings(d) {
    var total = document.getElementById("savings-total");
    var fig = clear(document.getElementById("savings-chart"));
    if (!d.savings.ok) return unavailable(total, d.savings, "Savings");
    var s = d.savings;
    total.textContent = "";
    var strong = el("strong", { "data-metric": "savings-total", "data-value": String(s.totals.moneyAvoided), "data-currency": s.currency }, money(s.totals.moneyAvoided, s.currency));
    total.appendChild(strong);
    total.appendChild(document.createTextNode(" avoided over " + s.weeks.length + " weeks (" + Math.round(s.totals.hoursAvoided) + " VM hours, " + s.currency + ")"));
    var w = 320, h = 160, pad = 28, n = s.weeks.length || 1, max = Math.max.apply(null, s.weeks.map(function (x) { return x.moneyAvoided; }).concat([0.01]));
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 " + w + " " + h);
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-labelledby", "savings-caption");
    svg.setAttribute("width", "100%");
    s.weeks.forEach(function (x, i) {
      var bw = (w - pad) / n - 4, bh = (h - pad) * x.moneyAvoided / max;
      var r = document.createElementNS(ns, "rect");
      r.setAttribute("class", "bar"); r.setAttribute("x", String(pad + i * ((w - pad) / n))); r.setAttribute("y", String(h - pad / 2 - bh));
      r.setAttribute("width", String(Math.max(1, bw))); r.setAttribute("height", String(bh));
      var title = document.createElementNS(ns, "title"); title.textContent = "week of " + new Date(x.weekStart).toLocaleDateString() + ": " + money(x.moneyAvoided, s.currency);
      r.appendChild(title); svg.appendChild(r);
      var label = document.createElementNS(ns, "text");
      label.setAttribute("x", String(pad + i * ((w - pad) / n))); label.setAttribute("y", String(h - 2));
      label.textContent = new Date(x.weekStart).toLocaleDateString(undefined, { month: "numeric", day: "numeric" });
      // A label every other week when there are many, so they do not overlap.
      if (n <= 5 || i % 2 === n % 2 - 1 || i === n - 1) svg.appendChild(label);
    });
    var axis = document.createElementNS(ns, "text"); axis.setAttribute("x", "0"); axis.setAttribute("y", "12"); axis.textContent = s.currency;
    svg.appendChild(axis);
    fig.appendChild(svg);
    fig.appendChild(el("figcaption", { id: "savings-caption" }, "Money avoided per week, in " + s.currency + ": " + s.weeks.map(function (x) { return new Date(x.weekStart).toLocaleDateString() + " " + money(x.moneyAvoided, s.currency); }).join("; ")));
    var note = [];
    if (s.note) note.push(s.note);
    if (s.unpricedVms) note.push(s.unpricedVms + " VM(s) could not be priced (see GET /api/savings).");
    document.getElementById("savings-note").textContent = note.join(" ");
  }

  function renderBudget(d) {
    var b = clear(document.getElementById("breakers"));
    b.appendChild(d.breakers.length
      ? el("p", { class: "bad", "data-metric": "breakers" }, "Breakers open on this instance: " + d.breakers.map(function (x) { return x.domain + " (" + x.failures + " failures since " + when(x.since) + ", last " + (x.lastError ? x.lastError.code : "?") + ")"; }).join("; "))
      : el("p", { class: "ok", "data-metric": "breakers" }, "No breaker open on this instance."));
    var tbody = clear(document.querySelector("#budget tbody"));
    if (!d.budget.ok) return unavailable(b, d.budget, "The budget");
    d.budget.buckets.forEach(function (x) {
      var sub = el("abbr", { title: x.subscriptionId }, x.subscriptionId.slice(0, 8) + "…");
      row(tbody, [{ node: sub }, { text: x.bucket }, { text: Math.floor(x.tokens) + " of " + x.burst, num: true }, { text: when(x.at) }]);
    });
    if (!d.budget.buckets.length) row(tbody, [{ text: "No call has drawn from the budget yet." }]);
  }

  function renderHeartbeat(d) {
    var node = clear(document.getElementById("heartbeat"));
    if (!d.heartbeat.ok) return unavailable(node, d.heartbeat, "The heartbeat");
    var last = d.heartbeat.last;
    if (!last) { node.appendChild(el("p", { "data-metric": "heartbeat" }, "No heartbeat has run yet.")); return; }
    node.appendChild(el("p", { class: last.ok ? "ok" : "bad", "data-metric": "heartbeat" }, (last.ok ? "Healthy" : "Failing") + " at " + when(last.checkedAt) + " (version " + last.version + ")"));
    var ul = el("ul");
    (last.checks || []).forEach(function (c) { ul.appendChild(el("li", {}, (c.ok ? "ok: " : "FAILED: ") + c.name + ": " + c.message)); });
    node.appendChild(ul);
  }

  function load() {
    fetch(base + "data", { credentials: "same-origin", headers: { accept: "application/json" } })
      .then(function (r) { if (r.status === 401) { location.href = base; throw new Error("signed out"); } return r.json(); })
      .then(function (d) {
        [renderRuns, renderFailed, renderNext, renderSavings, renderBudget, renderHeartbeat].forEach(function (f) { f(d); });
        document.getElementById("generated").textContent = "Updated " + when(d.generatedAt) + " (times in " + zone + ")";
        document.body.setAttribute("data-generated-at", d.generatedAt);
        document.body.setAttribute("data-loaded", "true");
      })
      .catch(function (e) { document.getElementById("generated").textContent = "Could not load the dashboard: " + e.message; });
  }
  load();
  setInterval(load, 60000);
})();
`;
