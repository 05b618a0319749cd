/* asset.js — one asset's page: its definition (role, vendor, addresses, when serve has the
 * policy), the addresses it was seen with, its flows by verdict, first and last seen, and
 * its latest alerts with their triage. */
'use strict';

async function main() {
  const name = OW.params().get('name') || '';
  if (!name) { OW.showError('error', new Error('The address names no asset: it needs ?name=NAME.')); return; }
  let d;
  try { d = await OW.api(OW.query('/api/assets', { name })); } catch (e) {
    document.getElementById('title').textContent = e.status === 404 ? 'No such asset' : 'Asset';
    OW.showError('error', e.status === 404 ? new Error(`Nothing in this store names an asset '${name}'.`) : e);
    return;
  }
  const a = d.assets[0];
  document.title = 'omwitness — asset ' + a.name;
  OW.clear(document.getElementById('title')).append('Asset ', OW.el('span', { class: 'kind' }, a.name));
  document.getElementById('content').hidden = false;
  const counter = (label, n, cls) => OW.el('div', { class: 'counter ' + (cls || '') },
    OW.el('span', { class: 'n' }, n), OW.el('span', { class: 'l' }, label));
  OW.clear(document.getElementById('counters')).append(
    counter('alerts', OW.num(a.alerts)), counter('still open', OW.num(a.open_alerts), a.open_alerts ? 'c-critical' : ''),
    counter('critical', OW.num(a.alerts_by_severity.critical), 'c-critical'), counter('high', OW.num(a.alerts_by_severity.high), 'c-high'),
    counter('medium', OW.num(a.alerts_by_severity.medium), 'c-medium'), counter('flows', OW.num(a.flows)),
    counter('last seen', a.last_us ? OW.iso(a.last_us) : 'never'));
  const def = OW.clear(document.getElementById('definition'));
  const seen = OW.el('span', {});
  (a.addresses_seen || []).forEach((ip, i) => { if (i) seen.append(', '); seen.append(OW.ipLink(ip)); });
  for (const [k, v] of [['role', a.role], ['vendor', a.vendor], ['addresses (policy)', a.addresses],
    ['addresses seen', (a.addresses_seen || []).length ? seen : ''], ['first seen', OW.iso(a.first_us)],
    ['last seen', OW.iso(a.last_us)], ['in the policy', a.in_policy ? 'yes' : (d.policy_loaded ? 'no' : 'unknown (serve has no --policy)')]]) {
    if (v === '' || v === undefined || v === null) continue;
    def.append(OW.el('tr', {}, OW.el('th', {}, k), OW.el('td', { class: 'mono' }, v)));
  }
  const vb = OW.clear(document.querySelector('#verdicts tbody'));
  for (const [k, n] of Object.entries(a.flows_by_verdict)) {
    vb.append(OW.el('tr', {}, OW.el('td', {}, OW.el('span', { class: 'verdict v-' + k }, k)),
      OW.el('td', { class: 'num' }, n ? OW.el('a', { href: OW.query('/flows.html', { asset: a.name, verdict: k }) }, OW.num(n)) : '0')));
  }
  document.getElementById('all-alerts').setAttribute('href', OW.query('/index.html', { asset: a.name }));
  const tb = OW.clear(document.querySelector('#asset-alerts tbody'));
  try {
    const r = await OW.api(OW.query('/api/alerts', { asset: a.name, limit: '50' }));
    for (const x of r.alerts) {
      tb.append(OW.el('tr', { class: 'sev-row-' + x.severity, 'data-id': String(x.id) },
        OW.el('td', {}, OW.el('a', { href: '/alert.html?id=' + encodeURIComponent(x.id) }, String(x.id))),
        OW.el('td', { class: 'time' }, OW.iso(x.ts_us)), OW.el('td', {}, OW.severityBadge(x.severity)),
        OW.el('td', { title: x.kind }, x.kind),
        OW.endpointCell(x.src_ip, x.src_port, x.asset_src), OW.endpointCell(x.dest_ip, x.dest_port, x.asset_dest),
        OW.el('td', {}, OW.triageBadge(x.triage.status)), OW.el('td', { class: 'reason', title: x.reason }, x.reason)));
    }
    if (!r.alerts.length) tb.append(OW.el('tr', {}, OW.el('td', { colspan: '8', class: 'empty' }, 'No alert names this asset.')));
  } catch (e) { OW.showError('error', e); }
}

main();
