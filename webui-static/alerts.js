/* alerts.js — the alerts page: counters; the chart, which follows the filters and whose
 * brush and presets set the time range; the filters, kept in the URL, with errors shown
 * beside the field; the list (time order, sortable columns, one-line reasons that open on a
 * click) or the grouped view (kind, source, destination) with triage of a whole group; and
 * new alerts pushed by /api/events, marked unread until seen, counted in the page title. */
'use strict';

const PAGE = 50;
const form = document.getElementById('filters');
const tbody = document.querySelector('#alerts tbody');
const gbody = document.querySelector('#groups tbody');
const TEXT_FIELDS = ['kind', 'triage', 'ip', 'asset', 'rule', 'community_id', 'from', 'to'];
let offset = 0;
let total = 0;            /* rows matching the filters, as last counted */
let sort = '-time';
let view = 'list';
let summary = null;
const unread = new Set();

function fromUrl() {
  const p = OW.params();
  const sev = (p.get('severity') || '').split(',');
  for (const box of form.querySelectorAll('input[name=severity]')) box.checked = sev.includes(box.value);
  for (const k of TEXT_FIELDS) {
    const v = p.get(k) || '';
    const input = form.elements[k];
    if (input.tagName === 'SELECT' && v && ![...input.options].some((o) => o.value === v)) {
      input.append(OW.el('option', { value: v }, v));   /* shown, so its error can be too */
    }
    input.value = v;
  }
  sort = p.get('sort') || '-time';
  view = p.get('view') === 'groups' ? 'groups' : 'list';
  offset = Math.max(0, parseInt(p.get('offset') || '0', 10) || 0);
}

function filters() {
  const sev = [...form.querySelectorAll('input[name=severity]:checked')].map((b) => b.value);
  const f = { severity: sev.join(',') };
  for (const k of TEXT_FIELDS) f[k] = form.elements[k].value.trim();
  if (f.from) f.from = OW.normaliseTime(f.from);
  if (f.to) f.to = OW.normaliseTime(f.to);
  return f;
}

function stateParams() {
  return { ...filters(), sort: sort !== '-time' ? sort : '', view: view !== 'list' ? view : '',
           offset: offset || '' };
}

/* Does a pushed alert pass the filters on screen? (A new alert is always open.) */
function matches(a, f) {
  if (f.severity && !f.severity.split(',').includes(a.severity)) return false;
  if (f.kind && a.kind !== f.kind) return false;
  if (f.triage && !f.triage.split(',').includes('open')) return false;
  if (f.asset && a.asset_src !== f.asset && a.asset_dest !== f.asset) return false;
  if (f.rule && a.rule !== f.rule) return false;
  if (f.ip && a.src_ip !== f.ip && a.dest_ip !== f.ip) return false;
  if (f.community_id && a.community_id !== f.community_id) return false;
  if (f.from && a.ts_us < Date.parse(f.from) * 1000) return false;
  if (f.to && a.ts_us >= Date.parse(f.to) * 1000) return false;
  return true;
}

/* A reason reads "<the flow>: <why>"; the other columns show the flow, so one line shows
 * the why, and a click opens the whole sentence. */
function reasonCell(text) {
  const cut = text.indexOf(': ');
  const why = cut > 0 && cut + 2 < text.length ? text.slice(cut + 2) : text;
  const td = OW.el('td', { class: 'reason', title: text }, why);
  td.addEventListener('click', () => {
    const open = td.classList.toggle('open');
    td.textContent = open ? text : why;
  });
  return td;
}

function alertRow(a, fresh) {
  const link = OW.el('a', { href: '/alert.html?id=' + encodeURIComponent(a.id) }, String(a.id));
  const tr = OW.el('tr', { class: 'sev-row-' + a.severity + (fresh ? ' unread' : ''), 'data-id': String(a.id) },
    OW.el('td', {}, link),
    OW.el('td', { class: 'time' }, OW.iso(a.ts_us)),
    OW.el('td', {}, OW.severityBadge(a.severity)),
    OW.el('td', { title: a.kind }, a.kind, a.rule ? OW.el('span', { class: 'sub' }, 'rule ', OW.ruleLink(a.rule)) : null),
    OW.endpointCell(a.src_ip, a.src_port, a.asset_src),
    OW.endpointCell(a.dest_ip, a.dest_port, a.asset_dest),
    OW.el('td', { title: a.app_proto || '' }, a.app_proto || ''),
    OW.el('td', { class: 'triage-cell' }, OW.triageBadge((a.triage || {}).status)),
    reasonCell(a.reason || ''));
  if (fresh) {
    unread.add(String(a.id));
    tr.addEventListener('click', () => markRead(tr));
    seenObserver.observe(tr);
  }
  return tr;
}

