// Two headless Chromium pages against examples/webchat: a message posted from one page appears in
// the other; after a server restart both pages reconnect by themselves and chat again.
// Prints one line per check and ends with `N passed, N failed`.
import { chromium } from 'playwright-core';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import net from 'node:net';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const arovm = process.env.AROVM || path.join(root, 'target/release/arovm');
const results = [];
const check = (name, ok, detail = '') => {
  results.push(ok);
  console.log(`${ok ? 'PASS' : 'FAIL'} ${name}${ok ? '' : ': ' + detail}`);
};

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
  });
}

function startServer(port) {
  return new Promise((resolve, reject) => {
    const p = spawn(arovm, ['run', path.join(root, 'examples/webchat'), '--port', String(port), '--bind', '127.0.0.1']);
    let out = '';
    p.stdout.on('data', (d) => {
      out += d;
      if (out.includes('HTTP Server started')) resolve(p);
    });
    p.on('exit', (c) => reject(new Error(`arovm exited ${c}: ${out}`)));
  });
}

function stopServer(p) {
  return new Promise((resolve) => { p.removeAllListeners('exit'); p.on('exit', resolve); p.kill('SIGTERM'); });
}

async function send(page, text) {
  await page.fill('#text', text);
  await page.click('button');
}

const port = await freePort();
let server = await startServer(port);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  const a = await browser.newPage();
  const b = await browser.newPage();
  await a.goto(`http://127.0.0.1:${port}/`);
  await b.goto(`http://127.0.0.1:${port}/`);
  await a.waitForFunction(() => document.getElementById('status').textContent === 'connected');
  await b.waitForFunction(() => document.getElementById('status').textContent === 'connected');
  check('both pages connect', true);

  await send(a, 'hello from page A');
  await b.waitForSelector('#messages li:has-text("hello from page A")', { timeout: 5000 })
    .then(() => check('a message posted in page A appears in page B', true))
    .catch((e) => check('a message posted in page A appears in page B', false, e.message));

  await stopServer(server);
  await a.waitForFunction(() => document.getElementById('status').textContent.startsWith('reconnecting'), null, { timeout: 5000 })
    .then(() => check('pages notice the server is gone', true))
    .catch((e) => check('pages notice the server is gone', false, e.message));
  server = await startServer(port);
  await Promise.all([a, b].map((p) => p.waitForFunction(
    () => document.getElementById('status').textContent === 'connected', null, { timeout: 20000 })))
    .then(() => check('both pages reconnect by themselves after a restart', true))
    .catch((e) => check('both pages reconnect by themselves after a restart', false, e.message));

  await send(b, 'back again from B');
  await a.waitForSelector('#messages li:has-text("back again from B")', { timeout: 5000 })
    .then(() => check('chat works after the reconnect', true))
    .catch((e) => check('chat works after the reconnect', false, e.message));
} catch (e) {
  check('browser session', false, e.stack);
} finally {
  await browser.close();
  await stopServer(server);
}
const passed = results.filter(Boolean).length;
console.log(`${passed} passed, ${results.length - passed} failed`);
process.exit(passed === results.length ? 0 : 1);
