// roles.test.mjs — what each role sees in the browser: LI targets and LIIDs identify people
// under interception, so an analyst's pages show them masked (and offer no packets of those
// flows), an li-officer's show them as stored. Also what arrives over the live stream.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { SAMPLE_PCAP, newPage, noProblems, replay, serve, setup, shot, storedAlerts,
  teardown } from './helpers.mjs';

let work, db, srv, liAlerts;

before(async () => {
  ({ work } = await setup());
  db = path.join(work, 'roles.db');
  replay(db, SAMPLE_PCAP);
  liAlerts = storedAlerts(db).filter((a) => a.li && (a.li.liid || a.li.target));
  srv = await serve(db);
});
after(teardown);

test('the sample night has LI alerts naming a target and an LIID', () => {
  assert.ok(liAlerts.some((a) => a.li.target) && liAlerts.some((a) => a.li.liid),
    'LI alerts with identities: ' + JSON.stringify(liAlerts.map((a) => a.li)));
});

for (const role of ['analyst', 'li-officer']) {
  test(`${role}: alert pages show LI targets and LIIDs ${role === 'analyst' ? 'masked' : 'as stored'}`, async () => {
    const page = await newPage(srv, { role });
    for (const a of liAlerts) {
      await page.goto(srv.base + '/alert.html?id=' + a.alert.id);
      await page.locator('#li').waitFor();
      const text = await page.locator('#li').textContent();
      for (const v of [a.li.liid, a.li.target].filter(Boolean)) {
        if (role === 'analyst') {
          assert.ok(!text.includes(v), `alert ${a.alert.id}: ${v} must not be shown to an analyst`);
          assert.match(text, /masked \(li-officer only\)/);
        } else {
          assert.ok(text.includes(v), `alert ${a.alert.id}: an li-officer sees ${v}`);
        }
      }
      const raw = await page.locator('#raw').textContent();
      for (const v of [a.li.liid, a.li.target].filter(Boolean))
        assert.equal(raw.includes(v), role !== 'analyst', `alert ${a.alert.id}: EVE JSON on the page`);
      const link = await page.locator('#evidence-link').count();
      if (role === 'analyst') {
        assert.equal(link, 0, 'no packets of an LI flow for an analyst');
        assert.match(await page.locator('#evidence').textContent(), /li-officer/);
      }
      await shot(page, `role-${role}-alert-${a.alert.id}`);
    }
    assert.equal(await page.locator('#session-role').textContent(), role);
    const status = await page.evaluate(async (id) => (await fetch(`/api/alerts/${id}/evidence.pcap`)).status,
      liAlerts[0].alert.id);
    assert.equal(status, role === 'analyst' ? 403 : 200, 'evidence download status');
    noProblems(page);
  });
}

test('live alerts over SSE arrive masked for an analyst, in full for an li-officer', async () => {
  const seen = {};
  for (const role of ['analyst', 'li-officer']) {
    const page = await newPage(srv, { role });
    await page.goto(srv.base + '/');
    await page.locator('#live[data-state=stored]').waitFor({ timeout: 5000 });
    seen[role] = page.evaluate(() => new Promise((resolve) => {
      const got = [];
      const es = new EventSource('/api/events');
      es.addEventListener('alert', (ev) => {
        got.push(JSON.parse(ev.data));
        if (got.filter((x) => x.li).length >= 2) { es.close(); resolve(got); }
      });
      setTimeout(() => { es.close(); resolve(got); }, 15000);
    }));
  }
  await new Promise((r) => setTimeout(r, 500));
  replay(db, SAMPLE_PCAP);
  for (const role of ['analyst', 'li-officer']) {
    const events = (await seen[role]).filter((e) => e.li && (e.li.liid || e.li.target));
    assert.ok(events.length >= 2, `${role}: LI alerts arrived live: ${events.length}`);
    for (const e of events) {
      for (const k of ['liid', 'target']) {
        if (!e.li[k]) continue;
        if (role === 'analyst') assert.equal(e.li[k], '[masked]', `analyst stream ${k}`);
        else assert.notEqual(e.li[k], '[masked]', `li-officer stream ${k}`);
      }
    }
  }
});
