// ui.test.mjs — the web UI in a real browser: Debian's chromium driven by playwright-core
// (never a downloaded browser). Stores are made by replaying captures with the built
// omwitness; `serve` runs on 127.0.0.1 with a free port; pages are signed in through /login
// (helpers.mjs). Screenshots of every page at 1024, 1440 and 1920 px, light and dark, go to
// tests/browser/out/ (gitignored) for a person to look at.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { HEALTH_SERVER, HERE, OMWITNESS, POLICY, SAMPLE_PCAP, WEBUI, apiGet, cli, newPage, noProblems,
  replay, serve, setup, shot, start, storedAlerts, teardown, writeTokens } from './helpers.mjs';

let work;

/* Alerts as the list shows them: newest first by time, then by id. */
const byTimeDesc = (a, b) => (b.timestamp < a.timestamp ? -1 : b.timestamp > a.timestamp ? 1 : b.alert.id - a.alert.id);

before(async () => {
  ({ work } = await setup());
  replay(path.join(work, 'sample.db'), SAMPLE_PCAP);
});
after(teardown);

test('alerts page lists every incident in time order with its colours; filters live in the URL', async () => {
  const db = path.join(work, 'sample.db');
  const alerts = storedAlerts(db);
  assert.ok(alerts.length >= 5, 'the sample night raises alerts');
  const srv = await serve(db);
  const page = await newPage(srv);
  await page.goto(srv.base + '/');
  await page.locator('#alerts tbody tr[data-id]').first().waitFor();
  const ids = await page.locator('#alerts tbody tr[data-id]').evaluateAll((rows) => rows.map((r) => Number(r.dataset.id)));
  assert.deepEqual(ids, [...alerts].sort(byTimeDesc).map((a) => a.alert.id), 'newest first by time, not by id');
  for (const a of alerts) {
    const row = page.locator(`#alerts tbody tr[data-id="${a.alert.id}"]`);
    assert.equal(await row.locator('td').nth(3).evaluate((td) => td.firstChild.textContent), a.alert.kind);
    assert.equal(await row.locator('.sev').textContent(), a.alert.severity_name);
    assert.match(await row.getAttribute('class'), new RegExp('sev-row-' + a.alert.severity_name));
    assert.equal(await row.locator('.tri').textContent(), 'open');
  }
  const critical = await page.locator('.sev-critical').first().evaluate((e) => getComputedStyle(e).backgroundColor);
  const high = await page.locator('.sev-high').first().evaluate((e) => getComputedStyle(e).backgroundColor);
  assert.notEqual(critical, high, 'severities have their own colours');
  assert.equal(await page.locator('#chart svg rect.bar-flows').count() > 0, true, 'the chart is drawn');
  /* A stored store is not a live capture, and the badge says so. */
  await page.locator('#live[data-state=stored]').waitFor({ timeout: 5000 });
  assert.match(await page.locator('#live').textContent(), /stored evidence/);
  assert.doesNotMatch(await page.locator('#live').textContent(), /● live capture/);
  await shot(page, 'alerts');

  /* Sorting by a column: severity, highest first, then back. */
  await page.locator('#alerts th[data-sort=severity]').click();
  await page.waitForURL(/sort=-severity/);
  await page.waitForFunction(() => document.querySelector('#alerts tbody .sev').textContent === 'critical');
  const sevs = await page.locator('#alerts tbody .sev').allTextContents();
  const rank = { critical: 3, high: 2, medium: 1 };
  assert.deepEqual(sevs, [...sevs].sort((a, b) => rank[b] - rank[a]), 'sorted by severity');
  assert.equal(await page.locator('#alerts th[data-sort=severity]').getAttribute('aria-sort'), 'descending');

  await page.goto(srv.base + '/');
  await page.locator('input[name=severity][value=critical]').check();
  await page.locator('#filters button[type=submit]').click();
  await page.waitForURL(/severity=critical/);
  await page.waitForFunction(() => [...document.querySelectorAll('#alerts tbody .sev')].every((s) => s.textContent === 'critical'));
  const nCritical = alerts.filter((a) => a.alert.severity_name === 'critical').length;
  assert.equal(await page.locator('#alerts tbody tr[data-id]').count(), nCritical);
  await page.reload();
  await page.locator('#alerts tbody tr[data-id]').first().waitFor();
  assert.equal(await page.locator('input[name=severity][value=critical]').isChecked(), true, 'filter restored from the URL');
  assert.equal(await page.locator('#alerts tbody tr[data-id]').count(), nCritical);
  await shot(page, 'alerts-critical');
  noProblems(page);
});

