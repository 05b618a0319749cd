/* common.js — what every page shares: the API client (the session cookie /login sets does the
 * signing in; no token is kept in the page), DOM building that only ever sets text,
 * formatting, and the SVG chart.
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
    if (c === undefined || c === null) continue;
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
  constructor(status, message) { super(message); this.status = status; }
}
OW.ApiError = ApiError;

OW.api = async function (path) {
  const r = await fetch(path, { headers: { Accept: 'application/json' }, cache: 'no-store',
                                credentials: 'same-origin' });
  let body = null;
  try { body = await r.json(); } catch (e) { body = null; }
  if (r.status === 401) { OW.askToken(); throw new ApiError(401, 'sign in to see the evidence'); }
  if (!r.ok) throw new ApiError(r.status, (body && body.error) || ('HTTP ' + r.status));
  return body;
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
  OW.clear(box).append(OW.el('p', { class: 'error' }, String(err.message || err)));
};

/* "2026-02-10 05:30:00" (UTC) from microseconds. */
OW.time = function (us) {
  if (!us) return '';
  return new Date(Math.floor(us / 1000)).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
};

/* EVE's "2026-02-10T05:30:00.000000+0000" as "2026-02-10 05:30:00.000000 UTC". */
OW.isoTime = (t) => (t ? String(t).replace('T', ' ').replace(/(\+0000|Z)$/, ' UTC') : '');

/* The report's "2026-02-10T05:30:00.000000Z" as "2026-02-10 05:30:00Z". */
OW.shortIso = (t) => (t ? String(t).replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '');

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

/* Query-string state: read the page's filters from the URL, write them back. */
OW.params = () => new URLSearchParams(location.search);
OW.setParams = function (obj) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(obj)) if (v !== '' && v !== undefined && v !== null) p.set(k, v);
  const qs = p.toString();
  history.replaceState(null, '', location.pathname + (qs ? '?' + qs : ''));
  return p;
};

/* "2026-02-10T01:00" from a datetime-local input (taken as UTC) to RFC 3339, and back. */
OW.toRfc3339 = (v) => (v ? v + (v.length === 16 ? ':00Z' : 'Z') : '');
OW.fromRfc3339 = (v) => (v ? v.replace(/Z$/, '').replace(/:00$/, '') : '');

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

/* A stacked bar chart of alerts (by severity) over flows per bucket, as SVG. */
OW.timelineChart = function (container, tl) {
  const NS = 'http://www.w3.org/2000/svg';
  const svg = (tag, attrs, text) => {
    const n = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, v);
    if (text !== undefined) n.textContent = text;
    return n;
  };
  OW.clear(container);
  const W = 900, H = 180, L = 44, B = 26, T = 10;
  const n = tl.flows.length;
  const sevs = ['medium', 'high', 'critical'];
  const alertsAt = (i) => sevs.reduce((s, k) => s + (tl.alerts[k][i] || 0), 0);
  const maxFlows = Math.max(1, ...tl.flows);
  const maxAlerts = Math.max(1, ...tl.flows.map((_, i) => alertsAt(i)));
  const root = svg('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart', role: 'img',
                            'aria-label': 'flows and alerts over time' });
  const bw = (W - L - 10) / n;
  const plotH = H - B - T;
  root.append(svg('line', { x1: L, y1: T + plotH, x2: W - 10, y2: T + plotH, class: 'axis' }));
  root.append(svg('text', { x: 4, y: T + 10, class: 'label' }, OW.num(maxFlows)));
  root.append(svg('text', { x: 4, y: T + plotH, class: 'label' }, '0'));
  for (let i = 0; i < n; i++) {
    const x = L + i * bw;
    const fh = (tl.flows[i] / maxFlows) * plotH;
    const bar = svg('rect', { x: x + 1, y: T + plotH - fh, width: Math.max(1, bw - 2), height: fh, class: 'bar-flows' });
    const from = tl.from_us + i * tl.bucket_us;
    bar.append(svg('title', {}, `${OW.time(from)}: ${tl.flows[i]} flows, ${alertsAt(i)} alerts`));
    root.append(bar);
    let y = T + plotH;
    for (const k of sevs) {
      const c = tl.alerts[k][i] || 0;
      if (!c) continue;
      const h = Math.max(3, (c / maxAlerts) * plotH * 0.9);
      y -= h;
      const r = svg('rect', { x: x + bw * 0.25, y, width: Math.max(2, bw * 0.5), height: h, class: 'bar-' + k });
      r.append(svg('title', {}, `${OW.time(from)}: ${c} ${k} alerts`));
      root.append(r);
    }
  }
  const ticks = Math.min(6, n);
  for (let t = 0; t <= ticks; t++) {
    const i = Math.round((t * n) / ticks);
    const us = tl.from_us + i * tl.bucket_us;
    const x = L + i * bw;
    root.append(svg('text', { x, y: H - 8, class: 'label', 'text-anchor': t === 0 ? 'start' : (t === ticks ? 'end' : 'middle') },
      OW.time(us).slice(5, 16)));
  }
  container.append(root);
  container.append(OW.el('p', { class: 'legend' },
    OW.el('span', { class: 'key key-flows' }), 'flows ',
    OW.el('span', { class: 'key key-critical' }), 'critical ',
    OW.el('span', { class: 'key key-high' }), 'high ',
    OW.el('span', { class: 'key key-medium' }), 'medium alerts (own scale)'));
};

/* Marks the current page in the navigation. */
document.addEventListener('DOMContentLoaded', () => {
  const page = location.pathname === '/' ? '/index.html' : location.pathname;
  for (const a of document.querySelectorAll('nav a')) {
    if (a.getAttribute('href') === page) a.classList.add('current');
  }
});

document.addEventListener('DOMContentLoaded', () => { OW.showSession(); });
