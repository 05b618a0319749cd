/* common.js — what every page shares: the header (navigation, theme toggle, who is signed
 * in), the API client (the session cookie /login sets does the signing in; no token is kept
 * in the page), DOM building that only ever sets text, ISO UTC time formatting, links that
 * pivot to filtered views, filter errors shown beside their field, sortable table headers,
 * and the SVG chart with its brush.
 * Every string from the API is attacker-controlled (it came off the wire): it reaches the
 * page through textContent and attribute setters, never through innerHTML. */
'use strict';

const OW = {};

/* el('td', {class: 'x', title: t}, 'text', child...) — children are nodes or text. */
OW.el = function (tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') node.className = v;
    else if (k === 'href') node.setAttribute('href', OW.safeHref(v));
    else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v);
  }
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
};

/* Links we build are same-origin paths; anything else becomes "#". */
OW.safeHref = function (h) {
  return typeof h === 'string' && h.startsWith('/') && !h.startsWith('//') ? h : '#';
};

OW.clear = function (node) {
  while (node.firstChild) node.removeChild(node.firstChild);
  return node;
};

class ApiError extends Error {
  constructor(status, message, param) { super(message); this.status = status; this.param = param || ''; }
}
OW.ApiError = ApiError;

async function answer(r) {
  let body = null;
  try { body = await r.json(); } catch (e) { body = null; }
  if (r.status === 401) { OW.askToken(); throw new ApiError(401, 'sign in to see the evidence'); }
  if (!r.ok) throw new ApiError(r.status, (body && body.error) || ('HTTP ' + r.status), body && body.param);
  return body;
}

OW.api = async function (path) {
  const r = await fetch(path, { headers: { Accept: 'application/json' }, cache: 'no-store',
                                credentials: 'same-origin' });
  return answer(r);
};

/* The anomaly kind table the server emits from (/api/meta), fetched once per page; the
 * pages label and filter from it rather than from copies of it. Rejects like OW.api. */
let metaPromise = null;
OW.meta = function () {
  if (!metaPromise) metaPromise = OW.api('/api/meta').catch((e) => { metaPromise = null; throw e; });
  return metaPromise;
};

/* A JSON POST from this page (same origin; the server refuses cross-site ones). */
OW.post = async function (path, obj) {
  const r = await fetch(path, {
    method: 'POST', cache: 'no-store', credentials: 'same-origin',
    headers: { Accept: 'application/json', 'Content-Type': 'application/json' },
    body: JSON.stringify(obj),
  });
  return answer(r);
};

/* The sign-in form, shown once when the API answers 401. The token goes to /login in a
 * header, never in an address; the server answers with the session cookie. */
OW.askToken = function () {
  if (document.getElementById('token-form')) return;
  const input = OW.el('input', { type: 'password', id: 'token-input', autocomplete: 'off',
                                 placeholder: 'token', size: '40' });
  const note = OW.el('span', { class: 'hint', id: 'token-error' });
  const form = OW.el('form', { id: 'token-form', class: 'token-form' },
    OW.el('label', { for: 'token-input' }, 'Sign in with your token (or the one-time login link serve printed): '),
    input, OW.el('button', { type: 'submit' }, 'Sign in'), ' ', note);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const r = await fetch('/login', { headers: { Authorization: 'Bearer ' + input.value.trim(), Accept: 'application/json' },
                                      cache: 'no-store', credentials: 'same-origin' });
    input.value = '';
    if (r.ok) location.reload();
    else note.textContent = 'that token was not accepted';
  });
  document.querySelector('main').prepend(form);
};

/* Who is signed in, in the header, with a way out. */
OW.showSession = async function () {
  const header = document.querySelector('header');
  if (!header || document.getElementById('session')) return;
  let s;
  try {
    const r = await fetch('/api/session', { cache: 'no-store', credentials: 'same-origin' });
    if (!r.ok) return;
    s = await r.json();
  } catch (e) { return; }
  OW.session = s;
  header.append(OW.el('span', { id: 'session', class: 'session' },
    OW.el('span', { id: 'session-name' }, s.name), ' ', OW.el('span', { id: 'session-role', class: 'role' }, s.role),
    s.cookie ? OW.el('a', { href: '/logout', id: 'logout' }, 'sign out') : null));
};

/* An LI target or LIID the caller's role may not see arrives masked. */
OW.MASKED = '[masked]';
OW.maybeMasked = (v) => (v === OW.MASKED
  ? OW.el('span', { class: 'masked', title: 'LI targets and LIIDs are shown to the li-officer role only' }, 'masked (li-officer only)')
  : v);