test('alert detail explains the alert, shows the rule it was held against, downloads the evidence; no "null"', async () => {
  const db = path.join(work, 'sample.db');
  const alerts = storedAlerts(db);
  const a = alerts.find((x) => x.alert.kind === 'li_unauthorized') || alerts[0];
  const srv = await serve(db, '--policy', POLICY);
  const page = await newPage(srv);
  await page.goto(srv.base + '/');
  await page.locator(`#alerts tbody tr[data-id="${a.alert.id}"] td:first-child a`).click();
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
    const out = path.join(work, 'evidence-cli.pcap');
    const r = spawnSync(OMWITNESS, ['evidence', '--alert', String(a.alert.id), '--db', db, '-o', out], { encoding: 'utf8' });
    if (r.status === 0) assert.deepEqual(fs.readFileSync(file), fs.readFileSync(out), 'the same bytes as omwitness evidence');
  } else {
    assert.match(await page.locator('#evidence').textContent(), /no (evidence )?packets/);
    console.log('# note: this store kept no evidence packets for the alert; the download was not exercised');
  }
  await shot(page, 'alert-detail');

  /* The rule an alert was held against, from the policy serve was given. */
  const m = alerts.find((x) => x.alert.kind === 'maintenance_outside_window');
  await page.goto(srv.base + '/alert.html?id=' + m.alert.id);
  await page.locator('#rule').waitFor();
  const rule = await page.locator('#rule').textContent();
  for (const want of ['chg-2026-0142', 'acme-jump', 'ne-core', 'tcp/22', 'SSH', '2026-02-10T01:00:00Z to 2026-02-10T04:00:00Z']) {
    assert.ok(rule.includes(want), `rule shows ${want}: ${rule}`);
  }

  /* No alert of the sample night shows a literal "null" where a rule or reason would be. */
  let withoutRule = 0;
  for (const x of alerts) {
    await page.goto(srv.base + '/alert.html?id=' + x.alert.id);
    await page.locator('#why .reason').waitFor();
    const text = await page.locator('#why').textContent() + (await page.locator('#rule-box').textContent());
    assert.doesNotMatch(text, /\bnull\b|undefined/, `alert ${x.alert.id}: ${text}`);
    if (!x.alert.rule) {
      withoutRule++;
      assert.match(await page.locator('#rule-box').textContent(), /No rule of the policy comes near this flow/);
    }
  }
  assert.ok(withoutRule > 0, 'the sample night has alerts with no nearest rule');
  noProblems(page);
});

test('triage: acknowledge, then close with a note; it survives a reload and shows in the CLI and the report', async () => {
  const db = path.join(work, 'triage.db');
  replay(db, SAMPLE_PCAP);
  const alerts = storedAlerts(db);
  const a = alerts.find((x) => x.alert.kind === 'vendor_unauthorized') || alerts[0];
  const srv = await serve(db);
  const page = await newPage(srv);
  await page.goto(srv.base + '/alert.html?id=' + a.alert.id);
  await page.locator('#triage-state .tri').waitFor();
  assert.equal(await page.locator('#triage-state .tri').textContent(), 'open');
  await page.locator('#triage-form input[name=by]').fill('A. Analyst');
  await page.locator('#triage-form input[name=note]').fill('looking into it');
  await page.locator('button.triage-set[data-status=acknowledged]').click();
  await page.waitForFunction(() => document.querySelector('#triage-state .tri').textContent === 'acknowledged');
  await page.locator('#triage-form input[name=note]').fill('vendor call, ticket extended');
  await page.locator('button.triage-set[data-status=closed]').click();
  await page.waitForFunction(() => document.querySelector('#triage-state .tri').textContent === 'closed');
  await page.reload();
  await page.locator('#triage-state .tri').waitFor();
  assert.equal(await page.locator('#triage-state .tri').textContent(), 'closed', 'the state survives a reload');
  assert.match(await page.locator('#triage-state').textContent(), /vendor call, ticket extended/);
  const history = await page.locator('#triage-history li').allTextContents();
  assert.equal(history.length, 2, 'two records in the history: ' + history);
  assert.match(history[0], /acknowledged.*A\. Analyst.*looking into it/);
  assert.match(history[1], /closed.*A\. Analyst.*vendor call, ticket extended/);
  assert.equal(await page.locator('button.triage-set[data-status=closed]').isDisabled(), true);
  await shot(page, 'alert-triaged');

  /* The list shows the current state. */
  await page.goto(srv.base + '/');
  await page.locator(`#alerts tbody tr[data-id="${a.alert.id}"] .tri`).waitFor();
  assert.equal(await page.locator(`#alerts tbody tr[data-id="${a.alert.id}"] .tri`).textContent(), 'closed');

  /* The CLI's EVE line and the report carry it; the store still verifies. */
  const line = storedAlerts(db).find((x) => x.alert.id === a.alert.id);
  assert.deepEqual([line.triage.status, line.triage.note, line.triage.by], ['closed', 'vendor call, ticket extended', 'test-admin (for A. Analyst)']);  // the token's name, then the one typed
  const table = cli('alerts', '--db', db, '--format', 'table', '--triage', 'closed');
  assert.match(table, new RegExp(`^ *${a.alert.id} .* closed `, 'm'));
  const report = JSON.parse(cli('report', '--db', db));
  const listed = report.anomalies.alerts.find((x) => x.alert_id === a.alert.id);
  assert.equal(listed.triage.status, 'closed');
  assert.equal(listed.triage.note, 'vendor call, ticket extended');
  const html = path.join(work, 'report.html');
  cli('report', '--db', db, '--format', 'html', '-o', html);
  const text = fs.readFileSync(html, 'utf8');
  assert.match(text, /<th>Disposition<\/th>/);
  assert.match(text, /<span class="disp">closed<\/span><br>vendor call, ticket extended/);
  const v = spawnSync(OMWITNESS, ['verify', '--db', db], { encoding: 'utf8' });
  assert.equal(v.status, 0, 'verify after triage: ' + v.stdout);
  noProblems(page);
});

