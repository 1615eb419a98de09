// Two headless Chromium pages against examples/webchat: a message posted from one page appears in
// the other; after a server restart both pages reconnect by themselves and chat again; nothing a
// user typed is lost (an answer lost on the way, text typed while the server is down, a message
// posted while the pages were away) and every message shows exactly once; a page opened later
// shows the history; the reconnect backoff has jitter. tests/e2e/README.md lists the checks.
// Prints one line per check and ends with `N passed, N failed`.
import { chromium } from 'playwright-core';
import { spawn } from 'node:child_process';
import path from 'node:path';
import net from 'node:net';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const arovm = process.env.AROVM || path.join(root, 'target/release/arovm');
const results = [];
const check = (name, ok, detail = '') => {
  results.push(ok);
  console.log(`${ok ? 'PASS' : 'FAIL'} ${name}${ok ? '' : ': ' + detail}`);
};
// Runs `wait` (a promise) and records it as one check.
const expect = (name, wait) => wait.then(() => check(name, true)).catch((e) => check(name, false, e.message));

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

// The page's connection state (`connecting`, `online`, `offline`) and its pending count.
const stateOf = (page) => page.$eval('#status', (s) => ({ state: s.dataset.state, pending: Number(s.dataset.pending), text: s.textContent }));
const waitState = (page, state, timeout = 5000) =>
  page.waitForFunction((st) => document.getElementById('status').dataset.state === st, state, { timeout });
// How often `text` is on the page, shown or pending.
const count = (page, text) =>
  page.$$eval('#messages li, #pending li', (lis, t) => lis.filter((li) => li.textContent === t).length, text);
const shownTexts = (page) => page.$$eval('#messages li', (lis) => lis.map((li) => li.textContent));
const pendingTexts = (page) => page.$$eval('#pending li', (lis) => lis.map((li) => li.textContent));
// Waits until the page is online, has nothing pending and shows every one of `texts`.
const settled = (page, texts, timeout = 20000) => page.waitForFunction((ts) => {
  const s = document.getElementById('status');
  const shown = Array.from(document.querySelectorAll('#messages li'), (li) => li.textContent);
  return s.dataset.state === 'online' && s.dataset.pending === '0' && ts.every((t) => shown.includes(t));
}, texts, { timeout });

