// Headless Chromium against examples/webchat served over HTTPS/WSS by arovm itself (rustls),
// trusting a test CA made here with the openssl CLI through a real trust store: a temporary HOME
// whose NSS database (~/.pki/nssdb, made with certutil from libnss3-tools) holds the CA, and no
// certificate-error flags. A message posted from one page arrives over wss:// in the other; a
// browser without the CA refuses the page. tests/e2e/README.md lists the checks.
// Prints one line per check and ends with `N passed, N failed`.
import { chromium } from 'playwright-core';
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const arovm = process.env.AROVM || path.join(root, 'target/release/arovm');
const results = [];
const check = (name, ok, detail = '') => {
  results.push(Boolean(ok));
  console.log(`${ok ? 'PASS' : 'FAIL'} ${name}${ok ? '' : ': ' + detail}`);
};
const expect = (name, wait) => wait.then(() => check(name, true)).catch((e) => check(name, false, e.message));

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
  });
}

const run = (cmd, args, cwd) => execFileSync(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });

// A CA and a certificate for localhost and 127.0.0.1 signed by it, in dir.
function makeCerts(dir) {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  run('openssl', ['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=arovm-test-ca'], dir);
  run('openssl', ['req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost'], dir);
  fs.writeFileSync(path.join(dir, 'ext.cnf'),
    'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n');
  run('openssl', ['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-set_serial', '4242',
    '-out', 'server.pem', '-days', '2', '-extfile', 'ext.cnf'], dir);
}

// A HOME whose NSS database (the one Chromium on Linux reads) trusts ca (or nothing, without ca).
function makeHome(dir, ca) {
  const db = path.join(dir, '.pki', 'nssdb');
  fs.mkdirSync(db, { recursive: true });
  run('certutil', ['-d', `sql:${db}`, '-N', '--empty-password']);
  if (ca) run('certutil', ['-d', `sql:${db}`, '-A', '-t', 'C,,', '-n', 'arovm-test', '-i', ca]);
  return dir;
}

function startServer(port, cert, key) {
  return new Promise((resolve, reject) => {
    const p = spawn(arovm, ['run', path.join(root, 'examples/webchat'), '--port', String(port), '--bind', '127.0.0.1',
      '--tls-cert', cert, '--tls-key', key]);
    p.out = '';
    p.err = '';
    p.stdout.on('data', (d) => {
      p.out += d;
      if (p.out.includes('HTTP Server started')) resolve(p);
    });
    p.stderr.on('data', (d) => { p.err += d; });
    p.on('exit', (c) => reject(new Error(`arovm exited ${c}: ${p.out} ${p.err}`)));
  });
}

function stopServer(p) {
  if (p.exitCode !== null) return Promise.resolve(p.exitCode);
  return new Promise((resolve) => { p.removeAllListeners('exit'); p.on('exit', resolve); p.kill('SIGTERM'); });
}

const launch = (home) => chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  env: { ...process.env, HOME: home },
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});

// Polls cond() until it returns something truthy (returned) or ms pass (null).
async function waitFor(cond, ms) {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 50))) {
    const v = cond();
    if (v) return v;
  }
  return cond() || null;
}

