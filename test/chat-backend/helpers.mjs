// What the chat backend's tests share: free ports, child processes that are always stopped,
// soketi, the backend itself, and HTTP requests with a deadline. Not a test file itself (node's
// test runner only runs files named like *_test.mjs).
//
// Everything binds to 127.0.0.1 on free ports. Children are stopped by pid in stopChildren()
// and, should the test process die, exit on their own when their stdin closes.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const root = path.resolve(here, '../..');
export const interop = path.join(root, 'test/interop');
export const app = { id: 'app-id', key: 'app-key', secret: 'app-secret' };
export const kWait = 10_000;  // every wait for an event or a reply
export const kStartup = 30_000;

export function withDeadline(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export async function freePort() {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address();
  server.close();
  await once(server, 'close');
  return port;
}

const children = [];

// Starts a node process with its stdin held open (closing it tells the child to exit).
export function startNode(argv, { env = {}, cwd = root, name }) {
  const child = spawn(process.execPath, argv, { cwd, env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'pipe'] });
  child.output = '';
  child.label = name;
  child.stdout.on('data', (d) => { child.output += d; });
  child.stderr.on('data', (d) => { child.output += d; });
  children.push(child);
  return child;
}

export async function stop(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
  await withDeadline(exited, 6000, `${child.label} (pid ${child.pid}) to exit`).catch(() => {});
  clearTimeout(timer);
}

export async function stopChildren() {
  for (const child of children) await stop(child);
}

export async function startSoketi() {
  const port = await freePort();
  let metrics = await freePort();
  for (let i = 0; i < 5 && metrics === port; i++) metrics = await freePort();
  const child = startNode([
    '--import', path.join(interop, 'exit-with-parent.mjs'),
    path.join(interop, 'node_modules/@soketi/soketi/bin/server.js'), 'start',
  ], {
    cwd: interop,
    name: 'soketi',
    env: {
      SOKETI_HOST: '127.0.0.1',
      SOKETI_PORT: String(port),
      SOKETI_METRICS_ENABLED: 'false',
      SOKETI_METRICS_HOST: '127.0.0.1',
      SOKETI_METRICS_SERVER_PORT: String(metrics),
      SOKETI_DEFAULT_APP_ID: app.id,
      SOKETI_DEFAULT_APP_KEY: app.key,
      SOKETI_DEFAULT_APP_SECRET: app.secret,
      SOKETI_DEFAULT_APP_ENABLE_CLIENT_MESSAGES: 'true',
      SOKETI_SHUTDOWN_GRACE_PERIOD: '500',
    },
  });
  const deadline = Date.now() + kStartup;
  for (let i = 0; i < 600 && Date.now() < deadline; i++) {
    if (child.exitCode !== null) throw new Error(`soketi exited early:\n${child.output}`);
    try {
      const r = await fetch(`http://127.0.0.1:${port}/ready`, { signal: AbortSignal.timeout(1000) });
      if (r.status === 200) return { child, port };
    } catch { /* not listening yet */ }
    await sleep(100);
  }
  throw new Error(`soketi did not answer /ready on ${port} within ${kStartup} ms:\n${child.output}`);
}

const backendScript = path.join(root, 'samples/chat-backend/server.mjs');

// The backend's command line: `server` is an http(s):// URL of the Pusher HTTP API, or
// `soketiPort` uses the --soketi-port shorthand.
function backendArgs({ server, soketiPort, secret = app.secret, ca }) {
  const where = server !== undefined ? ['--server', server] : ['--soketi-port', String(soketiPort)];
  return [backendScript, '--port', '0', ...where, '--app-id', app.id, '--key', app.key,
    '--secret', secret, ...(ca !== undefined ? ['--ca', ca] : []), '--exit-with-stdin'];
}

// Starts the backend; resolves once it printed READY, with its child and base URL.
export async function startBackend(options) {
  const child = startNode(backendArgs(options), { name: 'backend', env: options.env });
  const ready = new Promise((resolve, reject) => {
    child.stdout.on('data', () => {
      const m = /^READY (\d+)$/m.exec(child.output);
      if (m) resolve(Number(m[1]));
    });
    child.on('exit', (code) => reject(new Error(`backend exited with ${code}:\n${child.output}`)));
  });
  const port = await withDeadline(ready, kStartup, 'the backend to print READY');
  return { child, url: `http://127.0.0.1:${port}` };
}

// Runs the backend with ARGV (after server.mjs) that should make it refuse to start; resolves
// with its exit code and output.
export async function runBackendExpectingExit(argv) {
  const child = startNode([backendScript, ...argv], { name: 'backend' });
  const [code] = await withDeadline(once(child, 'exit'), kStartup, 'the backend to exit');
  return { code, output: child.output };
}

// The lines of CHILD's output that match PATTERN, once there are at least COUNT of them: what a
// child writes to stderr may arrive after its HTTP answer. Polls for at most kWait ms.
export async function outputLines(child, pattern, count = 1) {
  const matching = () => child.output.split('\n').filter((line) => pattern.test(line));
  for (let i = 0; i < kWait / 50 && matching().length < count; i++) await sleep(50);
  const lines = matching();
  if (lines.length < count) {
    throw new Error(`${child.label} wrote ${lines.length} of ${count} lines matching ${pattern}:\n${child.output}`);
  }
  return lines;
}

// One HTTP request to BASE + ROUTE; the body is parsed as JSON when it is JSON.
export async function request(base, method, route, { token, json, form, headers = {} } = {}) {
  const h = { ...headers };
  if (token) h.Authorization = `Bearer ${token}`;
  let body;
  if (json !== undefined) {
    h['Content-Type'] = 'application/json';
    body = typeof json === 'string' ? json : JSON.stringify(json);
  } else if (form !== undefined) {
    h['Content-Type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(form).toString();
  }
  const r = await fetch(base + route, { method, headers: h, body, signal: AbortSignal.timeout(kWait) });
  const text = await r.text();
  let parsed;
  try { parsed = JSON.parse(text); } catch { parsed = text; }
  return { status: r.status, body: parsed };
}