/* --- unread ---------------------------------------------------------------------------- */

function showUnread() {
  const n = unread.size;
  document.title = (n ? `(${n}) ` : '') + 'omwitness — alerts';
  document.getElementById('unread-box').hidden = !n;
  document.getElementById('unread-count').textContent = n === 1 ? '1 new alert' : `${n} new alerts`;
}

function markRead(tr) {
  tr.classList.remove('unread');
  unread.delete(tr.dataset.id);
  seenObserver.unobserve(tr);
  showUnread();
}

/* A new row is seen once a person has been at the page (moved the pointer, scrolled, typed)
 * while the row was on screen for two seconds; a wall display nobody looks at keeps it
 * marked. */
const visibleSince = new Map();
let lastActivity = 0;
for (const ev of ['pointermove', 'pointerdown', 'keydown', 'wheel', 'scroll', 'focus']) {
  window.addEventListener(ev, () => { lastActivity = Date.now(); }, { passive: true });
}
const seenObserver = new IntersectionObserver((entries) => {
  for (const e of entries) {
    if (e.isIntersecting) visibleSince.set(e.target, Date.now());
    else visibleSince.delete(e.target);
  }
}, { threshold: 0.9 });
setInterval(() => {
  if (document.visibilityState !== 'visible') return;
  for (const [tr, since] of visibleSince) {
    if (Date.now() - since >= 2000 && lastActivity > since) { visibleSince.delete(tr); markRead(tr); }
  }
}, 500);

/* --- loading --------------------------------------------------------------------------- */

function showRange(shown, what) {
  document.getElementById('range').textContent =
    total ? `${offset + 1}–${offset + shown} of ${OW.num(total)}` : `0 ${what}`;
}

async function loadCounters() {
  const s = await OW.api('/api/summary');
  summary = s;
  const box = OW.clear(document.getElementById('counters'));
  const counter = (label, n, cls) => OW.el('div', { class: 'counter ' + (cls || '') },
    OW.el('span', { class: 'n' }, OW.num(n || 0)), OW.el('span', { class: 'l' }, label));
  box.append(counter('alerts', s.alerts), counter('critical', s.alerts_by_severity.critical, 'c-critical'),
    counter('high', s.alerts_by_severity.high, 'c-high'), counter('medium', s.alerts_by_severity.medium, 'c-medium'),
    counter('flows', s.flows), counter('authorized flows', s.flows_by_verdict.authorized),
    counter('runs', s.runs));
  return s;
}

/* The chart over the same filters as the list. */
async function loadChart(f) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(f)) if (v) p.set(k, v);
  p.set('buckets', '60');
  try {
    const tl = await OW.api('/api/timeline?' + p.toString());
    OW.timelineChart(document.getElementById('chart'), tl, { onBrush: (a, b) => setRange(a, b) });
  } catch (e) {
    OW.clear(document.getElementById('chart')).append(OW.el('p', { class: 'chart-empty' },
      'The chart shows once the filters are valid.'));
  }
}

function setRange(fromUs, toUs) {
  form.elements.from.value = fromUs ? OW.iso(fromUs) : '';
  form.elements.to.value = toUs ? OW.iso(toUs) : '';
  offset = 0;
  load();
}

/* 1h / 24h / 7d before the end of the evidence (now, during a live capture). */
function preset(spanS) {
  if (!spanS) { setRange(0, 0); return; }
  const lastUs = summary && summary.last_ts ? summary.last_ts : 0;
  const end = summary && summary.live ? Date.now() * 1000 : lastUs;
  if (!end) { document.getElementById('preset-note').textContent = 'nothing stored yet'; return; }
  const to = Math.ceil(end / 1e6 + 1) * 1e6;
  document.getElementById('preset-note').textContent = summary && summary.live ? 'before now' : 'before the last stored packet';
  setRange(to - spanS * 1e6, to);
}

function showView() {
  document.getElementById('alerts').hidden = view !== 'list';
  document.getElementById('groups-box').hidden = view !== 'groups';
  for (const b of document.querySelectorAll('button.view')) b.classList.toggle('on', b.dataset.view === view);
}