OW.showError = function (where, err) {
  const box = typeof where === 'string' ? document.getElementById(where) : where;
  if (!box) return;
  OW.clear(box).append(OW.el('p', { class: 'error', role: 'alert' }, String(err.message || err)));
};

/* --- times: ISO 8601 in UTC everywhere ------------------------------------------------- */

/* "2026-02-10T05:30:00Z" from microseconds ("" for none). */
OW.iso = function (us) {
  if (!us && us !== 0) return '';
  if (!us) return '';
  return new Date(Math.floor(us / 1000)).toISOString().replace(/\.\d+Z$/, 'Z');
};
OW.time = OW.iso;

/* EVE's "2026-02-10T05:30:00.370000+0000" as "2026-02-10T05:30:00.370Z". */
OW.isoTime = function (t) {
  if (!t) return '';
  const m = String(t).match(/^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(?:\+0000|Z)$/);
  if (!m) return String(t);
  const frac = (m[2] || '').slice(0, 3);
  return m[1] + (frac && frac !== '000' ? '.' + frac : '') + 'Z';
};

/* The report's "2026-02-10T05:30:00.000000Z" as "2026-02-10T05:30:00Z". */
OW.shortIso = (t) => (t ? String(t).replace(/\.\d+Z$/, 'Z') : '');

/* The time fields take RFC 3339 as the API does: 2026-02-10T01:00:00Z (or with an offset). */
OW.timePattern = /^\d{4}-\d\d-\d\d[Tt ]\d\d:\d\d(:\d\d(\.\d{1,9})?)?([Zz]|[+-]\d\d:\d\d)$/;
/* A time as typed: "2026-02-10T01:00Z" gains its seconds. */
OW.normaliseTime = (v) => v.replace(/^(\d{4}-\d\d-\d\d[Tt ]\d\d:\d\d)([Zz]|[+-]\d\d:\d\d)$/, '$1:00$2');

OW.num = (n) => (n === undefined || n === null) ? '' : Number(n).toLocaleString('en-US');

OW.bytes = function (n) {
  if (!n) return '0 B';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0; let v = Number(n);
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return (i ? v.toFixed(1) : v) + ' ' + units[i];
};

OW.endpoint = (ip, port) => (String(ip).includes(':') ? '[' + ip + ']' : ip) + (port ? ':' + port : '');

OW.severityBadge = (sev) => OW.el('span', { class: 'sev sev-' + (['critical', 'high', 'medium'].includes(sev) ? sev : 'none') }, sev || '—');

OW.TRIAGE = ['open', 'acknowledged', 'escalated', 'closed'];
OW.triageBadge = (status) => {
  const s = OW.TRIAGE.includes(status) ? status : 'open';
  return OW.el('span', { class: 'tri tri-' + s }, s);
};

/* --- pivots: every IP, asset, rule and Community ID is a link to what it filters -------- */

OW.query = (path, params) => path + '?' + new URLSearchParams(params).toString();

/* An address (with its port) linking to the alerts (or flows) with that address. */
OW.ipLink = function (ip, port, page) {
  if (!ip) return '';
  return OW.el('a', { class: 'pivot ip', href: OW.query(page || '/index.html', { ip }),
                      title: 'everything with ' + ip }, OW.endpoint(ip, port));
};
OW.assetLink = function (name) {
  if (!name) return '';
  return OW.el('a', { class: 'pivot asset-link', href: OW.query('/asset.html', { name }),
                      title: 'the asset ' + name }, name);
};
OW.ruleLink = function (rule) {
  if (!rule) return '';
  return OW.el('a', { class: 'pivot rule-link', href: OW.query('/index.html', { rule }),
                      title: 'alerts naming rule ' + rule }, rule);
};
OW.cidLink = function (cid, text) {
  if (!cid) return '';
  return OW.el('a', { class: 'pivot cid-link', href: OW.query('/flows.html', { community_id: cid }),
                      title: 'flows with this Community ID' }, text || cid);
};
/* "10.20.1.11:22" and its asset below, both links. */
OW.endpointCell = function (ip, port, asset, page) {
  return OW.el('td', { class: 'ep' }, OW.ipLink(ip, port, page),
    asset ? OW.el('span', { class: 'asset' }, OW.assetLink(asset)) : null);
};

/* --- query-string state ---------------------------------------------------------------- */

OW.params = () => new URLSearchParams(location.search);
OW.setParams = function (obj) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(obj)) if (v !== '' && v !== undefined && v !== null) p.set(k, v);
  const qs = p.toString();
  history.replaceState(null, '', location.pathname + (qs ? '?' + qs : ''));
  return p;
};