test('pivots: an address filters the alerts, an asset opens its page', async () => {
  const db = path.join(work, 'sample.db');
  const srv = await serve(db, '--policy', POLICY);
  const page = await newPage(srv);
  await page.goto(srv.base + '/');
  await page.locator('#alerts tbody tr[data-id]').first().waitFor();
  const link = page.locator('#alerts tbody td.ep a.ip', { hasText: '10.20.2.21:' }).first();
  await link.click();
  await page.waitForURL(/ip=10\.20\.2\.21/);
  /* The page fills its filters from the address once /api/meta has answered, after load. */
  await page.waitForFunction(() => document.querySelector('#filters input[name=ip]').value !== '');
  assert.equal(await page.locator('#filters input[name=ip]').inputValue(), '10.20.2.21');
  await page.waitForFunction(() => [...document.querySelectorAll('#alerts tbody tr[data-id]')].length > 0 &&
    [...document.querySelectorAll('#alerts tbody tr[data-id]')].every((tr) => tr.textContent.includes('10.20.2.21:')));
  const api = await apiGet(srv, '/api/alerts?ip=10.20.2.21');
  assert.equal(await page.locator('#alerts tbody tr[data-id]').count(), api.body.total, 'the rows the API gives for ip=');
  await shot(page, 'alerts-by-ip');

  await page.locator('#alerts tbody .asset a', { hasText: 'ne-ran' }).first().click();
  await page.waitForURL(/asset\.html\?name=ne-ran/);
  await page.locator('#asset-alerts tbody tr[data-id]').first().waitFor();
  const asset = (await apiGet(srv, '/api/assets?name=ne-ran')).body.assets[0];
  assert.match(await page.locator('#title').textContent(), /ne-ran/);
  assert.equal(await page.locator('#asset-alerts tbody tr[data-id]').count(), asset.alerts);
  assert.equal(await page.locator('#counters .counter').first().locator('.n').textContent(), String(asset.alerts));
  assert.match(await page.locator('#definition').textContent(), /network-element/);
  await shot(page, 'asset');

  await page.goto(srv.base + '/assets.html');
  await page.locator('#assets tbody tr').first().waitFor();
  const names = await page.locator('#assets tbody tr').evaluateAll((rows) => rows.map((r) => r.dataset.name));
  assert.ok(names.includes('ne-ran') && names.includes('lemf'), 'policy assets listed: ' + names);
  await shot(page, 'assets');

  /* A flow that raised an alert links to it, and its Community ID to every flow with it. */
  await page.goto(srv.base + '/flows.html?verdict=anomaly');
  await page.locator('#flows a.alert-link').first().waitFor();
  await page.locator('#flows a.alert-link').first().click();
  await page.waitForURL(/alert\.html\?id=/);
  await page.locator('#cid a.cid-link').click();
  await page.waitForURL(/flows\.html\?community_id=/);
  await page.locator('#flows tbody tr[data-row]').first().waitFor();
  noProblems(page);
});

