/* rules.js — hits per rule (authorized flows) and alerts naming each rule, per run or all
 * runs; the maintenance calendar from the sessions the store holds. */
'use strict';

const form = document.getElementById('filters');

function calendar(container, sessions, outside, windows) {
  /* One lane per maintenance rule on a shared time axis: the policy's planned windows as
   * pale bands (when serve has the policy), the sessions that happened as bars, and
   * maintenance alerts as red marks. */
  OW.clear(container);
  const times = [];
  for (const s of sessions) times.push(s.first_us, s.last_us);
  for (const o of outside) times.push(o.ts_us);
  for (const w of windows) times.push(w.start_us, w.end_us);
  if (!times.length) { container.append(OW.el('p', { class: 'muted' }, 'No maintenance windows or sessions in this store.')); return; }
  let lo = Math.min(...times); let hi = Math.max(...times);
  const pad = Math.max(60e6, (hi - lo) * 0.05); lo -= pad; hi += pad;
  const lanes = [...new Set([...windows.map((w) => w.rule), ...sessions.map((s) => s.rule),
    ...outside.map((o) => o.rule || '(no rule)')])];
  const NS = 'http://www.w3.org/2000/svg';
  const svg = (tag, attrs, text) => {
    const n = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, v);
    if (text !== undefined) n.textContent = text;
    return n;
  };
  const W = 900, L = 150, R = 10, laneH = 28, top = 8, H = top + lanes.length * laneH + 24;
  const x = (us) => L + ((us - lo) / (hi - lo)) * (W - L - R);
  const root = svg('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart calendar', role: 'img', 'aria-label': 'maintenance calendar' });
  lanes.forEach((rule, i) => {
    const y = top + i * laneH;
    root.append(svg('text', { x: 4, y: y + 17, class: 'label' }, rule.length > 22 ? rule.slice(0, 21) + '…' : rule));
    root.append(svg('line', { x1: L, y1: y + laneH - 2, x2: W - R, y2: y + laneH - 2, class: 'grid-line' }));
  });
  for (const w of windows) {
    const y = top + lanes.indexOf(w.rule) * laneH + 2;
    const band = svg('rect', { x: x(w.start_us), y, width: Math.max(2, x(w.end_us) - x(w.start_us)), height: 22, class: 'bar-planned' });
    band.append(svg('title', {}, `${w.ticket} (${w.rule}) approved: ${OW.time(w.start_us)} – ${OW.time(w.end_us)}`));
    root.append(band);
  }
  for (const s of sessions) {
    const y = top + lanes.indexOf(s.rule) * laneH + 5;
    const r = svg('rect', { x: x(s.first_us), y, width: Math.max(4, x(s.last_us) - x(s.first_us)), height: 16, class: s.overrun ? 'bar-high' : 'bar-ok' });
    r.append(svg('title', {}, `${s.ticket} (${s.rule}): ${OW.time(s.first_us)} – ${OW.time(s.last_us)}, ${s.flows} flows`));
    root.append(r);
  }
  for (const o of outside) {
    const y = top + lanes.indexOf(o.rule || '(no rule)') * laneH + 3;
    const m = svg('rect', { x: x(o.ts_us) - 3, y, width: 6, height: 20, class: 'bar-critical' });
    m.append(svg('title', {}, `alert ${o.alert_id}: ${o.kind} at ${OW.time(o.ts_us)}`));
    root.append(m);
  }
  for (let t = 0; t <= 4; t++) {
    const us = lo + ((hi - lo) * t) / 4;
    root.append(svg('text', { x: x(us), y: H - 6, class: 'label', 'text-anchor': t === 0 ? 'start' : (t === 4 ? 'end' : 'middle') }, OW.iso(us).replace('T', ' ').replace('Z', '')));
  }
  container.append(root);
}