/* --- filter errors beside their field --------------------------------------------------- */

OW.clearFieldErrors = function (form) {
  for (const e of form.querySelectorAll('.field-error')) e.remove();
  for (const e of form.querySelectorAll('[aria-invalid]')) e.removeAttribute('aria-invalid');
};

/* Shows msg under the field named name (the API's "param"); false when the form has none. */
OW.fieldError = function (form, name, msg) {
  const input = name && form.querySelector(`[name="${CSS.escape(name)}"]`);
  if (!input) return false;
  input.setAttribute('aria-invalid', 'true');
  const holder = input.closest('.field, fieldset') || input.parentElement;
  const id = 'err-' + name;
  input.setAttribute('aria-describedby', id);
  holder.append(OW.el('span', { class: 'field-error', id, role: 'alert' }, msg));
  return true;
};

/* Checks the values a form holds before asking the API; returns false (errors shown) when
 * one is wrong. checks: {name: fn(value) -> message or ''}. */
OW.checkFields = function (form, checks) {
  let ok = true;
  for (const [name, fn] of Object.entries(checks)) {
    const input = form.querySelector(`[name="${CSS.escape(name)}"]`);
    const v = input ? input.value.trim() : '';
    const msg = v ? fn(v) : '';
    if (msg) { OW.fieldError(form, name, msg); ok = false; }
  }
  return ok;
};
OW.checkTime = (v) => (OW.timePattern.test(OW.normaliseTime(v)) ? '' : 'an ISO 8601 UTC time such as 2026-02-10T01:00:00Z');
OW.checkIp = (v) => (/^[0-9a-fA-F:.]+$/.test(v) && (v.includes('.') || v.includes(':')) ? '' : 'an IPv4 or IPv6 address');
OW.checkName = (v) => (/^[\x20-\x7e]{1,64}$/.test(v) ? '' : 'at most 64 printable ASCII characters');

/* --- sortable table headers ------------------------------------------------------------- */

/* Headers with data-sort="name" become buttons; current is the URL's sort ("-time");
 * onSort(newSort) reloads. A first click sorts descending for time/severity/count, else
 * ascending; a second click reverses. */
OW.sortableHeaders = function (table, current, onSort) {
  for (const th of table.querySelectorAll('th[data-sort]')) {
    const key = th.dataset.sort;
    th.classList.add('sortable');
    th.tabIndex = 0;
    th.removeAttribute('aria-sort');
    if (current === key) th.setAttribute('aria-sort', 'ascending');
    if (current === '-' + key) th.setAttribute('aria-sort', 'descending');
    const go = () => {
      const desc = ['time', 'severity', 'count', 'last', 'first'].includes(key);
      let next = desc ? '-' + key : key;
      if (current === next) next = next.startsWith('-') ? key : '-' + key;
      onSort(next);
    };
    th.onclick = go;
    th.onkeydown = (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); go(); } };
  }
};

OW.copyButton = function (text) {
  const b = OW.el('button', { type: 'button', class: 'copy', title: 'copy to the clipboard' }, 'Copy');
  b.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(text);
      b.textContent = 'Copied';
    } catch (e) {
      b.textContent = 'Select and copy';
    }
    setTimeout(() => { b.textContent = 'Copy'; }, 1500);
  });
  return b;
};

/* --- the chart ------------------------------------------------------------------------- */

/* Rounded axis ticks: 0, step, 2*step ... >= max. */
function ticksFor(max) {
  if (max <= 0) return [0, 1];
  const raw = max / 3;
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) || mag * 10;
  const out = [];
  for (let v = 0; v < max + step; v += Math.max(1, Math.round(step))) { out.push(v); if (v >= max) break; }
  return out;
}

/* Flows per time bucket (upper panel) and alerts per bucket stacked by severity (lower
 * panel), each with its own labelled scale, on one UTC time axis. opts.onBrush(fromUs, toUs)
 * is called when a time range is dragged over the chart. */