test('the grouped view counts what the API counts, and triages a whole group', async () => {
  const db = path.join(work, 'twice.db');
  replay(db, SAMPLE_PCAP);
  replay(db, SAMPLE_PCAP);            /* every incident twice: a group of two each */
  const srv = await serve(db);
  const page = await newPage(srv);
  await page.goto(srv.base + '/?view=groups');
  await page.locator('#groups tbody tr[data-kind]').first().waitFor();
  const api = (await apiGet(srv, '/api/alerts/groups')).body;
  const rows = await page.locator('#groups tbody tr[data-kind]').evaluateAll((trs) => trs.map((tr) =>
    [tr.dataset.kind, tr.dataset.src, tr.dataset.dest, Number(tr.querySelector('td.count').textContent.replace(/,/g, ''))]));
  assert.deepEqual(rows, api.groups.map((g) => [g.kind, g.src_ip, g.dest_ip, g.count]), 'rows equal the API');
  assert.ok(rows.every((r) => r[3] === 2), 'a replay made twice groups every incident in pairs');
  const total = (await apiGet(srv, '/api/summary')).body.alerts;
  assert.equal(rows.reduce((s, r) => s + r[3], 0), total, 'the groups hold every alert');
  await shot(page, 'alerts-grouped');

  /* Acknowledge the first group: each of its alerts gets a triage record. */
  const g = api.groups[0];
  await page.locator('#bulk-note').fill('bulk: known vendor test');
  await page.locator('#groups tbody tr').first().locator('button[data-status=acknowledged]').click();
  await page.waitForFunction(() => document.querySelector('#groups tbody tr td:nth-child(8)').textContent === '0');
  for (const id of g.ids) {
    const d = (await apiGet(srv, '/api/alerts/' + id)).body;
    assert.equal(d.triage.status, 'acknowledged', `alert ${id}`);
    assert.equal(d.triage.note, 'bulk: known vendor test');
  }
  const v = spawnSync(OMWITNESS, ['verify', '--db', db], { encoding: 'utf8' });
  assert.equal(v.status, 0, 'verify after the bulk triage: ' + v.stdout);
  noProblems(page);
});

test('the chart follows a severity filter; a brush and the presets set the time filter', async () => {
  const db = path.join(work, 'sample.db');
  const srv = await serve(db);
  const page = await newPage(srv, { width: 1440 });
  await page.goto(srv.base + '/');
  await page.locator('#chart svg rect.bar-high').first().waitFor();
  assert.ok(await page.locator('#chart svg rect.bar-critical').count() > 0);
  /* Separate, labelled scales. */
  const titles = await page.locator('#chart svg text.title').allTextContents();
  assert.ok(titles.some((t) => /Flows per bucket/.test(t)) && titles.some((t) => /Alerts per bucket/.test(t)) &&
    titles.some((t) => /time \(UTC\)/.test(t)), 'labelled axes: ' + titles);

  await page.locator('input[name=severity][value=critical]').check();
  await page.locator('#filters button[type=submit]').click();
  await page.waitForURL(/severity=critical/);
  await page.waitForFunction(() => document.querySelectorAll('#chart svg rect.bar-high').length === 0 &&
    document.querySelectorAll('#chart svg rect.bar-critical').length > 0);
  const tl = (await apiGet(srv, '/api/timeline?severity=critical&buckets=60')).body;
  const bars = tl.alerts.critical.filter((n) => n > 0).length;
  assert.equal(await page.locator('#chart svg rect.bar-critical').count(), bars, 'the bars of the API timeline with the filter');
  assert.equal(tl.alerts.high.reduce((a, b) => a + b, 0), 0);
  await shot(page, 'chart-critical');

  /* Drag across the middle of the chart: the range becomes the time filter. */
  await page.locator('input[name=severity][value=critical]').uncheck();
  await page.locator('#filters button[type=submit]').click();
  await page.locator('#chart svg rect.bar-high').first().waitFor();
  const box = await page.locator('#chart-plot').boundingBox();
  await page.mouse.move(box.x + box.width * 0.3, box.y + box.height * 0.5);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.5, { steps: 5 });
  await page.mouse.move(box.x + box.width * 0.7, box.y + box.height * 0.5, { steps: 5 });
  await page.mouse.up();
  await page.waitForURL(/from=.*to=/);
  const from = await page.locator('#filters input[name=from]').inputValue();
  const to = await page.locator('#filters input[name=to]').inputValue();
  assert.match(from, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.ok(Date.parse(from) < Date.parse(to));
  const api = (await apiGet(srv, `/api/alerts?from=${from}&to=${to}`)).body;
  await page.waitForFunction((n) => document.querySelectorAll('#alerts tbody tr[data-id]').length === n, api.total);
  const times = await page.locator('#alerts tbody td.time').allTextContents();
  assert.ok(times.every((t) => Date.parse(t) >= Date.parse(from) && Date.parse(t) < Date.parse(to)), 'rows inside the brushed range');
  assert.ok(api.total > 0 && api.total < (await apiGet(srv, '/api/summary')).body.alerts, 'the brush narrowed the list');
  await shot(page, 'chart-brushed');

  /* The 1h preset: the last hour before the newest stored packet. */
  await page.locator('button.preset[data-span="3600"]').click();
  await page.waitForFunction((f) => document.querySelector('#filters input[name=from]').value !== f, from);
  const f1 = Date.parse(await page.locator('#filters input[name=from]').inputValue());
  const t1 = Date.parse(await page.locator('#filters input[name=to]').inputValue());
  assert.equal(t1 - f1, 3600 * 1000);
  const s = (await apiGet(srv, '/api/summary')).body;
  assert.ok(t1 >= s.last_ts / 1000 && t1 - s.last_ts / 1000 <= 2000, 'ends at the newest packet');
  noProblems(page);
});

