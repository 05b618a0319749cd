/* alert.js — one alert: why it fired in plain words, its flow, nDPI risks, LI fields,
 * Community ID to pivot to other tools, and the evidence pcap. */
'use strict';

const EXPLAIN = {
  li_unauthorized: 'Lawful-interception traffic (or traffic to an LI system) that no LI rule of the policy allows. ' +
    'Only the listed administration, mediation and LEMF systems may exchange LI interfaces.',
  maintenance_outside_window: 'A maintenance session the policy knows, but outside its approved window.',
  maintenance_overrun: 'An approved maintenance session that was still running after its window ended.',
  vendor_unauthorized: 'A vendor-access host took part in a flow that no maintenance rule allows.',
  protocol_mismatch: 'A rule allows this port, but for another application than the one seen.',
  egress_external: 'A management host opened a connection to an address outside the management networks.',
  unlisted_flow: 'A flow in the management network that no rule of the policy lists.',
};

function kv(table, rows) {
  OW.clear(table);
  for (const [k, v] of rows) {
    if (v === undefined || v === null || v === '') continue;
    table.append(OW.el('tr', {}, OW.el('th', {}, k), OW.el('td', { class: 'mono' }, OW.maybeMasked(v))));
  }
  return table.rows.length;
}

async function main() {
  const id = OW.params().get('id') || '';
  if (!/^[1-9][0-9]{0,17}$/.test(id)) { OW.showError('error', new Error('no alert id in the address')); return; }
  let d;
  try { d = await OW.api('/api/alerts/' + id); } catch (e) { OW.showError('error', e); return; }
  const eve = d.alert;
  const a = eve.alert;
  document.title = 'omwitness — alert ' + a.id;
  OW.clear(document.getElementById('title')).append('Alert ' + a.id + ' ', OW.severityBadge(a.severity), ' ', OW.el('span', { class: 'kind' }, a.kind));

  const why = OW.clear(document.getElementById('why'));
  why.append(OW.el('h2', {}, 'Why it fired'),
    OW.el('p', { class: 'plain' }, EXPLAIN[a.kind] || 'The policy does not allow this flow.'),
    OW.el('p', { class: 'reason' }, a.reason || ''),
    a.rule ? OW.el('p', {}, 'Nearest rule: ', OW.el('a', { href: '/rules.html?rule=' + encodeURIComponent(a.rule) }, a.rule)) : null);

  const f = eve.flow || {};
  const assets = eve.assets || {};
  const flow = d.flow || eve;
  kv(document.getElementById('flow'), [
    ['start', OW.isoTime(f.start)], ['end', OW.isoTime(f.end)],
    ['client', OW.endpoint(eve.src_ip, eve.src_port) + (assets.src ? '  (' + assets.src + ')' : '')],
    ['server', OW.endpoint(eve.dest_ip, eve.dest_port) + (assets.dest ? '  (' + assets.dest + ')' : '')],
    ['protocol', eve.proto], ['application', eve.app_proto],
    ['nDPI', eve.ndpi ? [eve.ndpi.protocol, eve.ndpi.category, eve.ndpi.confidence].filter(Boolean).join(' · ') : ''],
    ['to server', OW.num(f.pkts_toserver) + ' packets, ' + OW.bytes(f.bytes_toserver)],
    ['to client', OW.num(f.pkts_toclient) + ' packets, ' + OW.bytes(f.bytes_toclient)],
    ['flow id', String(eve.flow_id)], ['run', String(d.run_id)],
    ['verdict', flow.verdict ? [flow.verdict.status, flow.verdict.kind].filter(Boolean).join(' · ') : ''],
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
      OW.el('a', { href: '/flows.html?community_id=' + encodeURIComponent(eve.community_id) }, 'flows with this ID'));
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
  document.getElementById('meta-box').hidden = !kv(document.getElementById('meta'), [
    ['TLS SNI', tls.sni], ['TLS version', tls.version], ['JA3', tls.ja3], ['JA3S', tls.ja3s],
    ['SSH client', ssh.client], ['SSH server', ssh.server], ['HASSH', ssh.hassh], ['HASSH server', ssh.hassh_server],
    ['HTTP host', http.host], ['User-Agent', http.user_agent], ['DNS query', dns.query],
  ]);
  const others = OW.clear(document.getElementById('others'));
  for (const o of d.other_alerts) {
    others.append(OW.el('li', {}, OW.el('a', { href: '/alert.html?id=' + encodeURIComponent(o.id) }, 'alert ' + o.id), ' ', OW.severityBadge(o.severity), ' ', o.kind));
  }
  document.getElementById('others-box').hidden = !d.other_alerts.length;
  document.getElementById('raw').textContent = JSON.stringify(eve, null, 2);
}

main();
