// ui.test.mjs — the web UI in a real browser: Debian's chromium driven by playwright-core
// (never a downloaded browser). Stores are made by replaying captures with the built
// omwitness; `serve` runs on 127.0.0.1 with a free port; pages are signed in through /login
// (helpers.mjs). Screenshots of every page go to tests/browser/out/ (gitignored) so a person
// can look at them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { HERE, OMWITNESS, POLICY, SAMPLE_PCAP, newPage, noProblems, replay, serve, setup, shot,
  storedAlerts, teardown } from './helpers.mjs';

let work;

before(async () => { ({ work } = await setup()); });
after(teardown);

test('alerts page shows every incident of the sample night, filters live in the URL', async () => {
  const db = path.join(work, 'sample.db');
  replay(db, SAMPLE_PCAP);
  const alerts = storedAlerts(db);
  assert.ok(alerts.length >= 5, 'the sample night raises alerts');
  const srv = await serve(db);
  const page = await newPage();
  await page.goto(srv.base + '/');
  await page.locator('#alerts tbody tr[data-id]').first().waitFor();
  const ids = await page.locator('#alerts tbody tr[data-id]').evaluateAll((rows) => rows.map((r) => Number(r.dataset.id)));
  assert.deepEqual(ids, alerts.map((a) => a.alert.id).sort((a, b) => b - a));
  for (const a of alerts) {
    const row = page.locator(`#alerts tbody tr[data-id="${a.alert.id}"]`);
    assert.equal(await row.locator('td').nth(3).textContent(), a.alert.kind);
    assert.equal(await row.locator('.sev').textContent(), a.alert.severity);
    assert.match(await row.getAttribute('class'), new RegExp('sev-row-' + a.alert.severity));
  }
  const critical = await page.locator('.sev-critical').first().evaluate((e) => getComputedStyle(e).backgroundColor);
  const high = await page.locator('.sev-high').first().evaluate((e) => getComputedStyle(e).backgroundColor);
  assert.notEqual(critical, high, 'severities have their own colours');
  assert.equal(await page.locator('#chart svg rect.bar-flows').count() > 0, true, 'the chart is drawn');
  await page.locator('#live.on').waitFor({ timeout: 5000 });
  await shot(page, 'alerts');

  await page.locator('input[name=severity][value=critical]').check();
  await page.locator('#filters button[type=submit]').click();
  await page.waitForURL(/severity=critical/);
  await page.waitForFunction(() => [...document.querySelectorAll('#alerts tbody .sev')].every((s) => s.textContent === 'critical'));
  const nCritical = alerts.filter((a) => a.alert.severity === 'critical').length;
  assert.equal(await page.locator('#alerts tbody tr[data-id]').count(), nCritical);
  await page.reload();
  await page.locator('#alerts tbody tr[data-id]').first().waitFor();
  assert.equal(await page.locator('input[name=severity][value=critical]').isChecked(), true, 'filter restored from the URL');
  assert.equal(await page.locator('#alerts tbody tr[data-id]').count(), nCritical);
  await shot(page, 'alerts-critical');
  noProblems(page);
});

test('alert detail explains the alert, copies the Community ID and downloads the evidence', async () => {
  const db = path.join(work, 'sample.db');
  const alerts = storedAlerts(db);
  const a = alerts.find((x) => x.alert.kind === 'li_unauthorized') || alerts[0];
  const srv = await serve(db);
  const page = await newPage();
  await page.goto(srv.base + '/');
  await page.locator(`#alerts tbody tr[data-id="${a.alert.id}"] a`).click();
  await page.waitForURL(/alert\.html\?id=/);
  await page.locator('#why .reason').waitFor();
  assert.equal(await page.locator('#why .reason').textContent(), a.alert.reason);
  assert.match(await page.locator('#why .plain').textContent(), /\w+/);
  assert.equal(await page.locator('#community-id').textContent(), a.community_id);
  assert.match(await page.locator('#flow').textContent(), new RegExp(a.src_ip.replace(/\./g, '\\.')));
  const evidenceLink = page.locator('#evidence-link');
  if (await evidenceLink.count()) {
    const [download] = await Promise.all([page.waitForEvent('download'), evidenceLink.click()]);
    const file = path.join(work, 'evidence.pcap');
    await download.saveAs(file);
    const head = fs.readFileSync(file).subarray(0, 4).toString('hex');
    assert.ok(['d4c3b2a1', 'a1b2c3d4', '4d3cb2a1', 'a1b23c4d'].includes(head), 'a pcap file: ' + head);
    const cli = path.join(work, 'evidence-cli.pcap');
    const r = spawnSync(OMWITNESS, ['evidence', '--alert', String(a.alert.id), '--db', db, '-o', cli], { encoding: 'utf8' });
    if (r.status === 0) assert.deepEqual(fs.readFileSync(file), fs.readFileSync(cli), 'the same bytes as omwitness evidence');
  } else {
    assert.match(await page.locator('#evidence').textContent(), /no (evidence )?packets/);
    console.log('# note: this store kept no evidence packets for the alert; the download was not exercised');
  }
  await shot(page, 'alert-detail');
  noProblems(page);
});