const waitState = (page, state, timeout = 5000) =>
  page.waitForFunction((st) => document.getElementById('status').dataset.state === st, state, { timeout });

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'arovm-tls-chromium-'));
let server = null;
const browsers = [];
try {
  makeCerts(tmp);
  const trusted = makeHome(path.join(tmp, 'home-trusted'), path.join(tmp, 'ca.pem'));
  const untrusted = makeHome(path.join(tmp, 'home-untrusted'), null);
  const port = await freePort();
  server = await startServer(port, path.join(tmp, 'server.pem'), path.join(tmp, 'server.key'));
  const base = `https://localhost:${port}`;

  const browser = await launch(trusted);
  browsers.push(browser);
  const a = await (await browser.newContext()).newPage();
  const b = await (await browser.newContext()).newPage();
  // The WebSockets each page opens, and the text frames they receive.
  const sockets = { a: [], b: [] };
  for (const [name, page] of [['a', a], ['b', b]]) {
    page.on('websocket', (ws) => {
      const s = { url: ws.url(), frames: [] };
      sockets[name].push(s);
      ws.on('framereceived', (f) => s.frames.push(String(f.payload)));
    });
  }
  const errors = [];
  const response = await a.goto(`${base}/`).catch((e) => { errors.push(e.message); return null; });
  const sec = response && await response.securityDetails();
  check('the page loads over https:// with the CA from the NSS database (200)', response && response.status() === 200,
    errors.join(' ') || (response && response.status()));
  check('its certificate: issued by arovm-test-ca for localhost, TLS 1.3',
    sec && sec.issuer === 'arovm-test-ca' && sec.subjectName === 'localhost' && sec.protocol === 'TLS 1.3',
    JSON.stringify(sec));
  await b.goto(`${base}/`);
  check("location.protocol is 'https:'", (await a.evaluate(() => location.protocol)) === 'https:',
    await a.evaluate(() => location.protocol));
  check('the page is a secure context', await a.evaluate(() => window.isSecureContext), 'isSecureContext false');
  await expect('both pages connect their WebSocket and show "online"',
    Promise.all([waitState(a, 'online'), waitState(b, 'online')]));
  const urls = [...sockets.a, ...sockets.b].map((s) => s.url);
  check(`the pages' WebSocket URL is wss://localhost:${port}/ws`,
    urls.length === 2 && urls.every((u) => u === `wss://localhost:${port}/ws`), JSON.stringify(urls));

  await a.fill('#text', 'hello over wss');
  await a.click('button');
  await expect('a message posted from page A appears in page B',
    b.waitForSelector('#messages li:has-text("hello over wss")', { timeout: 5000 }));
  const arrived = sockets.b.some((s) => s.frames.some((f) => f.includes('hello over wss')));
  check("... it reached page B as a frame on B's wss:// connection", arrived, JSON.stringify(sockets.b));
  const stored = await a.evaluate(async () => (await (await fetch('/messages')).json()).data.map((m) => m.message));
  check("the page's fetch of /messages over https lists it", JSON.stringify(stored) === '["hello over wss"]',
    JSON.stringify(stored));
  const access = /info request remote=127\.0\.0\.1 method=POST path=\/messages status=201/.test(server.err);
  check('arovm wrote the access line of the POST', access, server.err.slice(-500));

  // A browser whose trust store lacks the CA refuses the page.
  const stranger = await launch(untrusted);
  browsers.push(stranger);
  const c = await (await stranger.newContext()).newPage();
  const refused = await c.goto(`${base}/`).then(() => 'loaded', (e) => e.message);
  check('without the CA in its NSS database Chromium refuses the page (net::ERR_CERT_AUTHORITY_INVALID)',
    refused.includes('net::ERR_CERT_AUTHORITY_INVALID'), refused);
  const after = await b.evaluate(async () => (await fetch('/messages')).status).catch((e) => e.message);
  check('the server still serves the trusted browser afterwards', after === 200, after);

  // Page B goes away: its wss:// connection ends with an access line (path, messages out).
  await b.context().close();
  const wsLine = await waitFor(() => server.err.match(/^\S+ info websocket remote=127\.0\.0\.1 .*path=\/ws .*$/m), 5000);
  const out = wsLine && Number((wsLine[0].match(/messages_out=(\d+)/) || [])[1]);
  check("closing page B writes its WebSocket's access line (path=/ws, the broadcast counted)", out >= 1,
    server.err.slice(-500));

  const code = await stopServer(server);
  check('arovm exits 0 after SIGTERM', code === 0, `${code} ${server.err.slice(-500)}`);
} catch (e) {
  check('the test ran to its end', false, e.stack || e.message);
  if (server) console.log(`--- arovm stdout ---\n${server.out}\n--- arovm stderr ---\n${server.err.slice(-2000)}`);
} finally {
  for (const b of browsers) await b.close().catch(() => {});
  if (server) await stopServer(server);
  fs.rmSync(tmp, { recursive: true, force: true });
}
const passed = results.filter(Boolean).length;
console.log(`${passed} passed, ${results.length - passed} failed`);
process.exit(results.length && passed === results.length ? 0 : 1);
