/* flows.js — flow search (address, port, protocol, app, verdict, Community ID, time), paged,
 * with the filters kept in the URL. */
'use strict';

const PAGE = 100;
const form = document.getElementById('filters');
const tbody = document.querySelector('#flows tbody');
const FIELDS = ['ip', 'port', 'proto', 'app', 'verdict', 'community_id'];
let offset = 0;

function fromUrl() {
  const p = OW.params();
  for (const k of FIELDS) form[k].value = p.get(k) || '';
  form.from.value = OW.fromRfc3339(p.get('from') || '');
  form.to.value = OW.fromRfc3339(p.get('to') || '');
  offset = Math.max(0, parseInt(p.get('offset') || '0', 10) || 0);
}

function filters() {
  const f = {};
  for (const k of FIELDS) f[k] = form[k].value.trim();
  f.from = OW.toRfc3339(form.from.value);
  f.to = OW.toRfc3339(form.to.value);
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
  const more = OW.el('button', { type: 'button', class: 'small' }, 'JSON');
  more.addEventListener('click', () => showDetail(f.id));
  const extra = f.tls_sni || f.ssh_client || f.li_interface || '';
  return OW.el('tr', {},
    OW.el('td', { class: 'nowrap' }, OW.time(f.first_ts)),
    OW.el('td', { class: 'mono ep' }, OW.endpoint(f.client_ip, f.client_port), f.verdict_asset_src ? OW.el('span', { class: 'asset' }, f.verdict_asset_src) : null),
    OW.el('td', { class: 'mono ep' }, OW.endpoint(f.server_ip, f.server_port), f.verdict_asset_dest ? OW.el('span', { class: 'asset' }, f.verdict_asset_dest) : null),
    OW.el('td', {}, String(f.proto)),
    OW.el('td', {}, f.app_proto || f.ndpi_protocol || '', extra ? OW.el('span', { class: 'sub' }, extra) : null),
    OW.el('td', { class: 'num' }, OW.num(f.pkts_toserver + f.pkts_toclient)),
    OW.el('td', { class: 'num' }, OW.bytes(f.bytes_toserver + f.bytes_toclient)),
    OW.el('td', {}, verdict),
    OW.el('td', {}, f.verdict_rule || f.verdict_kind || ''),
    OW.el('td', {}, more));
}

async function load() {
  const p = OW.setParams({ ...filters(), offset: offset || '' });
  p.set('limit', PAGE);
  try {
    const r = await OW.api('/api/flows?' + p.toString());
    OW.clear(tbody);
    for (const f of r.flows) tbody.append(flowRow(f));
    if (!r.flows.length) tbody.append(OW.el('tr', {}, OW.el('td', { colspan: '10', class: 'empty' }, 'No flows match.')));
    document.getElementById('range').textContent =
      r.total ? `${offset + 1}–${offset + r.flows.length} of ${OW.num(r.total)}` : '0 flows';
    document.getElementById('prev').disabled = offset === 0;
    document.getElementById('next').disabled = offset + r.flows.length >= r.total;
    OW.clear(document.getElementById('error'));
  } catch (e) {
    OW.clear(tbody);
    document.getElementById('range').textContent = '';
    OW.showError('error', e);
  }
}

form.addEventListener('submit', (ev) => { ev.preventDefault(); offset = 0; load(); });
form.addEventListener('reset', () => { setTimeout(() => { offset = 0; load(); }, 0); });
document.getElementById('prev').addEventListener('click', () => { offset = Math.max(0, offset - PAGE); load(); });
document.getElementById('next').addEventListener('click', () => { offset += PAGE; load(); });
fromUrl();
load();