OW.timelineChart = function (container, tl, opts) {
  const NS = 'http://www.w3.org/2000/svg';
  const svg = (tag, attrs, text) => {
    const n = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, v);
    if (text !== undefined) n.textContent = text;
    return n;
  };
  OW.clear(container);
  const n = tl.flows.length;
  const sevs = ['medium', 'high', 'critical'];
  const alertsAt = (i) => sevs.reduce((s, k) => s + (tl.alerts[k][i] || 0), 0);
  const totalFlows = tl.flows.reduce((a, b) => a + b, 0);
  const totalAlerts = tl.flows.reduce((a, _, i) => a + alertsAt(i), 0);
  if (tl.empty || (!totalFlows && !totalAlerts)) {
    container.append(OW.el('p', { class: 'chart-empty', id: 'chart-empty' }, tl.empty
      ? 'No flows or alerts in this store yet: the chart appears once something is stored.'
      : `No flows or alerts match between ${OW.iso(tl.from_us)} and ${OW.iso(tl.to_us)}.`));
    return;
  }
  /* Drawn at the container's own width, so text stays its size and the height fixed. */
  const W = Math.max(480, Math.round((container.clientWidth || 992) - 34));
  const L = 56, R = 12, T = 18, PH = 70, GAP = 30, B = 40;
  const H = T + PH + GAP + PH + B;
  const plotW = W - L - R;
  const bw = plotW / n;
  const root = svg('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart', role: 'img', id: 'timeline-svg',
                            'aria-label': `flows and alerts per ${Math.round(tl.bucket_us / 1e6)} s from ${OW.iso(tl.from_us)} to ${OW.iso(tl.to_us)}` });
  const panel = (top, series, max, title, draw) => {
    const ticks = ticksFor(max);
    const top_ = ticks[ticks.length - 1] || 1;
    root.append(svg('text', { x: L, y: top - 6, class: 'title' }, title));
    for (const v of ticks) {
      const y = top + PH - (v / top_) * PH;
      root.append(svg('line', { x1: L, y1: y, x2: W - R, y2: y, class: v ? 'grid-line' : 'axis' }));
      root.append(svg('text', { x: L - 6, y: y + 4, class: 'label', 'text-anchor': 'end' }, OW.num(v)));
    }
    draw(top, top_);
  };
  const maxFlows = Math.max(1, ...tl.flows);
  const maxAlerts = Math.max(1, ...tl.flows.map((_, i) => alertsAt(i)));
  const from = (i) => tl.from_us + i * tl.bucket_us;
  panel(T, tl.flows, maxFlows, 'Flows per bucket', (top, scale) => {
    for (let i = 0; i < n; i++) {
      if (!tl.flows[i]) continue;
      const h = (tl.flows[i] / scale) * PH;
      const bar = svg('rect', { x: L + i * bw + 0.5, y: top + PH - h, width: Math.max(1, bw - 1), height: h, class: 'bar-flows' });
      bar.append(svg('title', {}, `${OW.iso(from(i))}: ${tl.flows[i]} flows`));
      root.append(bar);
    }
  });
  const top2 = T + PH + GAP;
  panel(top2, null, maxAlerts, 'Alerts per bucket, by severity', (top, scale) => {
    for (let i = 0; i < n; i++) {
      let y = top + PH;
      for (const k of sevs) {
        const c = tl.alerts[k][i] || 0;
        if (!c) continue;
        const h = (c / scale) * PH;
        y -= h;
        const r = svg('rect', { x: L + i * bw + 0.5, y, width: Math.max(1.5, bw - 1), height: h, class: 'bar-' + k });
        r.append(svg('title', {}, `${OW.iso(from(i))}: ${c} ${k} alerts`));
        root.append(r);
      }
    }
  });
  /* The time axis, under both panels: hours and minutes (with the date when the range spans
   * days); the full range in ISO 8601 under it. */
  const axisY = top2 + PH;
  const spanUs = n * tl.bucket_us;
  const tickLabel = (us) => {
    const s = OW.iso(us);
    return spanUs > 20 * 3600e6 ? s.slice(5, 16).replace('T', ' ') : s.slice(11, 16);
  };
  const nt = Math.max(2, Math.min(n, Math.floor(plotW / 90)));
  for (let t = 0; t <= nt; t++) {
    const us = tl.from_us + (t * spanUs) / nt;
    const x = L + (t * plotW) / nt;
    root.append(svg('line', { x1: x, y1: axisY, x2: x, y2: axisY + 4, class: 'axis' }));
    root.append(svg('text', { x, y: axisY + 16, class: 'label', 'text-anchor': t === 0 ? 'start' : (t === nt ? 'end' : 'middle') },
      tickLabel(us)));
  }
  root.append(svg('text', { x: L + plotW / 2, y: H - 4, class: 'title', 'text-anchor': 'middle' },
    `time (UTC) from ${OW.iso(tl.from_us)} to ${OW.iso(tl.from_us + spanUs)}, ${Math.round(tl.bucket_us / 1e6).toLocaleString('en-US')} s per bucket — drag to choose a range`));
  /* The brush: a drag over either panel selects a time range. */
  const hit = svg('rect', { x: L, y: T, width: plotW, height: axisY - T, fill: 'transparent', class: 'plot', id: 'chart-plot' });
  const brush = svg('rect', { x: 0, y: T, width: 0, height: axisY - T, class: 'brush', visibility: 'hidden' });
  root.append(brush, hit);
  const toX = (ev) => {
    const pt = root.createSVGPoint();
    pt.x = ev.clientX; pt.y = ev.clientY;
    const p = pt.matrixTransform(root.getScreenCTM().inverse());
    return Math.min(W - R, Math.max(L, p.x));
  };
  const usAt = (x) => tl.from_us + ((x - L) / plotW) * (n * tl.bucket_us);
  let start = null;
  hit.addEventListener('pointerdown', (ev) => {
    start = toX(ev);
    hit.setPointerCapture(ev.pointerId);
    brush.setAttribute('x', start); brush.setAttribute('width', 0); brush.setAttribute('visibility', 'visible');
  });
  hit.addEventListener('pointermove', (ev) => {
    if (start === null) return;
    const x = toX(ev);
    brush.setAttribute('x', Math.min(start, x)); brush.setAttribute('width', Math.abs(x - start));
  });
  hit.addEventListener('pointerup', (ev) => {
    if (start === null) return;
    const x = toX(ev);
    const a = Math.min(start, x); const b = Math.max(start, x);
    start = null;
    if (b - a < 4) { brush.setAttribute('visibility', 'hidden'); return; }
    /* Whole seconds, the range widened outwards so the dragged buckets stay inside it. */
    const f = Math.floor(usAt(a) / 1e6) * 1e6; const t = Math.ceil(usAt(b) / 1e6) * 1e6;
    if (opts && opts.onBrush) opts.onBrush(f, t);
  });
  container.append(root);
  /* Redrawn at the new width when the window changes size. */
  container.owChart = [tl, opts];
  if (!container.owResize) {
    let timer = null;
    container.owResize = () => { clearTimeout(timer); timer = setTimeout(() => OW.timelineChart(container, ...container.owChart), 150); };
    window.addEventListener('resize', container.owResize);
  }
  container.append(OW.el('p', { class: 'legend' },
    OW.el('span', { class: 'key key-flows' }), 'flows (upper scale) ',
    OW.el('span', { class: 'key key-critical' }), 'critical ',
    OW.el('span', { class: 'key key-high' }), 'high ',
    OW.el('span', { class: 'key key-medium' }), 'medium alerts (lower scale)'));
};