function badRequest(e) {
  if (e.status === 400 && OW.fieldError(form, e.param, e.message)) {
    OW.showError('error', new Error('Correct the filter marked above: ' + e.message));
  } else {
    OW.showError('error', e);
  }
}

async function loadList(p) {
  p.set('limit', PAGE);
  const r = await OW.api('/api/alerts?' + p.toString());
  OW.clear(tbody);
  for (const a of r.alerts) tbody.append(alertRow(a, unread.has(String(a.id))));
  if (!r.alerts.length) tbody.append(OW.el('tr', {}, OW.el('td', { colspan: '9', class: 'empty' }, 'No alerts match these filters.')));
  total = r.total;
  showRange(r.alerts.length, 'alerts');
  document.getElementById('prev').disabled = offset === 0;
  document.getElementById('next').disabled = offset + r.alerts.length >= r.total;
  OW.sortableHeaders(document.getElementById('alerts'), sort, (s) => { sort = s; offset = 0; load(); });
}

async function triageGroup(g, status, button) {
  const note = document.getElementById('bulk-note').value.trim();
  button.disabled = true;
  let done = 0;
  try {
    for (const id of g.ids) {
      await OW.post('/api/alerts/' + encodeURIComponent(id) + '/triage', { status, note });
      done++;
    }
  } catch (e) {
    OW.showError('error', new Error(`triaged ${done} of ${g.ids.length}: ${e.message}`));
  }
  load();
}

function groupRow(g) {
  const listHref = OW.query('/index.html', { kind: g.kind, ip: g.src_ip });
  const buttons = OW.el('td', { class: 'group-actions' });
  for (const [status, label] of [['acknowledged', 'Acknowledge'], ['escalated', 'Escalate'], ['closed', 'Close']]) {
    const b = OW.el('button', { type: 'button', class: 'small plain', 'data-status': status }, label);
    b.addEventListener('click', () => triageGroup(g, status, b));
    buttons.append(b, ' ');
  }
  return OW.el('tr', { class: 'sev-row-' + g.severity, 'data-kind': g.kind, 'data-src': g.src_ip, 'data-dest': g.dest_ip },
    OW.el('td', { title: g.kind }, g.kind),
    OW.endpointCell(g.src_ip, 0, g.asset_src),
    OW.endpointCell(g.dest_ip, 0, g.asset_dest),
    OW.el('td', { class: 'num count' }, OW.el('a', { href: listHref, title: 'these alerts' }, OW.num(g.count))),
    OW.el('td', { class: 'time' }, OW.iso(g.first_us)),
    OW.el('td', { class: 'time' }, OW.iso(g.last_us)),
    OW.el('td', {}, OW.severityBadge(g.severity)),
    OW.el('td', { class: 'num' }, OW.num(g.open)),
    buttons);
}

async function loadGroups(p) {
  p.delete('sort');
  const gsort = ['-last', 'last', '-count', 'count', '-first', 'first', 'kind', '-severity'].includes(sort) ? sort : '-last';
  if (gsort !== '-last') p.set('sort', gsort);
  p.set('limit', PAGE);
  const r = await OW.api('/api/alerts/groups?' + p.toString());
  OW.clear(gbody);
  for (const g of r.groups) gbody.append(groupRow(g));
  if (!r.groups.length) gbody.append(OW.el('tr', {}, OW.el('td', { colspan: '9', class: 'empty' }, 'No alerts match these filters.')));
  total = r.total;
  showRange(r.groups.length, 'groups');
  document.getElementById('prev').disabled = offset === 0;
  document.getElementById('next').disabled = offset + r.groups.length >= r.total;
  OW.sortableHeaders(document.getElementById('groups'), gsort, (s) => { sort = s; offset = 0; load(); });
}

async function load() {
  OW.clearFieldErrors(form);
  OW.clear(document.getElementById('error'));
  showView();
  const ok = OW.checkFields(form, { from: OW.checkTime, to: OW.checkTime, ip: OW.checkIp,
    asset: (v) => OW.checkName(v) || (OW.checkIp(v) ? '' : 'an asset name; for an address use the Address field'),
    rule: OW.checkName, community_id: OW.checkName });
  const p = OW.setParams(stateParams());
  const f = filters();
  if (!ok) {
    OW.clear(view === 'list' ? tbody : gbody);
    document.getElementById('range').textContent = '';
    OW.showError('error', new Error('Correct the filter marked above.'));
    return;
  }
  loadChart(f);
  p.delete('view');
  p.delete('offset');
  if (offset) p.set('offset', offset);
  try {
    if (view === 'list') await loadList(p);
    else await loadGroups(p);
  } catch (e) {
    OW.clear(view === 'list' ? tbody : gbody);
    document.getElementById('range').textContent = '';
    badRequest(e);
  }
}

