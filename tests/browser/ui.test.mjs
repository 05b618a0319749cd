// ui.test.mjs — the web UI in a real browser: Debian's chromium driven by playwright-core
// (never a downloaded browser). Stores are made by replaying captures with the built
// omwitness; `serve` runs on 127.0.0.1 with a free port. Screenshots of every page go to
// tests/browser/out/ (gitignored) so a person can look at them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const SRC = process.env.OW_SOURCE_ROOT || path.resolve(HERE, '..', '..');
const OUT = path.join(HERE, 'out');
const OMWITNESS = process.env.OMWITNESS;
const SAMPLE_PCAP = path.join(SRC, 'examples', 'sample-om-night.pcap');
const POLICY = path.join(SRC, 'examples', 'sample-policy.yaml');
const WEBUI = path.join(SRC, 'webui-static');
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

let work, browser;
const servers = [];

function replay(db, pcap) {
  const r = spawnSync(OMWITNESS, ['replay', '--policy', POLICY, '--db', db, pcap], { encoding: 'utf8', timeout: 120000 });
  assert.equal(r.status, 0, `replay ${pcap}: ${r.stderr}`);
}

function storedAlerts(db) {
  const r = spawnSync(OMWITNESS, ['alerts', '--db', db, '--format', 'jsonl'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
}

function serveCommand() {
  return [OMWITNESS, 'serve'];
}

function serve(db, ...extra) {
  const [cmd, ...pre] = serveCommand();
  const proc = spawn(cmd, [...pre, '--db', db, '--listen', '127.0.0.1:0', '--webui', WEBUI, ...extra],
    { stdio: ['ignore', 'ignore', 'pipe'] });
  servers.push(proc);
  return new Promise((resolve, reject) => {
    let err = '';
    const timer = setTimeout(() => reject(new Error('serve did not start: ' + err)), 10000);
    proc.stderr.on('data', (d) => {
      err += d;
      const m = err.match(/listening on port (\d+)/);
      if (m) { clearTimeout(timer); resolve({ proc, base: `http://127.0.0.1:${m[1]}`, stderr: () => err }); }
    });
    proc.on('exit', (code) => reject(new Error(`serve exited ${code}: ${err}`)));
  });
}

/* A page that records console errors (CSP refusals among them) and JS exceptions. */
async function newPage() {
  const context = await browser.newContext({ viewport: { width: 1360, height: 900 }, acceptDownloads: true });
  const page = await context.newPage();
  page.problems = [];
  page.on('console', (m) => { if (m.type() === 'error') page.problems.push(m.text()); });
  page.on('pageerror', (e) => page.problems.push('exception: ' + e.message));
  page.on('dialog', (d) => { page.problems.push('dialog: ' + d.message()); d.dismiss(); });
  return page;
}

async function shot(page, name) {
  await page.screenshot({ path: path.join(OUT, name + '.png'), fullPage: true });
}

function noProblems(page) {
  const bad = page.problems.filter((p) => !/401|Failed to load resource/.test(p));
  assert.deepEqual(bad, [], 'console errors / CSP refusals / exceptions');
}

before(async () => {
  assert.ok(OMWITNESS, 'OMWITNESS must point at the built binary');
  fs.mkdirSync(OUT, { recursive: true });
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'ow-browser-'));
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS, headless: true });
});

after(async () => {
  if (browser) await browser.close();
  for (const p of servers) if (p.exitCode === null) p.kill('SIGINT');
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

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

test('a server that asks for a token: the page asks for it once, then everything works', async () => {
  const db = path.join(work, 'sample.db');
  const srv = await serve(db, '--require-token');
  const token = (srv.stderr().match(/bearer token: ([0-9a-f]{64})/) || [])[1];
  assert.ok(token, 'the generated token is printed');
  const page = await newPage();
  await page.goto(srv.base + '/');
  await page.locator('#token-form').waitFor();
  assert.equal(await page.locator('#alerts tbody tr[data-id]').count(), 0, 'no data without the token');
  await page.locator('#token-input').fill(token);
  await page.locator('#token-form button').click();
  await page.locator('#alerts tbody tr[data-id]').first().waitFor();
  await page.locator('#live.on').waitFor({ timeout: 5000 });
  await shot(page, 'token');
});