/* --- the header every page shares ------------------------------------------------------ */

const PAGES = [['/index.html', 'Alerts'], ['/flows.html', 'Flows'], ['/assets.html', 'Assets'],
  ['/rules.html', 'Rules'], ['/health.html', 'Health'], ['/report.html', 'Report']];

function themeLabel() {
  const t = document.documentElement.dataset.theme;
  return 'Theme: ' + (t === 'dark' ? 'dark' : t === 'light' ? 'light' : 'system');
}

/* system -> dark -> light -> system: the choice is kept in localStorage. */
function toggleTheme(button) {
  const cur = document.documentElement.dataset.theme;
  const next = cur === 'dark' ? 'light' : cur === 'light' ? '' : 'dark';
  if (next) document.documentElement.dataset.theme = next;
  else delete document.documentElement.dataset.theme;
  try { if (next) localStorage.setItem('ow_theme', next); else localStorage.removeItem('ow_theme'); } catch (e) { /* private mode */ }
  button.textContent = themeLabel();
}

OW.buildHeader = function () {
  const header = document.getElementById('top');
  if (!header || header.childElementCount) return;
  const page = location.pathname === '/' ? '/index.html' : location.pathname;
  const current = page === '/alert.html' ? '/index.html' : page === '/asset.html' ? '/assets.html' : page;
  const nav = OW.el('nav', { 'aria-label': 'pages' }, ...PAGES.map(([href, label]) =>
    OW.el('a', { href, class: href === current ? 'current' : null }, label)));
  const theme = OW.el('button', { type: 'button', class: 'theme', id: 'theme-toggle', title: 'light or dark (system by default)' }, themeLabel());
  theme.addEventListener('click', () => toggleTheme(theme));
  header.append(OW.el('a', { class: 'brand', href: '/index.html' }, 'omwitness'), nav,
    OW.el('span', { id: 'live', class: 'live hidden', role: 'status' }), theme);
  OW.showSession();
};

OW.buildHeader();
document.addEventListener('DOMContentLoaded', OW.buildHeader);