/* --- the live stream ------------------------------------------------------------------- */

function liveBadge(state) {
  const live = document.getElementById('live');
  live.classList.remove('hidden', 'on', 'off', 'stored');
  if (state === 'error' || state === 'connecting') {
    live.textContent = state === 'error' ? 'reconnecting…' : 'connecting…';
    live.classList.add('off');
  } else if (summary && summary.live) {
    live.textContent = '● live capture';
    live.title = 'a capture is running: new alerts are pushed as they are raised';
    live.classList.add('on');
  } else {
    live.textContent = 'stored evidence (no live capture)';
    live.title = 'this server reads a stored evidence store; alerts written to it later still appear';
    live.classList.add('stored');
  }
  live.dataset.state = state !== 'open' ? state : (summary && summary.live ? 'live' : 'stored');
}

function startStream() {
  const es = new EventSource('/api/events');   /* the session cookie goes with it */
  es.addEventListener('open', () => liveBadge('open'));
  es.addEventListener('error', () => liveBadge('error'));
  let refresh = null;
  es.addEventListener('alert', (ev) => {
    let eve;
    try { eve = JSON.parse(ev.data); } catch (e) { return; }
    const a = {
      id: eve.alert.id, ts_us: Date.parse(eve.timestamp.replace(/(\d\d)(\d\d)$/, '$1:$2')) * 1000,
      severity: eve.alert.severity_name, kind: eve.alert.kind, rule: eve.alert.rule || '',
      reason: eve.alert.reason || '', asset_src: (eve.assets || {}).src || '',
      asset_dest: (eve.assets || {}).dest || '', src_ip: eve.src_ip, src_port: eve.src_port,
      dest_ip: eve.dest_ip, dest_port: eve.dest_port, app_proto: eve.app_proto || '',
      community_id: eve.community_id || '', triage: eve.triage || { status: 'open' },
    };
    if (!matches(a, filters())) return;
    if (view === 'list' && offset === 0 && sort === '-time' && !tbody.querySelector(`tr[data-id="${Number(a.id)}"]`)) {
      const empty = tbody.querySelector('td.empty');
      if (empty) OW.clear(tbody);
      tbody.prepend(alertRow(a, true));
      while (tbody.rows.length > PAGE) tbody.deleteRow(-1);
      total += 1;
      showRange(tbody.rows.length, 'alerts');
      document.getElementById('next').disabled = tbody.rows.length >= total;
    } else {
      unread.add(String(a.id));
    }
    showUnread();
    clearTimeout(refresh);
    refresh = setTimeout(() => {
      loadCounters().catch(() => {});
      loadChart(filters());
      if (view === 'groups') load();
    }, 400);
  });
}

form.addEventListener('submit', (ev) => { ev.preventDefault(); offset = 0; load(); });
form.addEventListener('reset', () => { setTimeout(() => { offset = 0; load(); }, 0); });
document.getElementById('prev').addEventListener('click', () => { offset = Math.max(0, offset - PAGE); load(); });
document.getElementById('next').addEventListener('click', () => { offset += PAGE; load(); });
for (const b of document.querySelectorAll('button.preset')) b.addEventListener('click', () => preset(Number(b.dataset.span)));
for (const b of document.querySelectorAll('button.view')) {
  b.addEventListener('click', () => { view = b.dataset.view; offset = 0; sort = view === 'list' ? '-time' : '-last'; load(); });
}
document.getElementById('mark-read').addEventListener('click', () => {
  for (const tr of tbody.querySelectorAll('tr.unread')) markRead(tr);
  unread.clear();
  showUnread();
});

/* The kind choices come from the server's table, before the address's filters are applied. */
async function fillKinds() {
  try {
    const select = form.elements.kind;
    for (const k of (await OW.meta()).anomaly_kinds) {
      select.append(OW.el('option', { value: k.name, title: k.title }, k.name));
    }
  } catch (e) { /* only "any" and a kind the address names are offered */ }
}

fillKinds().then(() => {
  fromUrl();
  return loadCounters().then(() => liveBadge('connecting')).catch((e) => OW.showError('error', e));
}).finally(() => {
  load();
  startStream();
});