const port = await freePort();
const base = `http://127.0.0.1:${port}`;
const serverTexts = async () => (await (await fetch(`${base}/messages`)).json()).data.map((m) => m.message);
let server = await startServer(port);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  // One browser context per page, so that each can be taken off the network on its own.
  const ctxA = await browser.newContext();
  const ctxB = await browser.newContext();
  const a = await ctxA.newPage();
  const b = await ctxB.newPage();
  await a.goto(`${base}/`);
  await b.goto(`${base}/`);
  await expect('both pages connect and show "online"', Promise.all([waitState(a, 'online'), waitState(b, 'online')]));

  await send(a, 'hello from page A');
  await expect('a message posted in page A appears in page B',
    b.waitForSelector('#messages li:has-text("hello from page A")', { timeout: 5000 }));

  // Restart 1: the pages find the server again by themselves (the backoff timer).
  await stopServer(server);
  await expect('pages notice the server is gone and show "offline"',
    Promise.all([waitState(a, 'offline'), waitState(b, 'offline')]));
  server = await startServer(port);
  const backAt = Date.now();
  await expect('both pages reconnect by themselves after a restart',
    Promise.all([waitState(a, 'online', 20000), waitState(b, 'online', 20000)]));
  const kept = [await count(a, 'hello from page A'), await count(b, 'hello from page A')];
  check('the pages keep what they showed though the restarted server has no history',
    kept[0] === 1 && kept[1] === 1, JSON.stringify(kept));

  await send(b, 'back again from B');
  await expect('chat works after the reconnect',
    a.waitForSelector('#messages li:has-text("back again from B")', { timeout: 5000 }));

  // Page A's POST fails (it never reaches the server) while the socket is up: the message stays
  // pending and visible, and A sends it again after a backoff.
  let tries = 0;
  let pendingOnRetry = null;
  await a.route('**/messages', async (route) => {
    if (route.request().method() !== 'POST') return route.continue();
    tries += 1;
    if (tries === 1) return route.abort('connectionrefused');
    if (tries === 2) pendingOnRetry = await pendingTexts(a);
    return route.continue();
  });
  await send(a, 'failed once');
  await expect('a message whose POST failed is sent again and shows on both pages',
    Promise.all([settled(a, ['failed once']), settled(b, ['failed once'])]));
  await a.unroute('**/messages');
  const failedCounts = [await count(a, 'failed once'), await count(b, 'failed once'),
    (await serverTexts()).filter((t) => t === 'failed once').length];
  check('... it stayed pending and visible until then, and shows once',
    tries === 2 && JSON.stringify(pendingOnRetry) === '["failed once"]' && failedCounts.every((n) => n === 1),
    `tries=${tries} pending on retry=${JSON.stringify(pendingOnRetry)} counts=${failedCounts}`);

  // The server stores page B's message, but B never hears the answer: B keeps it pending and
  // sends it again (same id) unless the broadcast told it first; either way it shows once.
  let lost = false;
  await b.route('**/messages', async (route) => {
    if (route.request().method() !== 'POST' || lost) return route.continue();
    lost = true;
    await route.fetch();
    await route.abort('connectionreset');
  });
  await send(b, 'answer lost once');
  await expect('a message whose answer was lost ends up shown on both pages',
    Promise.all([settled(a, ['answer lost once']), settled(b, ['answer lost once'])]));
  await b.unroute('**/messages');
  const lostCounts = [await count(a, 'answer lost once'), await count(b, 'answer lost once'),
    (await serverTexts()).filter((t) => t === 'answer lost once').length];
  check('... exactly once on each page and in the server', lost && lostCounts.every((n) => n === 1),
    `intercepted=${lost} counts=${lostCounts}`);

  // A resend of a stored id stores and broadcasts nothing new.
  const post = (body) => fetch(`${base}/messages`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  const first = await post({ id: 'e2e-resend-0001', message: 'sent twice' });
  const again = await post({ id: 'e2e-resend-0001', message: 'sent twice' });
  const bad = await post({ id: 42, message: 'bad id' });
  await Promise.all([settled(a, ['sent twice']), settled(b, ['sent twice'])]).catch(() => {});
  const twice = (await serverTexts()).filter((t) => t === 'sent twice').length;
  check('POST with an id already stored answers 200 and stores nothing twice; a bad id is 400',
    first.status === 201 && again.status === 200 && twice === 1 && bad.status === 400 &&
    (await count(a, 'sent twice')) === 1 && (await count(b, 'sent twice')) === 1,
    `statuses ${first.status} ${again.status} ${bad.status}, stored ${twice}x`);

  // Restart 2. While the server is down, page A queues what is typed. The pages are then kept
  // off the network until a message has been posted behind their backs (plain HTTP), so that it
  // can reach them only through the history they load when they reconnect.
  await stopServer(server);
  await Promise.all([waitState(a, 'offline'), waitState(b, 'offline')]);
  await Promise.all([ctxA.setOffline(true), ctxB.setOffline(true)]);
  await send(a, 'typed offline 1');
  await send(a, 'typed offline 2');
  // (read while "offline": between two tries the page is briefly "connecting")
  const queued = await a.waitForFunction(() => {
    const s = document.getElementById('status');
    return s.dataset.state === 'offline' && { pending: Number(s.dataset.pending), text: s.textContent };
  }, null, { timeout: 15000 }).then((h) => h.jsonValue());
  const pendingA = await pendingTexts(a);
  check('text typed on page A while the server is down stays queued, in order, and visible',
    queued.pending === 2 && / 2 pending/.test(queued.text) &&
    JSON.stringify(pendingA) === JSON.stringify(['typed offline 1', 'typed offline 2']) &&
    !(await shownTexts(a)).includes('typed offline 1'),
    `${JSON.stringify(queued)} pending=${JSON.stringify(pendingA)}`);
  await a.waitForTimeout(300);
  check('... and stays queued while the server stays unreachable',
    JSON.stringify(await pendingTexts(a)) === JSON.stringify(pendingA), JSON.stringify(await pendingTexts(a)));

  server = await startServer(port);
  const gap = await post({ message: 'posted during the gap' });
  const early = [await count(a, 'posted during the gap'), await count(b, 'posted during the gap')];
  check('a message posted during the gap is stored while the pages are away',
    gap.status === 201 && early[0] === 0 && early[1] === 0, `status ${gap.status}, shown ${early}`);
  await Promise.all([ctxA.setOffline(false), ctxB.setOffline(false)]);

  const all = ['hello from page A', 'back again from B', 'failed once', 'answer lost once', 'sent twice',
    'typed offline 1', 'typed offline 2', 'posted during the gap'];
  await expect('both pages come back online with nothing pending and every message',
    Promise.all([settled(a, all), settled(b, all)]));
  for (const [name, page] of [['A', a], ['B', b]]) {
    const counts = Object.fromEntries(await Promise.all(all.map(async (t) => [t, await count(page, t)])));
    check(`page ${name} shows every message exactly once`, all.every((t) => counts[t] === 1), JSON.stringify(counts));
    const shown = await shownTexts(page);
    check(`page ${name} shows the queued messages in the order they were typed`,
      shown.indexOf('typed offline 1') < shown.indexOf('typed offline 2'), JSON.stringify(shown));
    const st = await stateOf(page);
    check(`page ${name} shows "online · 0 pending"`, st.state === 'online' && st.text.startsWith('online · 0 pending'), st.text);
  }
  const stored = await serverTexts();
  check('the server stored each resent message once',
    ['typed offline 1', 'typed offline 2', 'posted during the gap'].every((t) => stored.filter((s) => s === t).length === 1),
    JSON.stringify(stored));

  await send(b, 'after the gap from B');
  await expect('chat works after the second restart',
    a.waitForSelector('#messages li:has-text("after the gap from B")', { timeout: 5000 }));

  // A page opened now shows the server's history, in the server's order.
  const c = await ctxB.newPage();
  await c.goto(`${base}/`);
  const history = await serverTexts();
  await expect('a page opened later loads the history', settled(c, history));
  const shownC = await shownTexts(c);
  check('... in the server\'s order, each message once', JSON.stringify(shownC) === JSON.stringify(history),
    `${JSON.stringify(shownC)} vs ${JSON.stringify(history)}`);

  // Jitter: the page's backoff, called directly, stays within 0..min(10 s, 250 ms * 2^n) and
  // varies; the delays the two pages actually waited differ.
  const samples = await a.evaluate(() => Array.from({ length: 12 }, (_, n) =>
    ({ n, cap: Math.min(10000, 250 * 2 ** n), d: Array.from({ length: 20 }, () => window.chat.backoff(n)) })));
  const outOfBounds = samples.filter((s) => s.d.some((d) => d < 0 || d > s.cap) || new Set(s.d).size < 2);
  check('backoff(n) is random in [0, min(10 s, 250 ms * 2^n)]', outOfBounds.length === 0, JSON.stringify(outOfBounds));
  const waited = await Promise.all([a, b].map((p) => p.evaluate(() =>
    window.chat.events.filter((e) => e.type === 'retry').map((e) => e.delay))));
  check('the two pages waited different delays before reconnecting',
    waited[0].length > 0 && waited[1].length > 0 && waited.every((w) => w.every((d) => d >= 0 && d <= 10000)) &&
    JSON.stringify(waited[0]) !== JSON.stringify(waited[1]), JSON.stringify(waited));
  // For the record only (timing is not asserted): when each page was back after restart 1.
  const onlineAt = await Promise.all([a, b].map((p) => p.evaluate(() =>
    window.chat.events.filter((e) => e.type === 'online').map((e) => e.t))));
  console.log(`     (after restart 1 the pages were online again ${onlineAt[0][1] - backAt} ms (A) and ` +
    `${onlineAt[1][1] - backAt} ms (B) after the server was back; delays waited: A ${waited[0].map(Math.round)}, B ${waited[1].map(Math.round)})`);
} catch (e) {
  check('browser session', false, e.stack);
} finally {
  await browser.close();
  await stopServer(server);
}
const passed = results.filter(Boolean).length;
console.log(`${passed} passed, ${results.length - passed} failed`);
process.exit(passed === results.length ? 0 : 1);
