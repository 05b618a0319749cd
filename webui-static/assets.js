/* assets.js — every asset the store's flows and alerts name (and, when serve has the policy,
 * every asset of the policy): its flows by verdict, its alerts by severity and how many are
 * still open, and when it was last seen. Each name opens the asset's page. */
'use strict';

let sort = OW.params().get('sort') || '-alerts';

function verdicts(v) {
  const parts = [];
  for (const k of ['authorized', 'anomaly', 'out_of_scope', 'unevaluated']) {
    if (v[k]) parts.push(OW.el('span', { class: 'verdict v-' + k }, `${OW.num(v[k])} ${k}`), ' ');
  }
  return parts.length ? parts : ['—'];
}

function severities(s) {
  const parts = [];
  for (const k of ['critical', 'high', 'medium']) if (s[k]) parts.push(OW.severityBadge(k), ` ${OW.num(s[k])} `);
  return parts.length ? parts : ['—'];
}

function sorted(list) {
  const key = sort.replace(/^-/, '');
  const dir = sort.startsWith('-') ? -1 : 1;
  const val = (a) => (key === 'name' ? a.name : key === 'last' ? (a.last_us || 0) : key === 'open' ? a.open_alerts : a[key] || 0);
  return [...list].sort((a, b) => {
    const x = val(a); const y = val(b);
    if (x < y) return -dir;
    if (x > y) return dir;
    return a.name < b.name ? -1 : 1;
  });
}

async function load() {
  OW.setParams({ sort: sort !== '-alerts' ? sort : '' });
  let d;
  try { d = await OW.api('/api/assets'); } catch (e) { OW.showError('error', e); return; }
  document.getElementById('policy-note').textContent = d.policy_loaded
    ? 'Every asset of the policy given to serve --policy, and its history in the store.'
    : 'Assets named by the store\'s flows and alerts (start serve with --policy FILE to list every asset with its role and addresses).';
  const tbody = OW.clear(document.querySelector('#assets tbody'));
  for (const a of sorted(d.assets)) {
    tbody.append(OW.el('tr', { 'data-name': a.name },
      OW.el('td', {}, OW.assetLink(a.name)), OW.el('td', {}, a.role || ''), OW.el('td', {}, a.vendor || ''),
      OW.el('td', { class: 'num' }, OW.el('a', { href: OW.query('/flows.html', { asset: a.name }) }, OW.num(a.flows))),
      OW.el('td', {}, ...verdicts(a.flows_by_verdict)),
      OW.el('td', { class: 'num alerts' }, a.alerts ? OW.el('a', { href: OW.query('/index.html', { asset: a.name }) }, OW.num(a.alerts)) : '0'),
      OW.el('td', {}, ...severities(a.alerts_by_severity)),
      OW.el('td', { class: 'num' }, OW.num(a.open_alerts)),
      OW.el('td', { class: 'time' }, a.last_us ? OW.iso(a.last_us) : 'never seen')));
  }
  if (!d.assets.length) tbody.append(OW.el('tr', {}, OW.el('td', { colspan: '9', class: 'empty' }, 'No flow or alert names an asset (was the replay made with a policy?).')));
  OW.sortableHeaders(document.getElementById('assets'), sort, (s) => { sort = s; load(); });
}

load();
