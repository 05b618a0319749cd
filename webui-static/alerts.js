/* alerts.js — the live alerts page: counters, the chart, a filtered and paged table kept in
 * the URL, and new alerts pushed by /api/events without a reload. */
'use strict';

const PAGE = 50;
const form = document.getElementById('filters');
const tbody = document.querySelector('#alerts tbody');
let offset = 0;
let total = 0;   /* alerts matching the filters, as last counted */

function filtersFromUrl() {
  const p = OW.params();
  const sev = (p.get('severity') || '').split(',');
  for (const box of form.querySelectorAll('input[name=severity]')) box.checked = sev.includes(box.value);
  form.kind.value = p.get('kind') || '';
  form.asset.value = p.get('asset') || '';
  form.rule.value = p.get('rule') || '';
  form.from.value = OW.fromRfc3339(p.get('from') || '');
  form.to.value = OW.fromRfc3339(p.get('to') || '');
  offset = Math.max(0, parseInt(p.get('offset') || '0', 10) || 0);
}

function currentFilters() {
  const sev = [...form.querySelectorAll('input[name=severity]:checked')].map((b) => b.value);
  return {
    severity: sev.join(','), kind: form.kind.value, asset: form.asset.value.trim(),
    rule: form.rule.value.trim(), from: OW.toRfc3339(form.from.value), to: OW.toRfc3339(form.to.value),
  };
}

/* Does a pushed alert pass the filters on screen? */
function matches(a, f) {
  if (f.severity && !f.severity.split(',').includes(a.severity)) return false;
  if (f.kind && a.kind !== f.kind) return false;
  if (f.asset && a.asset_src !== f.asset && a.asset_dest !== f.asset) return false;
  if (f.rule && a.rule !== f.rule) return false;
  if (f.from && a.ts_us < Date.parse(f.from) * 1000) return false;
  if (f.to && a.ts_us >= Date.parse(f.to) * 1000) return false;
  return true;
}

function alertRow(a, fresh) {
  const link = OW.el('a', { href: '/alert.html?id=' + encodeURIComponent(a.id) }, String(a.id));
  return OW.el('tr', { class: 'sev-row-' + a.severity + (fresh ? ' fresh' : ''), 'data-id': String(a.id) },
    OW.el('td', {}, link),
    OW.el('td', { class: 'nowrap' }, OW.time(a.ts_us)),
    OW.el('td', {}, OW.severityBadge(a.severity)),
    OW.el('td', {}, a.kind),
    OW.el('td', { class: 'mono ep' }, OW.endpoint(a.src_ip, a.src_port), a.asset_src ? OW.el('span', { class: 'asset' }, a.asset_src) : null),
    OW.el('td', { class: 'mono ep' }, OW.endpoint(a.dest_ip, a.dest_port), a.asset_dest ? OW.el('span', { class: 'asset' }, a.asset_dest) : null),
    OW.el('td', {}, a.app_proto || ''),
    OW.el('td', { class: 'nowrap' }, a.rule || ''),
    OW.el('td', { class: 'reason' }, a.reason));
}

function showRange(shown) {
  document.getElementById('range').textContent =
    total ? `${offset + 1}–${offset + shown} of ${OW.num(total)}` : '0 alerts';
}

async function loadCounters() {
  const s = await OW.api('/api/summary');
  const box = OW.clear(document.getElementById('counters'));
  const counter = (label, n, cls) => OW.el('div', { class: 'counter ' + (cls || '') },
    OW.el('span', { class: 'n' }, OW.num(n || 0)), OW.el('span', { class: 'l' }, label));
  box.append(counter('alerts', s.alerts), counter('critical', s.alerts_by_severity.critical, 'c-critical'),
    counter('high', s.alerts_by_severity.high, 'c-high'), counter('medium', s.alerts_by_severity.medium, 'c-medium'),
    counter('flows', s.flows), counter('authorized flows', s.flows_by_verdict.authorized),
    counter('runs', s.runs));
  return s;
}

async function loadChart() {
  const tl = await OW.api('/api/timeline?buckets=48');
  OW.timelineChart(document.getElementById('chart'), tl);
}

async function loadAlerts() {
  const f = currentFilters();
  const p = OW.setParams({ ...f, offset: offset || '' });
  p.set('limit', PAGE);
  p.delete('offset');
  if (offset) p.set('offset', offset);
  try {
    const r = await OW.api('/api/alerts?' + p.toString());
    OW.clear(tbody);
    for (const a of r.alerts) tbody.append(alertRow(a, false));
    if (!r.alerts.length) tbody.append(OW.el('tr', {}, OW.el('td', { colspan: '9', class: 'empty' }, 'No alerts match.')));
    total = r.total;
    showRange(r.alerts.length);
    document.getElementById('prev').disabled = offset === 0;
    document.getElementById('next').disabled = offset + r.alerts.length >= r.total;
    OW.clear(document.getElementById('error'));
  } catch (e) {
    OW.showError('error', e);
  }
}

function startStream() {
  const live = document.getElementById('live');
  const es = new EventSource('/api/events');   /* the session cookie goes with it */
  es.addEventListener('open', () => { live.textContent = 'live'; live.className = 'live on'; });
  es.addEventListener('error', () => { live.textContent = 'reconnecting…'; live.className = 'live off'; });
  let refresh = null;
  es.addEventListener('alert', (ev) => {
    let eve;
    try { eve = JSON.parse(ev.data); } catch (e) { return; }
    const a = {
      id: eve.alert.id, ts_us: Date.parse(eve.timestamp.replace(/(\d\d)(\d\d)$/, '$1:$2')) * 1000,
      severity: eve.alert.severity, kind: eve.alert.kind, rule: eve.alert.rule || '',
      reason: eve.alert.reason || '', asset_src: (eve.assets || {}).src || '',
      asset_dest: (eve.assets || {}).dest || '', src_ip: eve.src_ip, src_port: eve.src_port,
      dest_ip: eve.dest_ip, dest_port: eve.dest_port, app_proto: eve.app_proto || '',
    };
    if (offset === 0 && matches(a, currentFilters()) && !tbody.querySelector(`tr[data-id="${Number(a.id)}"]`)) {
      const empty = tbody.querySelector('td.empty');
      if (empty) OW.clear(tbody);
      tbody.prepend(alertRow(a, true));
      while (tbody.rows.length > PAGE) tbody.deleteRow(-1);
      total += 1;
      showRange(tbody.rows.length);
      document.getElementById('next').disabled = tbody.rows.length >= total;
    }
    clearTimeout(refresh);
    refresh = setTimeout(() => { loadCounters().catch(() => {}); loadChart().catch(() => {}); }, 300);
  });
}

form.addEventListener('submit', (ev) => { ev.preventDefault(); offset = 0; loadAlerts(); });
form.addEventListener('reset', () => { setTimeout(() => { offset = 0; loadAlerts(); }, 0); });
document.getElementById('prev').addEventListener('click', () => { offset = Math.max(0, offset - PAGE); loadAlerts(); });
document.getElementById('next').addEventListener('click', () => { offset += PAGE; loadAlerts(); });

filtersFromUrl();
loadCounters().catch((e) => OW.showError('error', e));
loadChart().catch(() => {});
loadAlerts();
startStream();