test('an empty store shows an empty chart, not 1970; bad filters and missing pages say so', async () => {
  const db = path.join(work, 'empty.db');
  const empty = path.join(work, 'empty.pcap');
  const hdr = Buffer.from('d4c3b2a1020004000000000000000000ffff000001000000', 'hex');
  fs.writeFileSync(empty, hdr);
  replay(db, empty);
  const srv = await serve(db);
  const page = await newPage(srv);
  await page.goto(srv.base + '/');
  await page.locator('#chart-empty').waitFor();
  assert.doesNotMatch(await page.locator('#chart').textContent(), /1970/);
  assert.match(await page.locator('#chart-empty').textContent(), /No flows or alerts/);
  await shot(page, 'alerts-empty');

  /* A bad filter value in the address: the API refuses it and the page says so beside the field. */
  const r = await apiGet(srv, '/api/alerts?from=garbage');
  assert.equal(r.status, 400);
  assert.equal(r.body.param, 'from');
  await page.goto(srv.base + '/?from=garbage');
  await page.locator('#filters .field-error').waitFor();
  assert.equal(await page.locator('#filters input[name=from]').getAttribute('aria-invalid'), 'true');
  assert.match(await page.locator('#err-from').textContent(), /ISO 8601|RFC 3339/);
  assert.equal(await page.locator('#alerts tbody tr[data-id]').count(), 0, 'no rows under a bad filter');
  /* An address in the Asset box is an error too, not "no alerts". */
  await page.goto(srv.base + '/?asset=10.20.2.21');
  await page.locator('#err-asset').waitFor();
  assert.match(await page.locator('#err-asset').textContent(), /Address/);
  await shot(page, 'alerts-bad-filter');

  const resp = await page.goto(srv.base + '/no-such-page.html');
  assert.equal(resp.status(), 404);
  assert.match(resp.headers()['content-type'], /text\/html/);
  assert.match(await page.locator('#not-found h1').textContent(), /No such page/);
  await shot(page, 'not-found');
  await page.goto(srv.base + '/alert.html?id=999');
  await page.locator('#error .error').waitFor();
  assert.match(await page.locator('#title').textContent(), /No such alert/);
  assert.equal(await page.locator('#content').isHidden(), true, 'no empty panels under the error');
  noProblems(page);
});

