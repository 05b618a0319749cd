/* alert.js — one alert: why it fired in plain words and the rule it was held against, its
 * triage (status buttons, a note, the history), its flow with every address, asset and
 * Community ID a pivot, nDPI risks, LI fields, application metadata and the evidence pcap. */
'use strict';

function kv(table, rows) {
  OW.clear(table);
  for (const [k, v] of rows) {
    if (v === undefined || v === null || v === '') continue;
    table.append(OW.el('tr', {}, OW.el('th', {}, k), OW.el('td', { class: 'mono' }, OW.maybeMasked(v))));
  }
  return table.rows.length;
}

/* The rule named by the alert: its definition (from the policy serve was given) or why it
 * cannot be shown; an alert that no rule came near says so in words. */
function showRule(rule) {
  const box = OW.clear(document.getElementById('rule-box'));
  if (!rule) {
    box.append(OW.el('p', { class: 'muted', id: 'no-rule' },
      'No rule of the policy comes near this flow: nothing allows this client to reach this server.'));
    return;
  }
  const t = OW.el('table', { class: 'kv', id: 'rule' });
  kv(t, [['rule', OW.el('span', {}, OW.ruleLink(rule.id), ' ',
          OW.el('a', { href: OW.query('/rules.html', { rule: rule.id }), class: 'hint' }, 'on the rules page'))],
    ['kind', rule.kind], ['interface', rule.interface], ['ticket', rule.ticket], ['vendor', rule.vendor],
    ['from', rule.from], ['to', rule.to], ['service', rule.service], ['app', rule.app],
    ['window', rule.window]]);
  box.append(t);
  if (rule.unavailable) box.append(OW.el('p', { class: 'hint' }, rule.unavailable));
}

function showTriage(d) {
  const cur = d.triage || { status: 'open' };
  const state = OW.clear(document.getElementById('triage-state'));
  state.append(OW.el('span', {}, 'Status: '), OW.triageBadge(cur.status));
  if (cur.by) state.append(OW.el('span', { class: 'muted' }, `set by ${cur.by} at ${OW.isoTime(cur.at)}`));
  if (cur.note) state.append(OW.el('span', { id: 'triage-note' }, '“' + cur.note + '”'));
  const list = OW.clear(document.getElementById('triage-history'));
  for (const h of d.triage_history || []) {
    list.append(OW.el('li', {}, OW.el('span', { class: 'time mono' }, OW.isoTime(h.at)), ' ', OW.triageBadge(h.status),
      ' by ', h.by || 'unknown', h.note ? ': ' + h.note : ''));
  }
  list.hidden = !list.children.length;
  document.getElementById('triage-none').hidden = list.children.length > 0;
  for (const b of document.querySelectorAll('button.triage-set')) b.disabled = b.dataset.status === cur.status;
}

async function setTriage(id, status) {
  const f = document.getElementById('triage-form');
  OW.clearFieldErrors(f);
  OW.clear(document.getElementById('triage-error'));
  const note = f.elements.note.value.trim();
  const by = f.elements.by.value.trim();
  if (by) localStorage.setItem('ow_analyst', by);
  try {
    const r = await OW.post('/api/alerts/' + id + '/triage', by ? { status, note, by } : { status, note });
    f.elements.note.value = '';
    showTriage({ triage: r.triage, triage_history: r.history });
  } catch (e) {
    if (!(e.status === 400 && /note/.test(e.message) && OW.fieldError(f, 'note', e.message))) {
      OW.showError('triage-error', e);
    }
  }
}

