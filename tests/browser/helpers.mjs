// helpers.mjs — what the browser tests share: Debian's chromium through playwright-core,
// stores made by replaying captures with the built omwitness, `serve` on 127.0.0.1 with a free
// port and a --tokens file, and signing in. The test tokens live here (the same ones as
// tests/api/apitest.py); newPage() signs its page in to every server started so far through
// /login, so a page holds the session cookie a person's browser would.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const HERE = path.dirname(fileURLToPath(import.meta.url));
export const SRC = process.env.OW_SOURCE_ROOT || path.resolve(HERE, '..', '..');
export const OUT = path.join(HERE, 'out');
export const OMWITNESS = process.env.OMWITNESS;
export const SAMPLE_PCAP = path.join(SRC, 'examples', 'sample-om-night.pcap');
export const POLICY = path.join(SRC, 'examples', 'sample-policy.yaml');
export const WEBUI = path.join(SRC, 'webui-static');
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export const ROLES = ['analyst', 'li-officer', 'admin'];
export const TOKENS = Object.fromEntries(ROLES.map((r) =>
  [r, crypto.createHash('sha256').update('omwitness-test-' + r).digest('hex')]));

export const state = { work: null, browser: null, servers: [] };

export async function setup() {
  assert.ok(OMWITNESS, 'OMWITNESS must point at the built binary');
  fs.mkdirSync(OUT, { recursive: true });
  state.work = fs.mkdtempSync(path.join(os.tmpdir(), 'ow-browser-'));
  state.browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS, headless: true });
  return state;
}

export async function teardown() {
  if (state.browser) await state.browser.close();
  for (const s of state.servers) if (s.proc.exitCode === null) s.proc.kill('SIGINT');
  if (state.work) fs.rmSync(state.work, { recursive: true, force: true });
}

export function replay(db, pcap) {
  const r = spawnSync(OMWITNESS, ['replay', '--policy', POLICY, '--db', db, pcap], { encoding: 'utf8', timeout: 120000 });
  assert.equal(r.status, 0, `replay ${pcap}: ${r.stderr}`);
}

export function storedAlerts(db) {
  const r = spawnSync(OMWITNESS, ['alerts', '--db', db, '--format', 'jsonl'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
}

/* A --tokens file (0600) with one test token per role. */
export function writeTokens(dir) {
  const file = path.join(dir, 'tokens');
  fs.writeFileSync(file, ROLES.map((r) => `test-${r} ${r} ${TOKENS[r]}\n`).join(''), { mode: 0o600 });
  fs.chmodSync(file, 0o600);
  return file;
}

/* `serve` over db; pass tokens: false to have it make a one-time login token instead. */
export function serve(db, ...extra) {
  let withTokens = true;
  if (extra.length && typeof extra[extra.length - 1] === 'object') withTokens = extra.pop().tokens !== false;
  const args = ['serve', '--db', db, '--listen', '127.0.0.1:0', '--webui', WEBUI, ...extra];
  if (withTokens && !extra.includes('--tokens')) args.push('--tokens', writeTokens(state.work));
  const proc = spawn(OMWITNESS, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  return new Promise((resolve, reject) => {
    let err = '';
    const timer = setTimeout(() => reject(new Error('serve did not start: ' + err)), 10000);
    proc.stderr.on('data', (d) => {
      err += d;
      const m = err.match(/listening on port (\d+)/);
      if (m && (withTokens || /login URL in \S+/.test(err))) {
        clearTimeout(timer);
        const srv = { proc, base: `http://127.0.0.1:${m[1]}`, stderr: () => err, tokens: withTokens };
        state.servers.push(srv);
        resolve(srv);
      }
    });
    proc.on('exit', (code) => reject(new Error(`serve exited ${code}: ${err}`)));
  });
}

/* Signs a browser context in to srv as role: /login with the role's token, as the page's
 * sign-in form does; the session cookie it sets is what the page then sends. */
export async function login(context, srv, role = 'admin') {
  const r = await context.request.get(srv.base + '/login', {
    headers: { Authorization: 'Bearer ' + TOKENS[role], Accept: 'application/json' } });
  assert.equal(r.status(), 200, `login as ${role}: ${r.status()}`);
  const who = await r.json();
  assert.equal(who.role, role);
  return who;
}

/* A page that records console errors (CSP refusals among them) and JS exceptions, signed in
 * as role to every server started so far (those started without tokens are left alone). */
export async function newPage(role = 'admin') {
  const context = await state.browser.newContext({ viewport: { width: 1360, height: 900 }, acceptDownloads: true });
  for (const s of state.servers) if (s.tokens && s.proc.exitCode === null) await login(context, s, role);
  const page = await context.newPage();
  page.problems = [];
  page.on('console', (m) => { if (m.type() === 'error') page.problems.push(m.text()); });
  page.on('pageerror', (e) => page.problems.push('exception: ' + e.message));
  page.on('dialog', (d) => { page.problems.push('dialog: ' + d.message()); d.dismiss(); });
  return page;
}

export async function shot(page, name) {
  await page.screenshot({ path: path.join(OUT, name + '.png'), fullPage: true });
}

export function noProblems(page) {
  const bad = page.problems.filter((p) => !/401|403|Failed to load resource/.test(p));
  assert.deepEqual(bad, [], 'console errors / CSP refusals / exceptions');
}