test('a replay started while the alerts page is open arrives over SSE, marked unread and counted in the title', async () => {
  const db = path.join(work, 'live.db');
  replay(db, SAMPLE_PCAP);
  const before = storedAlerts(db).length;
  const srv = await serve(db);
  const page = await newPage(srv);
  await page.goto(srv.base + '/');
  await page.locator('#alerts tbody tr[data-id]').first().waitFor();
  await page.locator('#live[data-state=stored]').waitFor({ timeout: 5000 });
  await page.evaluate(() => { window.__notReloaded = true; });
  const t0 = Date.now();
  replay(db, SAMPLE_PCAP);
  const after = storedAlerts(db);
  assert.ok(after.length > before);
  const fresh = after.length - before;
  await page.waitForFunction((n) => document.title.startsWith(`(${n}) `), fresh, { timeout: 10000 });
  console.log(`# ${fresh} new alerts; in the title ${Date.now() - t0} ms after the replay began`);
  assert.equal(await page.evaluate(() => window.__notReloaded), true, 'the page was not reloaded');
  const unread = await page.locator('#alerts tbody tr.unread').count();
  assert.ok(unread > 0, 'new rows are marked unread');
  await page.waitForFunction((n) => document.querySelector('#counters .n').textContent === String(n), after.length);
  await shot(page, 'alerts-live');
  /* Nobody at the page: they stay unread. Someone moves the pointer over them: they are read
   * two seconds later, and the title loses its count. */
  await page.waitForTimeout(2500);
  assert.ok(await page.locator('#alerts tbody tr.unread').count() === unread, 'still unread with nobody looking');
  await page.locator('#alerts').evaluate((t) => t.scrollIntoView());
  await page.mouse.move(400, 300);
  await page.waitForTimeout(500);
  await page.mouse.move(420, 320, { steps: 3 });
  await page.waitForFunction(() => !/^\(\d+\)/.test(document.title) && !document.querySelector('#alerts tbody tr.unread'), null, { timeout: 15000 });
  noProblems(page);
});

test('a live capture is told apart from a stored replay', { skip: !HEALTH_SERVER && 'OW_HEALTH_SERVER not set' }, async () => {
  const db = path.join(work, 'sample.db');
  const srv = await start([HEALTH_SERVER, db, WEBUI, writeTokens()], db);
  const page = await newPage(srv);
  await page.goto(srv.base + '/');
  await page.locator('#live[data-state=live]').waitFor({ timeout: 5000 });
  assert.match(await page.locator('#live').textContent(), /live capture/);
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
    const ssh = a.ssh || {};
    for (const v of [a.tls && a.tls.sni, (ssh.client || {}).software_version, (ssh.server || {}).software_version, a.li && a.li.liid]) {
      if (v && /[<>"]/.test(v)) wire.push([a.alert.id, v]);
    }
  }
  assert.ok(wire.length >= 3, 'the capture stores the payloads: ' + JSON.stringify(wire));
  const srv = await serve(db);
  const page = await newPage(srv);
  const visit = async (url, name) => {
    await page.goto(srv.base + url);
    await page.waitForLoadState('networkidle');
    if (name) await shot(page, name);
    assert.equal(await page.evaluate(() => window.__pwned), undefined, `${url}: a payload ran`);
    assert.equal(await page.locator('main img, main svg[onload], main script, [onerror], [onload]').count(), 0,
      `${url}: markup from the wire reached the DOM`);
  };
  await visit('/', 'hostile-alerts');
  await visit('/?view=groups');
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
  await visit('/assets.html');
  await visit('/rules.html');
  await visit('/report.html');
  noProblems(page);
});

test('flows search, rules, health and report pages', async () => {
  const db = path.join(work, 'sample.db');
  const srv = await serve(db, '--policy', POLICY);
  const page = await newPage(srv);

  await page.goto(srv.base + '/flows.html?app=ssh');
  await page.locator('#flows tbody tr').first().waitFor();
  const apps = await page.locator('#flows tbody tr td:nth-child(5)').evaluateAll((tds) => tds.map((td) => td.firstChild.textContent));
  assert.ok(apps.length > 0 && apps.every((t) => /^SSH/i.test(t)), 'app filter from the URL: ' + apps);
  assert.equal(await page.locator('#filters input[name=app]').inputValue(), 'ssh');
  await page.locator('#filters input[name=app]').fill('');
  await page.locator('#filters select[name=verdict]').selectOption('anomaly');
  await page.locator('#filters button[type=submit]').click();
  await page.waitForURL(/verdict=anomaly/);
  await page.waitForFunction(() => [...document.querySelectorAll('#flows tbody .verdict')].every((v) => v.textContent === 'anomaly'));
  await shot(page, 'flows');
  await page.goto(srv.base + '/flows.html?asset=ne-ran');
  await page.locator('#flows tbody tr[data-row]').first().waitFor();
  const api = await apiGet(srv, '/api/flows?asset=ne-ran&limit=500');
  assert.equal(await page.locator('#flows tbody tr[data-row]').count(), Math.min(100, api.body.total), 'asset filter on flows');
  await page.locator('#filters input[name=port]').fill('70000');
  await page.locator('#filters button[type=submit]').click();
  await page.locator('#err-port').waitFor();
  assert.match(await page.locator('#err-port').textContent(), /port/);
  assert.equal(await page.locator('#range').textContent(), '', 'no stale page range next to an error');

  await page.goto(srv.base + '/rules.html');
  await page.locator('#rules tbody tr').first().waitFor();
  const rules = await page.locator('#rules tbody tr td:first-child').allTextContents();
  assert.ok(rules.includes('snmp-poll') && rules.includes('chg-2026-0142'), 'rules listed: ' + rules);
  assert.equal(await page.locator('#calendar svg rect.bar-planned').count(), 1, 'one planned window drawn');
  assert.ok((await page.locator('#maintenance').textContent()).includes('CHG-2026-0142'), 'maintenance ticket shown');
  await shot(page, 'rules');

  await page.goto(srv.base + '/health.html');
  await page.locator('#runs tbody tr').first().waitFor();
  assert.match(await page.locator('#live-counters').textContent(), /packets/);
  await shot(page, 'health');

  await page.goto(srv.base + '/report.html');
  await page.locator('#conclusion code').waitFor();
  assert.equal(await page.locator('#conclusion code').textContent(), 'anomalies_found');
  assert.ok(await page.locator('#anomalies th', { hasText: 'Disposition' }).count() === 1, 'the disposition column');
  const href = await page.locator('#printable').getAttribute('href');
  const resp = await page.request.get(srv.base + href);
  assert.equal(resp.status(), 200);
  assert.match(resp.headers()['content-security-policy'], /default-src 'none'/);
  await shot(page, 'report');
  noProblems(page);
});

test('dark mode renders, and the toggle overrides the system theme', async () => {
  const db = path.join(work, 'sample.db');
  const srv = await serve(db);
  const page = await newPage(srv, { colorScheme: 'dark' });
  const lum = () => page.evaluate(() => {
    const [r, g, b] = getComputedStyle(document.body).backgroundColor.match(/\d+/g).map(Number);
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  });
  await page.goto(srv.base + '/');
  await page.locator('#alerts tbody tr[data-id]').first().waitFor();
  assert.ok(await lum() < 60, 'dark background under prefers-color-scheme: dark');
  const ink = await page.evaluate(() => getComputedStyle(document.querySelector('#alerts td')).color);
  assert.ok(ink.match(/\d+/g).map(Number)[0] > 150, 'light text on dark: ' + ink);
  await shot(page, 'alerts-dark');
  /* The toggle: system -> dark -> light, kept across a reload. */
  await page.locator('#theme-toggle').click();
  await page.locator('#theme-toggle').click();
  assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), 'light');
  assert.ok(await lum() > 200, 'light background after the toggle');
  await page.reload();
  await page.locator('#alerts tbody tr[data-id]').first().waitFor();
  assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), 'light', 'the choice survives a reload');
  assert.ok(await lum() > 200);
  noProblems(page);
});