async function main() {
  const id = OW.params().get('id') || '';
  if (!/^[1-9][0-9]{0,17}$/.test(id)) {
    document.getElementById('title').textContent = 'No such alert';
    OW.showError('error', new Error('The address names no alert: it needs ?id=N.'));
    return;
  }
  let d;
  try { d = await OW.api('/api/alerts/' + id); } catch (e) {
    document.getElementById('title').textContent = e.status === 404 ? 'No such alert' : 'Alert ' + id;
    OW.showError('error', e.status === 404 ? new Error(`There is no alert ${id} in this store.`) : e);
    return;
  }
  document.getElementById('content').hidden = false;
  const eve = d.alert;
  const a = eve.alert;
  document.title = 'omwitness — alert ' + a.id;
  OW.clear(document.getElementById('title')).append('Alert ' + a.id + ' ', OW.severityBadge(a.severity_name), ' ',
    OW.el('span', { class: 'kind' }, a.kind), ' ', OW.el('span', { class: 'signature' }, a.signature || ''));

  let explain = 'The policy does not allow this flow.';
  try {
    const k = (await OW.meta()).anomaly_kinds.find((x) => x.name === a.kind);
    if (k) explain = k.description;
  } catch (e) { /* the generic sentence stands */ }
  const why = OW.clear(document.getElementById('why'));
  why.append(OW.el('h2', {}, 'Why it fired'),
    OW.el('p', { class: 'plain' }, explain),
    OW.el('p', { class: 'reason' }, a.reason || 'no reason was stored'),
    a.rule ? OW.el('p', {}, 'Nearest rule: ', OW.ruleLink(a.rule)) : null);
  showRule(d.rule);
  showTriage(d);
  const f = document.getElementById('triage-form');
  f.elements.by.value = localStorage.getItem('ow_analyst') || '';
  f.addEventListener('submit', (ev) => ev.preventDefault());
  for (const b of document.querySelectorAll('button.triage-set')) b.addEventListener('click', () => setTriage(id, b.dataset.status));

  const fl = eve.flow || {};
  const assets = eve.assets || {};
  const flow = d.flow || eve;
  const side = (ip, port, asset) => OW.el('span', {}, OW.ipLink(ip, port), asset ? '  ' : '', asset ? OW.assetLink(asset) : '');
  kv(document.getElementById('flow'), [
    ['start', OW.isoTime(fl.start)], ['end', OW.isoTime(fl.end)],
    ['client', side(eve.src_ip, eve.src_port, assets.src)],
    ['server', side(eve.dest_ip, eve.dest_port, assets.dest)],
    ['protocol', eve.proto], ['application', eve.app_proto],
    ['nDPI', eve.ndpi ? [eve.ndpi.protocol, eve.ndpi.category, eve.ndpi.confidence].filter(Boolean).join(' · ') : ''],
    ['to server', OW.num(fl.pkts_toserver) + ' packets, ' + OW.bytes(fl.bytes_toserver)],
    ['to client', OW.num(fl.pkts_toclient) + ' packets, ' + OW.bytes(fl.bytes_toclient)],
    ['flow id', String(eve.flow_id)], ['run', String(d.run_id)], ['sensor', eve.host], ['site', eve.site],
    ['verdict', flow.verdict ? [flow.verdict.status, flow.verdict.kind].filter(Boolean).join(' · ') : ''],
    ['signature', a.signature_id ? `${a.signature_id} ${a.signature}` : ''],
  ]);

  const ev = OW.clear(document.getElementById('evidence'));
  if (d.evidence.available && d.evidence.url) {
    const href = d.evidence.url;
    ev.append(OW.el('a', { href, class: 'button', id: 'evidence-link', download: 'omwitness-alert-' + a.id + '.pcap' }, 'Download the packets (pcap)'));
    ev.append(OW.el('p', { class: 'hint' }, 'Also: omwitness evidence --alert ' + a.id + ' -o alert-' + a.id + '.pcap'));
  } else {
    ev.append(OW.el('p', { class: 'muted' }, d.evidence.why || 'no packets were kept'));
  }

  const cid = OW.clear(document.getElementById('cid'));
  if (eve.community_id) {
    cid.append(OW.el('code', { id: 'community-id' }, eve.community_id), ' ', OW.copyButton(eve.community_id), ' ',
      OW.cidLink(eve.community_id, 'flows with this ID'), ' · ',
      OW.el('a', { class: 'pivot', href: OW.query('/index.html', { community_id: eve.community_id }) }, 'alerts with this ID'));
  } else {
    cid.append(OW.el('p', { class: 'muted' }, 'none'));
  }

  const risks = OW.clear(document.getElementById('risks'));
  for (const r of (eve.ndpi && eve.ndpi.risks) || []) risks.append(OW.el('li', {}, r));
  if (!risks.children.length) risks.append(OW.el('li', { class: 'muted' }, 'none'));

  const li = eve.li || {};
  document.getElementById('li-box').hidden = !kv(document.getElementById('li'), [
    ['interface', li.interface], ['LIID', li.liid], ['XID', li.xid], ['target', li.target],
    ['PDUs', li.pdu_count !== undefined ? String(li.pdu_count) : ''],
  ]);
  const tls = eve.tls || {}; const ssh = eve.ssh || {}; const http = eve.http || {}; const dns = eve.dns || {};
  const sc = ssh.client || {}; const ss = ssh.server || {};
  const banner = (s) => [s.proto_version ? 'SSH-' + s.proto_version : '', s.software_version].filter(Boolean).join('-');
  const query = ((dns.queries || [])[0] || {}).rrname;
  document.getElementById('meta-box').hidden = !kv(document.getElementById('meta'), [
    ['TLS SNI', tls.sni], ['TLS version', tls.version], ['JA3', (tls.ja3 || {}).hash], ['JA3S', (tls.ja3s || {}).hash],
    ['SSH client', banner(sc)], ['SSH server', banner(ss)], ['HASSH', (sc.hassh || {}).hash], ['HASSH server', (ss.hassh || {}).hash],
    ['HTTP host', http.hostname], ['User-Agent', http.http_user_agent], ['DNS query', query],
  ]);
  const others = OW.clear(document.getElementById('others'));
  for (const o of d.other_alerts) {
    others.append(OW.el('li', {}, OW.el('a', { href: '/alert.html?id=' + encodeURIComponent(o.id) }, 'alert ' + o.id), ' ', OW.severityBadge(o.severity), ' ', o.kind));
  }
  document.getElementById('others-box').hidden = !d.other_alerts.length;
  document.getElementById('raw').textContent = JSON.stringify(eve, null, 2);
}

main();
