// helpers.mjs — what the browser tests share: Debian's chromium through playwright-core,
// stores made by replaying captures with the built omwitness, servers (`serve`, or the test
// health server) on 127.0.0.1 with a free port and a --tokens file, and signing in. The test
// tokens live here (the same ones as tests/api/apitest.py). newPage(srv) signs its page in to
// srv through /login, as the page's sign-in form does, so it holds the session cookie a
// person's browser would; apiGet(srv, path) calls the API with a bearer token.
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
export const HEALTH_SERVER = process.env.OW_HEALTH_SERVER;
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

export function cli(...args) {
  const r = spawnSync(OMWITNESS, args, { encoding: 'utf8' });
  assert.equal(r.status, 0, `omwitness ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

export function storedAlerts(db) {
  return cli('alerts', '--db', db, '--format', 'jsonl').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
}

/* A --tokens file (0600) with one test token per role. */
export function writeTokens(dir = state.work) {
  const file = path.join(dir, 'tokens');
  fs.writeFileSync(file, ROLES.map((r) => `test-${r} ${r} ${TOKENS[r]}\n`).join(''), { mode: 0o600 });
  fs.chmodSync(file, 0o600);
  return file;
}

/* Starts a server command line and waits for "listening on port N". tokens: whether it
 * was given the test tokens (else it made a one-time login token and names its file). */
export function start(cmdline, db, { tokens = true } = {}) {
  const [cmd, ...args] = cmdline;
  const proc = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  return new Promise((resolve, reject) => {
    let err = '';
    const timer = setTimeout(() => reject(new Error('server did not start: ' + err)), 10000);
    proc.stderr.on('data', (d) => {
      err += d;
      const m = err.match(/listening on port (\d+)/);
      if (m && (tokens || /login URL in \S+/.test(err))) {
        clearTimeout(timer);
        const srv = { proc, db, base: `http://127.0.0.1:${m[1]}`, stderr: () => err, tokens,
                      token: tokens ? TOKENS.admin : null };
        state.servers.push(srv);
        resolve(srv);
      }
    });
    proc.on('exit', (code) => reject(new Error(`server exited ${code}: ${err}`)));
  });
}

/* `serve` over db with the test tokens; a last argument { tokens: false } leaves them out. */
export function serve(db, ...extra) {
  let tokens = true;
  if (extra.length && typeof extra[extra.length - 1] === 'object') tokens = extra.pop().tokens !== false;
  const args = [OMWITNESS, 'serve', '--db', db, '--listen', '127.0.0.1:0', '--webui', WEBUI, ...extra];
  if (tokens && !extra.includes('--tokens')) args.push('--tokens', writeTokens());
  return start(args, db, { tokens });
}

/* Signs a browser context in to srv as role: /login with the role's token in a header, as
 * the page's sign-in form does; the session cookie it sets is what the page then sends. */
export async function login(context, srv, role = 'admin') {
  if (!srv || !srv.tokens) return null;
  const r = await context.request.get(srv.base + '/login', {
    headers: { Authorization: 'Bearer ' + TOKENS[role], Accept: 'application/json' } });
  assert.equal(r.status(), 200, `login as ${role}: ${r.status()}`);
  const who = await r.json();
  assert.equal(who.role, role);
  return who;
}

export async function apiGet(srv, p, role = 'admin') {
  const r = await fetch(srv.base + p, { headers: { Authorization: 'Bearer ' + TOKENS[role] } });
  return { status: r.status, body: await r.json().catch(() => null) };
}

/* A page that records console errors (CSP refusals among them) and JS exceptions, signed in
 * to srv as opts.role (admin unless said; srv null: signed in nowhere). */
export async function newPage(srv, opts = {}) {
  const context = await state.browser.newContext({ viewport: { width: opts.width || 1360, height: opts.height || 900 },
    acceptDownloads: true, colorScheme: opts.colorScheme || 'light' });
  await login(context, srv, opts.role || 'admin');
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

export function noProblems(page, allow) {
  const bad = page.problems.filter((p) => !/401|403|Failed to load resource/.test(p) && !(allow && allow.test(p)));
  assert.deepEqual(bad, [], 'console errors / CSP refusals / exceptions');
}