test('the alerts table is readable at 1024 px without a horizontal page scroll', async () => {
  const db = path.join(work, 'sample.db');
  const srv = await serve(db);
  const page = await newPage(srv, { width: 1024, height: 768 });
  await page.goto(srv.base + '/');
  await page.locator('#alerts tbody tr[data-id]').first().waitFor();
  const [scrollW, innerW] = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
  assert.ok(scrollW <= innerW, `page ${scrollW} px wide in a ${innerW} px window`);
  /* Addresses, times and severities are whole; reasons are one line until clicked. */
  const clipped = await page.evaluate(() => [...document.querySelectorAll('#alerts td.ep a, #alerts td.time, #alerts .sev, #alerts .tri')]
    .filter((e) => { const box = e.closest('td'); return e.getBoundingClientRect().right > box.getBoundingClientRect().right + 1; })
    .map((e) => e.textContent));
  assert.deepEqual(clipped, [], 'nothing cut off');
  const reason = page.locator('#alerts tbody td.reason').first();
  const h1 = (await reason.boundingBox()).height;
  assert.equal(await reason.evaluate((td) => getComputedStyle(td).whiteSpace), 'nowrap');
  await reason.click();
  assert.ok((await reason.boundingBox()).height > h1, 'a click opens the whole reason');
  const rows = await page.locator('#alerts tbody tr[data-id]').count();
  assert.ok(rows >= 8, 'every alert of the sample night on one screen of rows: ' + rows);
  noProblems(page);
});

