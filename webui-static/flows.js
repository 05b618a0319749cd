/* flows.js — flow search (address, port, protocol, app, asset, verdict, Community ID, time),
 * paged, with the filters kept in the URL and errors shown beside their field; addresses,
 * assets and Community IDs pivot, and a flow that raised an alert links to it. */
'use strict';

const PAGE = 100;
const form = document.getElementById('filters');
const tbody = document.querySelector('#flows tbody');
const FIELDS = ['ip', 'port', 'proto', 'app', 'asset', 'verdict', 'community_id', 'from', 'to', 'state'];
let offset = 0;

function fromUrl() {
  const p = OW.params();
  for (const k of FIELDS) {
    const v = p.get(k) || '';
    const input = form.elements[k];
    if (input.tagName === 'SELECT' && v && ![...input.options].some((o) => o.value === v)) input.append(OW.el('option', { value: v }, v));
    input.value = v;
  }
  offset = Math.max(0, parseInt(p.get('offset') || '0', 10) || 0);
}

function filters() {
  const f = {};
  for (const k of FIELDS) f[k] = form.elements[k].value.trim();
  if (f.from) f.from = OW.normaliseTime(f.from);
  if (f.to) f.to = OW.normaliseTime(f.to);
  return f;
}

async function showDetail(row) {
  const box = document.getElementById('detail');
  try {
    const d = await OW.api('/api/flows/' + encodeURIComponent(row));
    document.getElementById('detail-id').textContent = String(row);
    document.getElementById('detail-json').textContent = JSON.stringify(d.flow, null, 2);
    box.hidden = false;
    box.scrollIntoView({ behavior: 'smooth' });
  } catch (e) { OW.showError('error', e); }
}

function flowRow(f) {
  const verdict = OW.el('span', { class: 'verdict v-' + (f.verdict_status || '') }, f.verdict_status);
  const more = OW.el('button', { type: 'button', class: 'small plain' }, 'JSON');
  more.addEventListener('click', () => showDetail(f.id));
  // Open flows (a live capture's, from its workers' memory) have no stored row yet.
  const live = f.id === undefined;
  const state = f.state ? f.state + (f.end_reason ? ' (' + f.end_reason + ')' : '') : '';
  const extra = f.tls_sni || f.ssh_client || f.li_interface || '';
  const rule = f.verdict_rule ? OW.ruleLink(f.verdict_rule) : (f.verdict_kind || '');
  return OW.el('tr', { 'data-row': String(f.id) },
    OW.el('td', { class: 'time' }, OW.iso(f.first_ts)),
    OW.endpointCell(f.client_ip, f.client_port, f.verdict_asset_src, '/flows.html'),
    OW.endpointCell(f.server_ip, f.server_port, f.verdict_asset_dest, '/flows.html'),
    OW.el('td', {}, String(f.proto)),
    OW.el('td', { title: f.app_proto || f.ndpi_protocol || '' }, f.app_proto || f.ndpi_protocol || '', extra ? OW.el('span', { class: 'sub' }, extra) : null),
    OW.el('td', { class: 'num' }, OW.num(f.pkts_toserver + f.pkts_toclient)),
    OW.el('td', { class: 'num' }, OW.bytes(f.bytes_toserver + f.bytes_toclient)),
    OW.el('td', {}, verdict),
    OW.el('td', { class: 'nowrap', title: f.verdict_rule || f.verdict_kind || '' }, rule),
    OW.el('td', {}, f.alert_id ? OW.el('a', { href: '/alert.html?id=' + encodeURIComponent(f.alert_id), class: 'alert-link' }, 'alert ' + f.alert_id) : null,
      f.alert_id ? ' ' : null, live ? null : more),
    OW.el('td', { class: 'nowrap' }, state));
}

async function load() {
  OW.clearFieldErrors(form);
  OW.clear(document.getElementById('error'));
  const ok = OW.checkFields(form, { from: OW.checkTime, to: OW.checkTime, ip: OW.checkIp,
    port: (v) => (/^\d{1,5}$/.test(v) && Number(v) <= 65535 ? '' : 'a port from 0 to 65535'),
    asset: (v) => OW.checkName(v) || (OW.checkIp(v) ? '' : 'an asset name; for an address use the Address field'),
    app: OW.checkName, community_id: OW.checkName });
  const p = OW.setParams({ ...filters(), offset: offset || '' });
  if (!ok) {
    OW.clear(tbody);
    document.getElementById('range').textContent = '';
    OW.showError('error', new Error('Correct the filter marked above.'));
    return;
  }
  p.set('limit', PAGE);
  try {
    const r = await OW.api('/api/flows?' + p.toString());
    OW.clear(tbody);
    for (const f of r.flows) tbody.append(flowRow(f));
    if (!r.flows.length) tbody.append(OW.el('tr', {}, OW.el('td', { colspan: '11', class: 'empty' }, 'No flows match these filters.')));
    document.getElementById('range').textContent =
      r.total ? `${offset + 1}–${offset + r.flows.length} of ${OW.num(r.total)}` : '0 flows';
    document.getElementById('prev').disabled = offset === 0;
    document.getElementById('next').disabled = offset + r.flows.length >= r.total;
  } catch (e) {
    OW.clear(tbody);
    document.getElementById('range').textContent = '';
    if (e.status === 400 && OW.fieldError(form, e.param, e.message)) OW.showError('error', new Error('Correct the filter marked above: ' + e.message));
    else OW.showError('error', e);
  }
}

form.addEventListener('submit', (ev) => { ev.preventDefault(); offset = 0; load(); });
form.addEventListener('reset', () => { setTimeout(() => { offset = 0; load(); }, 0); });
document.getElementById('prev').addEventListener('click', () => { offset = Math.max(0, offset - PAGE); load(); });
document.getElementById('next').addEventListener('click', () => { offset += PAGE; load(); });
fromUrl();
load();