test('a replay started while the alerts page is open appears over SSE without a reload', async () => {
  const db = path.join(work, 'live.db');
  replay(db, SAMPLE_PCAP);
  const before = storedAlerts(db).length;
  const srv = await serve(db);
  const page = await newPage();
  await page.goto(srv.base + '/');
  await page.locator('#alerts tbody tr[data-id]').first().waitFor();
  await page.locator('#live.on').waitFor({ timeout: 5000 });
  await page.evaluate(() => { window.__notReloaded = true; });
  const t0 = Date.now();
  replay(db, SAMPLE_PCAP);
  const after = storedAlerts(db);
  assert.ok(after.length > before);
  const newest = Math.max(...after.map((x) => x.alert.id));
  await page.locator(`#alerts tbody tr.fresh[data-id="${newest}"]`).waitFor({ timeout: 10000 });
  console.log(`# ${after.length - before} new alerts; the newest was on screen ${Date.now() - t0} ms after the replay began`);
  assert.equal(await page.evaluate(() => window.__notReloaded), true, 'the page was not reloaded');
  assert.equal(await page.locator('#alerts tbody tr.fresh').count(), after.length - before);
  await page.waitForFunction((n) => document.querySelector('#counters .n').textContent === String(n), after.length);
  assert.equal(await page.locator('#range').textContent(), `1–${after.length} of ${after.length}`);
  await shot(page, 'alerts-live');
  noProblems(page);
});