test('a signed-out page asks for a token, signs in with it (cookie, no token kept), then everything works', async () => {
  const db = path.join(work, 'sample.db');
  const srv = await serve(db);
  const page = await newPage(null);
  await page.goto(srv.base + '/');
  await page.locator('#token-form').waitFor();
  assert.equal(await page.locator('#alerts tbody tr[data-id]').count(), 0, 'no data without the token');
  await page.locator('#token-input').fill('not-the-token-' + '0'.repeat(40));
  await page.locator('#token-form button').click();
  await page.locator('#token-error', { hasText: 'not accepted' }).waitFor();
  await page.locator('#token-input').fill(srv.token);
  await page.locator('#token-form button').click();
  await page.locator('#alerts tbody tr[data-id]').first().waitFor();
  await page.locator('#live[data-state=stored]').waitFor({ timeout: 5000 });
  assert.equal(await page.evaluate(() => JSON.stringify(sessionStorage) + JSON.stringify(localStorage) + document.cookie)
    .then((s) => s.includes(srv.token)), false, 'the page keeps no token');
  assert.equal(await page.locator('#session-role').textContent(), 'admin');
  /* Triage works signed in with the cookie too, and names the token. */
  const id = await page.locator('#alerts tbody tr[data-id]').first().getAttribute('data-id');
  await page.goto(srv.base + '/alert.html?id=' + id);
  await page.locator('button.triage-set[data-status=escalated]').click();
  await page.waitForFunction(() => document.querySelector('#triage-state .tri').textContent === 'escalated');
  assert.match(await page.locator('#triage-state').textContent(), /test-admin/);
  await shot(page, 'token');
  noProblems(page);
});

test('without --tokens: the one-time login link signs the page in, then everything works', async () => {
  const db = path.join(work, 'sample.db');
  const srv = await serve(db, { tokens: false });
  const file = (srv.stderr().match(/login URL in (\S+)/) || [])[1];
  assert.ok(file, 'serve names the file holding the login link');
  assert.doesNotMatch(srv.stderr(), /[0-9a-f]{64}/, 'no token on stderr');
  const url = fs.readFileSync(file, 'utf8').split('\n')[1];
  const page = await newPage(null);
  await page.goto(srv.base + '/');
  await page.locator('#token-form').waitFor();
  assert.equal(await page.locator('#alerts tbody tr[data-id]').count(), 0, 'no data before signing in');
  await page.goto(url);
  await page.waitForURL(srv.base + '/');
  assert.doesNotMatch(page.url(), /token/, 'the address no longer holds the token');
  await page.locator('#alerts tbody tr[data-id]').first().waitFor();
  await page.locator('#live[data-state]').waitFor({ timeout: 5000 });
  const cookies = await page.context().cookies(srv.base);
  const c = cookies.find((x) => x.name === 'ow_session');
  assert.ok(c && c.httpOnly && c.sameSite === 'Strict', 'an HttpOnly SameSite=Strict session cookie: ' + JSON.stringify(cookies));
  assert.equal(await page.evaluate(() => document.cookie), '', 'the page script cannot read it');
  assert.equal(await page.locator('#session-role').textContent(), 'admin');
  assert.equal(fs.existsSync(file), false, 'the used login token file is gone');
  await shot(page, 'signed-in');
  // The link works once: a second browser is refused.
  const other = await newPage(null);
  await other.goto(url);
  assert.equal((await other.content()).includes('was used already'), true, 'a used link is refused');
  noProblems(page);
});

test('screenshots of every page at 1024, 1440 and 1920 px, light and dark', async () => {
  const db = path.join(work, 'triage.db');
  const srv = await serve(db, '--policy', POLICY);
  const alerts = storedAlerts(db);
  const pages = [['alerts', '/'], ['grouped', '/?view=groups'], ['alert', '/alert.html?id=' + alerts[0].alert.id],
    ['flows', '/flows.html'], ['assets', '/assets.html'], ['asset', '/asset.html?name=ne-core'], ['rules', '/rules.html'],
    ['health', '/health.html'], ['report', '/report.html'], ['notfound', '/nope.html']];
  for (const scheme of ['light', 'dark']) {
    for (const width of [1024, 1440, 1920]) {
      const page = await newPage(srv, { width, colorScheme: scheme });
      for (const [name, url] of pages) {
        await page.goto(srv.base + url);
        await page.waitForLoadState('networkidle');
        const [sw, iw] = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
        assert.ok(sw <= iw, `${name} at ${width} px (${scheme}) is ${sw} px wide`);
        await shot(page, `page-${name}-${width}-${scheme}`);
      }
      noProblems(page);
      await page.context().close();
    }
  }
});