/* "10.99.0.7,10.99.0.8" as address links, comma-separated. */
function ips(list) {
  const out = [];
  (list || '').split(',').filter(Boolean).forEach((ip, i) => { if (i) out.push(', '); out.push(OW.ipLink(ip)); });
  return out;
}

async function load() {
  const run = form.run.value;
  OW.setParams({ run, rule: OW.params().get('rule') || '' });
  let d;
  try { d = await OW.api('/api/rules' + (run ? '?run=' + encodeURIComponent(run) : '')); } catch (e) { OW.showError('error', e); return; }
  const focus = OW.params().get('rule');
  const maxHits = Math.max(1, ...d.rules.map((r) => r.hits));
  const tbody = OW.clear(document.querySelector('#rules tbody'));
  for (const r of d.rules) {
    const bar = OW.el('span', { class: 'hbar' });
    bar.style.width = Math.round((r.hits / maxHits) * 160) + 'px';
    const alerts = r.alerts ? OW.el('a', { href: '/index.html?rule=' + encodeURIComponent(r.rule) }, OW.num(r.alerts)) : '0';
    tbody.append(OW.el('tr', { class: r.rule === focus ? 'focus' : '', 'data-rule': r.rule },
      OW.el('td', { class: 'mono' }, OW.ruleLink(r.rule)), OW.el('td', {}, r.kind || ''),
      OW.el('td', { class: 'num' }, OW.num(r.hits)), OW.el('td', {}, bar), OW.el('td', { class: 'num' }, alerts)));
  }
  if (!d.rules.length) tbody.append(OW.el('tr', {}, OW.el('td', { colspan: '5', class: 'empty' }, 'No rule hits stored.')));
  document.getElementById('policy-note').textContent = d.policy_loaded
    ? 'Rules of the policy given to serve --policy are listed even without hits.'
    : 'Only rules that were hit or named by an alert are listed (start serve with --policy FILE to list every rule and its kind).';
  calendar(document.getElementById('calendar'), d.maintenance, d.outside_window, d.windows || []);
  const mt = OW.clear(document.querySelector('#maintenance tbody'));
  for (const s of d.maintenance) {
    mt.append(OW.el('tr', {}, OW.el('td', {}, s.ticket), OW.el('td', { class: 'mono' }, OW.ruleLink(s.rule)),
      OW.el('td', { class: 'time' }, OW.iso(s.first_us)), OW.el('td', { class: 'time' }, OW.iso(s.last_us)),
      OW.el('td', { class: 'num' }, OW.num(s.flows)), OW.el('td', { class: 'mono' }, ...ips(s.clients)),
      OW.el('td', { class: 'mono' }, ...ips(s.servers)), OW.el('td', {}, s.overrun ? 'yes' : 'no')));
  }
  const ot = OW.clear(document.querySelector('#outside tbody'));
  for (const o of d.outside_window) {
    ot.append(OW.el('tr', {}, OW.el('td', {}, OW.el('a', { href: '/alert.html?id=' + encodeURIComponent(o.alert_id) }, String(o.alert_id))),
      OW.el('td', { class: 'time' }, OW.iso(o.ts_us)), OW.el('td', {}, OW.severityBadge(o.severity), ' ', o.kind),
      OW.el('td', { class: 'mono' }, OW.ruleLink(o.rule)), OW.el('td', {}, OW.assetLink(o.asset_src)), OW.el('td', {}, OW.assetLink(o.asset_dest))));
  }
  document.getElementById('outside').hidden = !d.outside_window.length;
}

async function init() {
  try {
    const r = await OW.api('/api/runs');
    for (const run of r.runs) {
      form.run.append(OW.el('option', { value: String(run.id) }, `run ${run.id} — ${run.kind} ${run.first ? OW.isoTime(run.first) : ''}`));
    }
  } catch (e) { OW.showError('error', e); }
  form.run.value = OW.params().get('run') || '';
  form.run.addEventListener('change', load);
  load();
}

init();