test('hostile SNI, SSH banners and LIID render as text and never run', async () => {
  const pcap = path.join(work, 'hostile.pcap');
  const g = spawnSync('python3', [path.join(HERE, 'gen_hostile_pcap.py'), pcap], { encoding: 'utf8' });
  assert.equal(g.status, 0, g.stderr);
  const db = path.join(work, 'hostile.db');
  replay(db, pcap);
  const alerts = storedAlerts(db);
  const wire = [];
  for (const a of alerts) {
    for (const v of [a.tls && a.tls.sni, a.ssh && a.ssh.client, a.ssh && a.ssh.server, a.li && a.li.liid]) {
      if (v && /[<>"]/.test(v)) wire.push([a.alert.id, v]);
    }
  }
  assert.ok(wire.length >= 3, 'the capture stores the payloads: ' + JSON.stringify(wire));
  const srv = await serve(db);
  const page = await newPage();
  const visit = async (url, name) => {
    await page.goto(srv.base + url);
    await page.waitForLoadState('networkidle');
    if (name) await shot(page, name);
    assert.equal(await page.evaluate(() => window.__pwned), undefined, `${url}: a payload ran`);
    assert.equal(await page.locator('main img, main svg[onload], main script, [onerror], [onload]').count(), 0,
      `${url}: markup from the wire reached the DOM`);
  };
  await visit('/', 'hostile-alerts');
  for (const [id, text] of wire) {
    await visit('/alert.html?id=' + id, 'hostile-alert-' + id);
    const shown = await page.locator('#meta, #li').allTextContents();
    assert.ok(shown.join('\n').includes(text), `alert ${id}: ${JSON.stringify(text)} is shown as text`);
  }
  await visit('/flows.html', 'hostile-flows');
  assert.ok((await page.locator('#flows').textContent()).includes(wire.find(([, t]) => t.includes('<script>'))[1]),
    'the SNI is shown in the flows table');
  await page.locator('#flows button.small').first().click();
  await page.locator('#detail:not([hidden])').waitFor();
  await visit('/rules.html');
  await visit('/report.html');
  noProblems(page);
});

test('flows search, rules, health and report pages', async () => {
  const db = path.join(work, 'sample.db');
  const srv = await serve(db, '--policy', POLICY);
  const page = await newPage();

  await page.goto(srv.base + '/flows.html?app=ssh');
  await page.locator('#flows tbody tr').first().waitFor();
  const apps = await page.locator('#flows tbody tr td:nth-child(5)').allTextContents();
  assert.ok(apps.length > 0 && apps.every((t) => /^SSH/i.test(t)), 'app filter from the URL: ' + apps);
  assert.equal(await page.locator('#filters input[name=app]').inputValue(), 'ssh');
  await page.locator('#filters input[name=app]').fill('');
  await page.locator('#filters select[name=verdict]').selectOption('anomaly');
  await page.locator('#filters button[type=submit]').click();
  await page.waitForURL(/verdict=anomaly/);
  await page.waitForFunction(() => [...document.querySelectorAll('#flows tbody .verdict')].every((v) => v.textContent === 'anomaly'));
  await shot(page, 'flows');
  await page.locator('#filters input[name=port]').fill('70000');
  await page.locator('#filters button[type=submit]').click();
  await page.locator('#error .error').waitFor();
  assert.match(await page.locator('#error').textContent(), /port must be/);
  assert.equal(await page.locator('#range').textContent(), '', 'no stale page range next to an error');

  await page.goto(srv.base + '/rules.html');
  await page.locator('#rules tbody tr').first().waitFor();
  const rules = await page.locator('#rules tbody tr td:first-child').allTextContents();
  assert.ok(rules.includes('snmp-poll') && rules.includes('chg-2026-0142'), 'rules listed: ' + rules);
  // The calendar shows the policy's approved window as a band next to the sessions seen.
  assert.equal(await page.locator('#calendar svg rect.bar-planned').count(), 1, 'one planned window drawn');
  assert.ok((await page.locator('#maintenance').textContent()).includes('CHG-2026-0142'), 'maintenance ticket shown');
  assert.equal(await page.locator('#calendar svg rect').count() > 0, true, 'calendar drawn');
  await shot(page, 'rules');

  await page.goto(srv.base + '/health.html');
  await page.locator('#runs tbody tr').first().waitFor();
  assert.match(await page.locator('#live-counters').textContent(), /packets/);
  await shot(page, 'health');

  await page.goto(srv.base + '/report.html');
  await page.waitForLoadState('networkidle');
  const conclusion = page.locator('#conclusion code');
  if (await conclusion.count()) {
    assert.equal(await conclusion.textContent(), 'anomalies_found');
    const href = await page.locator('#printable').getAttribute('href');
    const resp = await page.request.get(srv.base + href);
    assert.equal(resp.status(), 200);
    assert.match(resp.headers()['content-security-policy'], /default-src 'none'/);
  } else {
    assert.match(await page.locator('#error').textContent(), /report/);
  }
  await shot(page, 'report');
  noProblems(page);
});

test('without --tokens: the one-time login link signs the page in, then everything works', async () => {
  const db = path.join(work, 'sample.db');
  const srv = await serve(db, { tokens: false });
  const file = (srv.stderr().match(/login URL in (\S+)/) || [])[1];
  assert.ok(file, 'serve names the file holding the login link');
  assert.doesNotMatch(srv.stderr(), /[0-9a-f]{64}/, 'no token on stderr');
  const url = fs.readFileSync(file, 'utf8').split('\n')[1];
  const page = await newPage();
  await page.goto(srv.base + '/');
  await page.locator('#token-form').waitFor();
  assert.equal(await page.locator('#alerts tbody tr[data-id]').count(), 0, 'no data before signing in');
  await page.goto(url);
  await page.waitForURL(srv.base + '/');
  assert.doesNotMatch(page.url(), /token/, 'the address no longer holds the token');
  await page.locator('#alerts tbody tr[data-id]').first().waitFor();
  await page.locator('#live.on').waitFor({ timeout: 5000 });
  const cookies = await page.context().cookies(srv.base);
  const c = cookies.find((x) => x.name === 'ow_session');
  assert.ok(c && c.httpOnly && c.sameSite === 'Strict', 'an HttpOnly SameSite=Strict session cookie: ' + JSON.stringify(cookies));
  assert.equal(await page.evaluate(() => document.cookie), '', 'the page script cannot read it');
  assert.equal(await page.locator('#session-role').textContent(), 'admin');
  assert.equal(fs.existsSync(file), false, 'the used login token file is gone');
  await shot(page, 'signed-in');
  // The link works once: a second browser gets the sign-in form.
  const other = await newPage();
  await other.goto(url);
  assert.equal((await other.content()).includes('was used already'), true, 'a used link is refused');
  noProblems(page);
});
