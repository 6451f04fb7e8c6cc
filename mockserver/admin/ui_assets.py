"""The dashboard's shell, style and script: plain text served as they are (no build step, nothing
fetched from elsewhere, so the page works offline). The panels themselves are rendered in `ui.py`."""

from __future__ import annotations

import base64
import hashlib

PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>mockserver dashboard</title>
<style>{style}</style>
</head>
<body>
<header>
  <h1>mockserver</h1>
  <form id="scope" method="get" action="/__admin/ui">
    <label>provider <select name="provider"><option value="">all</option>{providers}</select></label>
    <label>sandbox <input name="tenant" placeholder="a credential or its label"></label>
    <button>Show</button>
  </form>
  <p id="live" role="status" aria-live="polite">connecting…</p>
</header>
<main>
  <div id="panels"></div>
  <div id="controls"></div>
</main>
<script>{script}</script>
</body>
</html>
"""

STYLE = """
:root { color-scheme: light dark; --ok: #1a7f37; --bad: #cf222e; --muted: #6e7781; }
body { font: 18px/1.45 system-ui, sans-serif; margin: 0 auto; max-width: 80rem; padding: 0 1rem 3rem; }
header { display: flex; flex-wrap: wrap; gap: 1rem; align-items: center; border-bottom: 2px solid; }
h1 { font-size: 1.6rem; margin: .6rem 0; }
h2 { font-size: 1.25rem; margin: 1.4rem 0 .4rem; }
label { display: inline-flex; gap: .4rem; align-items: center; margin: .2rem .8rem .2rem 0; }
input, select, button { font: inherit; padding: .25rem .5rem; }
button { cursor: pointer; }
:focus-visible { outline: 3px solid #0969da; outline-offset: 2px; }
.rows { list-style: none; padding: 0; margin: 0; }
.rows > li { border-bottom: 1px solid #d0d7de; padding: .3rem 0; }
summary { cursor: pointer; }
pre { overflow: auto; max-height: 20rem; background: rgba(127,127,127,.12); padding: .5rem;
      font-size: .85rem; }
.status { display: inline-block; min-width: 3ch; font-weight: 700; }
.ok { color: var(--ok); } .bad { color: var(--bad); } .muted { color: var(--muted); font-size: .9rem; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .25rem .5rem; border-bottom: 1px solid #d0d7de; }
fieldset { margin: .6rem 0; }
#live { margin-left: auto; font-weight: 600; }
"""

SCRIPT = r"""
(() => {
  const KEY = "mockserver-admin-token";
  const hash = location.hash.match(/token=([^&]+)/);
  if (hash) {
    sessionStorage.setItem(KEY, decodeURIComponent(hash[1]));
    history.replaceState(null, "", location.pathname + location.search);
  }
  const token = sessionStorage.getItem(KEY);
  const headers = token ? {"X-Mock-Admin-Token": token} : {};
  const query = new URLSearchParams(location.search);
  const scope = new URLSearchParams();
  for (const name of ["provider", "tenant"]) {
    if (query.get(name)) scope.set(name, query.get(name));
    const field = document.querySelector(`#scope [name=${name}]`);
    if (field) field.value = query.get(name) || "";
  }
  const live = document.getElementById("live");
  const panels = document.getElementById("panels");
  const controls = document.getElementById("controls");
  let pending = null;

  async function fetchPart(part) {
    const r = await fetch(`/__admin/ui/panels?part=${part}&${scope}`, {headers});
    if (r.status === 401) {
      live.textContent = "needs the admin token: open /__admin/ui#token=<token>";
      return null;
    }
    if (r.ok) return r.text();  // the mock's own HTML, every value in it escaped where it is rendered
    const refused = document.createElement("p");  // a refusal's text is data, never markup
    refused.className = "bad";
    refused.textContent = `${r.status}: ${await r.text()}`;
    return refused.outerHTML;
  }
  async function refresh() {
    pending = null;
    const open = new Set([...panels.querySelectorAll("details[open]")].map(d => d.dataset.key));
    const text = await fetchPart("live");
    if (text === null) return;
    panels.innerHTML = text;
    for (const d of panels.querySelectorAll("details")) if (open.has(d.dataset.key)) d.open = true;
  }
  async function loadControls() {
    const text = await fetchPart("controls");
    if (text !== null) controls.innerHTML = text;
  }
  function soon() { if (!pending) pending = setTimeout(refresh, 150); }

  async function listen(last) {
    try {
      const h = {...headers};
      if (last) h["Last-Event-ID"] = last;
      const r = await fetch(`/__admin/stream?${scope}`, {headers: h});
      if (!r.ok) throw new Error(String(r.status));
      live.textContent = "live";
      const reader = r.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      for (;;) {
        const {value, done} = await reader.read();
        if (done) break;
        buffer += value;
        let end;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const id = frame.match(/^id: (.*)$/m);
          if (id) { last = id[1]; soon(); if (/^event: clock$/m.test(frame)) loadControls(); }
        }
      }
    } catch (error) { /* the mock went away: try again */ }
    live.textContent = "reconnecting…";
    setTimeout(() => listen(last), 1000);
  }

  async function post(url, body) {
    const r = await fetch(url, {method: "POST", body: JSON.stringify(body),
                                headers: {...headers, "Content-Type": "application/json"}});
    return r.ok ? "done" : ((await r.json().catch(() => ({}))).error || `refused: ${r.status}`);
  }
  document.addEventListener("click", async event => {
    const button = event.target.closest("button[data-post]");
    if (button) {
      button.textContent = await post(button.dataset.post, {}) === "done" ? "Replayed" : "Refused";
      soon();
    }
    const link = event.target.closest("a[data-fetch]");
    if (link) {
      event.preventDefault();
      const r = await fetch(link.href, {headers});
      document.getElementById("coverage").textContent = await r.text();
    }
  });
  document.addEventListener("submit", async event => {
    const form = event.target;
    if (!form.dataset.action) return;
    event.preventDefault();
    const body = {};
    for (const field of form.elements) {
      if (!field.name || field.value === "") continue;
      body[field.name] = field.type === "number" ? Number(field.value) : field.value;
    }
    let calls = [[form.dataset.action, body]];
    if (form.dataset.action === "clock") {
      const id = body.clock; delete body.clock;
      calls = [[id ? `/__admin/clocks/${encodeURIComponent(id)}` : "/__admin/clock", body]];
    } else if (form.dataset.action === "reset") {
      calls = [["/__admin/reset", body], ["/__admin/reset/controls", body]];
    }
    let said = "";
    for (const [url, given] of calls) said = await post(url, given);
    await loadControls();
    const output = controls.querySelector(`form[data-action="${form.dataset.action}"] output`);
    if (output) output.textContent = said;
    soon();
  });
  refresh();
  loadControls();
  listen(null);
})();
"""


def _digest(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


# the page runs its own script and style and nothing else: no other script, no inline handler, no
# frame, no form sent elsewhere, no connection but to the mock itself
POLICY = (
    f"default-src 'none'; script-src {_digest(SCRIPT)}; style-src {_digest(STYLE)}; "
    "connect-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
