/* report.js — the evidence report over a period (GET /api/report): the conclusion, what was
 * watched and how completely, authorized sessions, anomalies and the chain head; and a link
 * to the printable HTML the CLI also writes. */
'use strict';

const form = document.getElementById('filters');
const CONCLUSION = {
  no_unauthorized_access_observed: ['ok', 'No unauthorized access observed'],
  anomalies_found: ['bad', 'Anomalies found'],
  coverage_incomplete: ['warn', 'Coverage incomplete'],
};

function table(headers, rows, id) {
  const t = OW.el('table', { class: 'grid auto words', id }, OW.el('thead', {}, OW.el('tr', {}, ...headers.map((h) => OW.el('th', {}, h)))));
  const tb = OW.el('tbody');
  for (const r of rows) tb.append(OW.el('tr', {}, ...r.map((c) => OW.el('td', {}, c))));
  if (!rows.length) tb.append(OW.el('tr', {}, OW.el('td', { colspan: String(headers.length), class: 'empty' }, 'none')));
  t.append(tb);
  return t;
}

const ep = (e) => (e ? OW.endpoint(e.ip, e.port) : '');

function render(r, query) {
  const box = OW.clear(document.getElementById('report'));
  const [cls, label] = CONCLUSION[r.conclusion] || ['warn', r.conclusion];
  box.append(OW.el('div', { class: 'conclusion ' + cls, id: 'conclusion' },
    OW.el('strong', {}, label), OW.el('code', {}, r.conclusion),
    OW.el('ul', {}, ...(r.conclusion_reasons || []).map((x) => OW.el('li', {}, x)))));
  const html = '/api/report?' + new URLSearchParams({ ...query, format: 'html' }).toString();
  const link = OW.el('a', { href: html, class: 'button', id: 'printable' }, 'Printable report (HTML)');
  box.append(OW.el('p', {}, link, ' ', OW.el('span', { class: 'hint' }, 'or: omwitness report --format html -o report.html')));
  const per = r.period || {};
  box.append(OW.el('p', { class: 'hint' }, `Period: ${per.from || 'start of the evidence'} to ${per.to || 'end of the evidence'} (packet time). Generated ${r.generated || ''}.`));

  const c = r.coverage || {};
  box.append(OW.el('h2', {}, 'Coverage'), OW.el('div', { class: 'counters' },
    ...[['runs', c.runs], ['packets', c.packets], ['kernel drops', c.kernel_drops], ['internal drops', c.internal_drops],
      ['gaps', c.gaps], ['runs without clean end', c.runs_without_clean_end], ['unwatched stretches', (c.unwatched || []).length]]
      .map(([l, n]) => OW.el('div', { class: 'counter' + (n && l !== 'runs' && l !== 'packets' ? ' c-high' : '') },
        OW.el('span', { class: 'n' }, OW.num(n || 0)), OW.el('span', { class: 'l' }, l)))));

  box.append(OW.el('h2', {}, 'What was watched'), table(['Run', 'Kind', 'Sensor', 'Source', 'SHA-256', 'Packets', 'First – last packet', 'Chain head'],
    (r.runs || []).map((x) => [String(x.id), x.kind, x.sensor || '', OW.el('span', { class: 'mono path' }, x.source), OW.el('code', { class: 'hash' }, x.source_sha256 || ''), OW.num(x.packets),
      OW.el('span', {}, OW.el('span', { class: 'nowrap' }, OW.shortIso(x.first_packet)), ' – ', OW.el('span', { class: 'nowrap' }, OW.shortIso(x.last_packet))), OW.el('code', { class: 'hash' }, x.chain_head || '')])));

  const f = r.flows || {};
  box.append(OW.el('h2', {}, 'Flows by verdict'), table(['Verdict', 'Flows'],
    Object.entries(f.by_verdict || {}).map(([k, v]) => [k, OW.num(v)])));

  const s = r.authorized_sessions || {};
  box.append(OW.el('h2', {}, `Authorized LI and maintenance sessions (${OW.num(s.total || 0)})`),
    table(['Start', 'Client', 'Server', 'App', 'Rule', 'Kind', 'Ticket'],
      (s.sessions || []).map((x) => [OW.el('span', { class: 'nowrap mono' }, OW.shortIso(x.start)),
        OW.el('span', {}, OW.ipLink(x.client.ip, x.client.port), ' ', OW.assetLink(x.asset_src)),
        OW.el('span', {}, OW.ipLink(x.server.ip, x.server.port), ' ', OW.assetLink(x.asset_dest)),
        x.app_proto, OW.ruleLink(x.rule), x.rule_kind, x.ticket || ''])));

  const an = r.anomalies || {};
  box.append(OW.el('h2', {}, `Anomalies (${OW.num(an.total || 0)})`),
    table(['Alert', 'Time', 'Severity', 'Kind', 'Reason', 'Disposition'],
      (an.alerts || []).map((x) => {
        const t = x.triage || { status: 'open' };
        return [OW.el('a', { href: '/alert.html?id=' + encodeURIComponent(x.alert_id) }, String(x.alert_id)),
          OW.el('span', { class: 'nowrap mono' }, OW.shortIso(x.time)), OW.severityBadge(x.severity), x.kind, x.reason,
          OW.el('span', { class: 'disposition' }, OW.triageBadge(t.status), t.note ? ' ' + t.note : '',
            t.by ? OW.el('span', { class: 'sub' }, `${t.by}, ${OW.isoTime(t.at)}`) : null)];
      }), 'anomalies'));

  const i = r.integrity || {};
  box.append(OW.el('h2', {}, 'Integrity'), OW.el('p', {},
    i.verified ? 'The hash chain verifies: ' : 'The hash chain does NOT verify: ',
    OW.el('code', { class: 'hash' }, i.chain_head || ''), i.problem ? ' — ' + i.problem : ''));
}

async function load() {
  OW.clearFieldErrors(form);
  OW.clear(document.getElementById('error'));
  const query = {};
  if (form.from.value.trim()) query.from = OW.normaliseTime(form.from.value.trim());
  if (form.to.value.trim()) query.to = OW.normaliseTime(form.to.value.trim());
  OW.setParams(query);
  if (!OW.checkFields(form, { from: OW.checkTime, to: OW.checkTime })) {
    OW.clear(document.getElementById('report'));
    return;
  }
  try {
    const r = await OW.api('/api/report?' + new URLSearchParams(query).toString());
    render(r, query);
  } catch (e) {
    OW.clear(document.getElementById('report'));
    if (!(e.status === 400 && OW.fieldError(form, e.param, e.message))) OW.showError('error', e);
  }
}

form.from.value = OW.params().get('from') || '';
form.to.value = OW.params().get('to') || '';
form.addEventListener('submit', (ev) => { ev.preventDefault(); load(); });
load();
