/* health.js — sensor health: live counters during a capture (refreshed every 2 s), and the
 * coverage of every stored run (drops, malformed packets, gaps), and why the last run's
 * undecoded packets were not decoded. */
'use strict';

function counter(label, value, cls) {
  return OW.el('div', { class: 'counter ' + (cls || '') }, OW.el('span', { class: 'n' }, value), OW.el('span', { class: 'l' }, label));
}

async function refresh() {
  let h;
  try { h = await OW.api('/api/health'); } catch (e) { OW.showError('error', e); return; }
  OW.clear(document.getElementById('error'));
  const box = OW.clear(document.getElementById('live-counters'));
  const ring = OW.clear(document.getElementById('ring'));
  const title = document.getElementById('live-title');
  if (h.live && h.capture) {
    const c = h.capture;
    title.textContent = 'Live capture (run ' + c.run_id + ')';
    box.append(counter('packets/s', OW.num(Math.round(c.packets_per_s))), counter('packets', OW.num(c.packets)),
      counter('kernel drops', OW.num(c.drops_kernel), c.drops_kernel ? 'c-high' : ''),
      counter('internal drops', OW.num(c.drops_internal), c.drops_internal ? 'c-high' : ''),
      counter('active flows', OW.num(c.active_flows)), counter('flows stored', OW.num(c.flows_written)),
      counter('alerts', OW.num(c.alerts_written)), counter('event streams', OW.num(h.event_streams)));
    if (c.ring_capacity) {
      const pct = Math.min(100, (100 * c.ring_bytes) / c.ring_capacity);
      const fill = OW.el('span', { class: 'fill' + (pct > 80 ? ' warn' : '') });
      fill.style.width = pct.toFixed(1) + '%';
      ring.append(OW.el('p', {}, `Queue depth: ${OW.bytes(c.ring_bytes)} of ${OW.bytes(c.ring_capacity)} (${pct.toFixed(1)}%)`),
        OW.el('div', { class: 'meter' }, fill));
    } else {
      ring.append(OW.el('p', {}, 'Queue depth: ' + OW.bytes(c.ring_bytes)));
    }
  } else {
    title.textContent = 'Stored evidence (no live capture)';
    const r = h.last_run;
    if (r) {
      box.append(counter('last run', String(r.id)), counter('packets', OW.num(r.packets)),
        counter('kernel drops', OW.num(r.kernel_drops), r.kernel_drops ? 'c-high' : ''),
        counter('internal drops', OW.num(r.internal_drops), r.internal_drops ? 'c-high' : ''),
        counter('flows', OW.num(r.flows)), counter('gaps', OW.num(r.gaps), r.gaps ? 'c-high' : ''));
    }
    ring.append(OW.el('p', { class: 'hint' }, 'Live numbers appear here while omwitness capture --listen serves this page.'));
  }
  // Each reason is a stable name (docs/architecture.md); malformed ones add up to the run's Malformed count.
  const events = OW.clear(document.querySelector('#decode-events tbody'));
  for (const ev of h.last_run_decode_events || []) {
    events.append(OW.el('tr', {}, OW.el('td', { class: 'mono' }, ev.event), OW.el('td', {}, ev.class),
      OW.el('td', { class: 'num' }, OW.num(ev.count))));
  }
}

async function runs() {
  try {
    const r = await OW.api('/api/runs');
    const tbody = OW.clear(document.querySelector('#runs tbody'));
    for (const run of r.runs) {
      // A run that has not ended shows its latest progress record (every 60 s of a capture).
      const p = !run.ended_wall && run.progress ? run.progress : null;
      const c = p || run;
      const ended = run.ended_wall ? (run.clean_end ? 'cleanly' : 'not cleanly')
        : p ? 'running or killed; progress at ' + OW.shortIso(p.last) : 'running or crashed';
      tbody.append(OW.el('tr', {}, OW.el('td', {}, String(run.id)), OW.el('td', {}, run.kind),
        OW.el('td', { class: 'mono path' }, run.source), OW.el('td', { class: 'nowrap' }, run.site),
        OW.el('td', { class: 'time' }, OW.el('span', { class: 'nowrap' }, OW.iso(c.first_ts)), ' – ', OW.el('span', { class: 'nowrap' }, OW.iso(c.last_ts))),
        OW.el('td', { class: 'num' }, OW.num(c.packets)), OW.el('td', { class: 'num' }, OW.num(c.flows)),
        OW.el('td', { class: 'num' + (c.kernel_drops ? ' bad' : '') }, OW.num(c.kernel_drops)),
        OW.el('td', { class: 'num' + (c.internal_drops ? ' bad' : '') }, OW.num(c.internal_drops)),
        OW.el('td', { class: 'num' }, OW.num(run.packets_malformed)),
        OW.el('td', { class: 'num' + (c.gaps ? ' bad' : '') }, OW.num(c.gaps)), OW.el('td', {}, ended)));
    }
  } catch (e) { OW.showError('error', e); }
}

refresh();
runs();
setInterval(refresh, 2000);
