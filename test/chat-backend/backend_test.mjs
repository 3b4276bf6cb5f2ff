// Tests samples/chat-backend/server.mjs against a real soketi, with pusher-js as the client.
//
//   node --test test/chat-backend/
//
// Needs test/interop/node_modules (tools/lib.sh's ensure_npm installs it). Everything binds
// to 127.0.0.1 on free ports; the servers are stopped by pid in after() and, should this
// process die, exit on their own when their stdin closes.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const interop = path.join(root, 'test/interop');
const requireInterop = createRequire(path.join(interop, 'package.json'));
const Pusher = requireInterop('pusher-js');

const app = { id: 'app-id', key: 'app-key', secret: 'app-secret' };
const kWait = 10_000;  // every wait for an event or a reply
const kStartup = 30_000;

// ---- helpers -------------------------------------------------------------------------------
function withDeadline(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function freePort() {
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
function startNode(argv, { env = {}, cwd = root, name }) {
  const child = spawn(process.execPath, argv, { cwd, env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'pipe'] });
  child.output = '';
  child.label = name;
  child.stdout.on('data', (d) => { child.output += d; });
  child.stderr.on('data', (d) => { child.output += d; });
  children.push(child);
  return child;
}

async function stop(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
  await withDeadline(exited, 6000, `${child.label} (pid ${child.pid}) to exit`).catch(() => {});
  clearTimeout(timer);
}

async function startSoketi() {
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

async function startBackend(soketiPort) {
  const child = startNode([path.join(root, 'samples/chat-backend/server.mjs'), '--port', '0',
    '--soketi-port', String(soketiPort), '--app-id', app.id, '--key', app.key,
    '--secret', app.secret, '--exit-with-stdin'], { name: 'backend' });
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

let soketi;
let backend;
const clients = [];

async function api(method, route, { token, json, form, headers = {}, base = backend.url } = {}) {
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

async function login(name) {
  const r = await api('POST', '/login', { json: { name } });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body;
}

// A pusher-js client that records every event it gets on its channels.
async function connect(token) {
  const client = new Pusher(app.key, {
    wsHost: '127.0.0.1',
    wsPort: soketi.port,
    forceTLS: false,
    enabledTransports: ['ws'],
    cluster: '',
    disableStats: true,
    channelAuthorization: { endpoint: `${backend.url}/broadcasting/auth`, transport: 'ajax',
      headers: { Authorization: `Bearer ${token}` } },
  });
  clients.push(client);
  client.events = [];
  client.waiters = new Set();
  client.bind_global((event, data) => {
    client.events.push({ event, data });
    for (const w of client.waiters) w();
  });
  await withDeadline(new Promise((resolve, reject) => {
    client.connection.bind('connected', resolve);
    client.connection.bind('failed', () => reject(new Error('pusher-js: failed')));
  }), kWait, 'pusher-js to connect');
  return client;
}

// Resolves with the first recorded event (from index `from`) that matches.
function waitEvent(client, what, match, from = 0) {
  return withDeadline(new Promise((resolve) => {
    const check = () => {
      const hit = client.events.slice(from).find(match);
      if (hit) {
        client.waiters.delete(check);
        resolve(hit);
      }
    };
    client.waiters.add(check);
    check();
  }), kWait, what).finally(() => client.waiters.clear());
}

async function subscribe(client, channelName) {
  const channel = client.subscribe(channelName);
  await withDeadline(new Promise((resolve, reject) => {
    channel.bind('pusher:subscription_succeeded', resolve);
    channel.bind('pusher:subscription_error', (e) => reject(new Error(`subscription_error ${JSON.stringify(e)}`)));
  }), kWait, `subscription to ${channelName}`);
  return channel;
}

before(async () => {
  soketi = await startSoketi();
  backend = await startBackend(soketi.port);
});

after(async () => {
  for (const c of clients) c.disconnect();
  for (const child of children) await stop(child);
});

// ---- tests ---------------------------------------------------------------------------------
const kChannel = 'presence-chat.test';
let alice;
let bob;
let aliceClient;
let bobClient;

test('login validates names and gives stable ids', async () => {
  alice = await login('alice');
  bob = await login('bob');
  assert.deepEqual(alice.user, { id: 'u-alice', name: 'alice' });
  assert.match(alice.token, /^\S{16,}$/);
  const again = await login('alice');
  assert.equal(again.user.id, 'u-alice');
  assert.notEqual(again.token, alice.token);
  const utf8 = await login('Zoë');
  assert.equal(utf8.user.name, 'Zoë');
  assert.match(utf8.user.id, /^u-[a-z0-9_-]+$/);
  assert.notEqual((await login('zoe')).user.id, utf8.user.id);
  assert.equal((await api('POST', '/login', { json: { name: '' } })).status, 422);
  assert.equal((await api('POST', '/login', { json: { name: 'x'.repeat(33) } })).status, 422);
  assert.equal((await api('POST', '/login', { json: '{"name":' })).status, 400);
});

test('broadcasting/auth: 401 without a token, 403 for other channels', async () => {
  const form = { socket_id: '123.456', channel_name: kChannel };
  assert.equal((await api('POST', '/broadcasting/auth', { form })).status, 401);
  assert.equal((await api('POST', '/broadcasting/auth', { form, token: 'nope' })).status, 401);
  for (const channel_name of ['private-other', 'presence-other.x', 'chat.test', 'private-encrypted-chat.x']) {
    const r = await api('POST', '/broadcasting/auth', { token: alice.token, form: { ...form, channel_name } });
    assert.equal(r.status, 403, channel_name);
    assert.deepEqual(r.body, { message: 'Forbidden' });
  }
  const presence = await api('POST', '/broadcasting/auth', { token: alice.token, form });
  assert.equal(presence.status, 200);
  assert.match(presence.body.auth, /^app-key:[0-9a-f]{64}$/);
  assert.deepEqual(JSON.parse(presence.body.channel_data),
    { user_id: 'u-alice', user_info: { name: 'alice' } });
  const priv = await api('POST', '/broadcasting/auth',
    { token: alice.token, json: { socket_id: '123.456', channel_name: 'private-chat.test' } });
  assert.equal(priv.status, 200);
  assert.deepEqual(Object.keys(priv.body), ['auth']);
});

test('presence subscription carries the member names', async () => {
  aliceClient = await connect(alice.token);
  const channel = await subscribe(aliceClient, kChannel);
  assert.equal(channel.members.me.id, 'u-alice');
  assert.deepEqual(channel.members.me.info, { name: 'alice' });
  // pusher_internal:* events skip bind_global; the channel re-emits them as pusher:member_*.
  const added = new Promise((resolve) => channel.bind('pusher:member_added', resolve));
  bobClient = await connect(bob.token);
  const bobChannel = await subscribe(bobClient, kChannel);
  assert.deepEqual(bobChannel.members.get('u-alice').info, { name: 'alice' });
  const member = await withDeadline(added, kWait, 'member_added for bob at alice');
  assert.equal(member.id, 'u-bob');
  assert.deepEqual(member.info, { name: 'bob' });
  assert.equal(channel.members.count, 2);
});

test('POST /messages by bob arrives at alice as App\\Events\\MessageSent', async () => {
  const from = aliceClient.events.length;
  const r = await api('POST', '/messages', { token: bob.token, json: { room: 'test', text: 'hi alice' },
    headers: { 'X-Socket-ID': bobClient.connection.socket_id } });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  assert.equal(r.body.text, 'hi alice');
  assert.equal(r.body.room, 'test');
  assert.deepEqual(r.body.user, { id: 'u-bob', name: 'bob' });
  assert.ok(Number.isInteger(r.body.id));
  assert.ok(!Number.isNaN(Date.parse(r.body.sent_at)));
  const got = await waitEvent(aliceClient, 'MessageSent at alice',
    (e) => e.event === 'App\\Events\\MessageSent', from);
  assert.deepEqual(got.data, { message: r.body });
});

test('X-Socket-ID leaves the sender out (toOthers)', async () => {
  const aliceFrom = aliceClient.events.length;
  const bobFrom = bobClient.events.length;
  const own = await api('POST', '/messages', { token: alice.token, json: { room: 'test', text: 'mine' },
    headers: { 'X-Socket-ID': aliceClient.connection.socket_id } });
  assert.equal(own.status, 201);
  await waitEvent(bobClient, 'alice\'s message at bob',
    (e) => e.event === 'App\\Events\\MessageSent' && e.data.message.id === own.body.id, bobFrom);
  // Events on a channel arrive in order: once bob's next message is at alice, hers would be too.
  const next = await api('POST', '/messages', { token: bob.token, json: { room: 'test', text: 'marker' } });
  assert.equal(next.status, 201);
  await waitEvent(aliceClient, 'the marker message at alice',
    (e) => e.event === 'App\\Events\\MessageSent' && e.data.message.id === next.body.id, aliceFrom);
  const echoed = aliceClient.events.slice(aliceFrom)
    .filter((e) => e.event === 'App\\Events\\MessageSent' && e.data.message.id === own.body.id);
  assert.equal(echoed.length, 0, 'alice got her own message back');
});

test('POST /read broadcasts App\\Events\\MessagesRead to everyone', async () => {
  const aliceFrom = aliceClient.events.length;
  const bobFrom = bobClient.events.length;
  const r = await api('POST', '/read', { token: alice.token, json: { room: 'test', message_id: 2 },
    headers: { 'X-Socket-ID': aliceClient.connection.socket_id } });
  assert.equal(r.status, 200);
  assert.deepEqual(r.body, { ok: true });
  for (const [client, from, who] of [[bobClient, bobFrom, 'bob'], [aliceClient, aliceFrom, 'alice']]) {
    const got = await waitEvent(client, `MessagesRead at ${who}`,
      (e) => e.event === 'App\\Events\\MessagesRead', from);
    assert.deepEqual(got.data.reader, { id: 'u-alice', name: 'alice' });
    assert.equal(got.data.last_read_id, 2);
    assert.ok(!Number.isNaN(Date.parse(got.data.read_at)));
  }
  assert.equal((await api('POST', '/read', { token: alice.token, json: { room: 'test', message_id: 'x' } })).status, 422);
  assert.equal((await api('POST', '/read', { json: { room: 'test', message_id: 1 } })).status, 401);
});

test('GET /messages lists the room; input is validated', async () => {
  const r = await api('GET', '/messages?room=test', { token: bob.token });
  assert.equal(r.status, 200);
  assert.deepEqual(r.body.messages.map((m) => m.text), ['hi alice', 'mine', 'marker']);
  assert.deepEqual((await api('GET', '/messages?room=empty', { token: bob.token })).body, { messages: [] });
  assert.equal((await api('GET', '/messages?room=test')).status, 401);
  const post = (json) => api('POST', '/messages', { token: bob.token, json });
  assert.equal((await post({ room: 'test', text: '' })).status, 422);
  assert.equal((await post({ room: 'test', text: 'x'.repeat(2001) })).status, 422);
  assert.equal((await post({ room: 'test', text: 'ü'.repeat(2000) })).status, 201);
  assert.equal((await post({ room: 'no spaces', text: 'x' })).status, 422);
  assert.equal((await api('POST', '/messages', { token: bob.token, json: '[' })).status, 400);
  assert.equal((await api('GET', '/up')).status, 200);
});

test('a broadcast failure answers 503 and still keeps the message', async () => {
  const orphan = await startBackend(await freePort());  // nothing listens there
  try {
    const user = (await api('POST', '/login', { json: { name: 'carol' }, base: orphan.url })).body;
    const r = await api('POST', '/messages', { token: user.token, base: orphan.url,
      json: { room: 'test', text: 'kept' } });
    assert.equal(r.status, 503);
    assert.deepEqual(r.body, { message: 'broadcast failed' });
    const list = await api('GET', '/messages?room=test', { token: user.token, base: orphan.url });
    assert.deepEqual(list.body.messages.map((m) => m.text), ['kept']);
    assert.doesNotMatch(orphan.child.output, new RegExp(user.token));
    assert.doesNotMatch(orphan.child.output, /app-secret|auth_signature/);
  } finally {
    await stop(orphan.child);
  }
});
