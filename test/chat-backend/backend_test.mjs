// Tests samples/chat-backend/server.mjs against a real soketi, with pusher-js as the client.
//
//   node --test test/chat-backend/
//
// Needs test/interop/node_modules (tools/lib.sh's ensure_npm installs it). Everything binds
// to 127.0.0.1 on free ports; the servers are stopped by pid in after() and, should this
// process die, exit on their own when their stdin closes (helpers.mjs).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import path from 'node:path';
import {
  app, freePort, interop, kWait, outputLines, request, startBackend, startSoketi, stop,
  stopChildren, withDeadline,
} from './helpers.mjs';

const requireInterop = createRequire(path.join(interop, 'package.json'));
const Pusher = requireInterop('pusher-js');

let soketi;
let backend;
const clients = [];

const api = (method, route, options = {}) =>
  request(options.base ?? backend.url, method, route, options);

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
  backend = await startBackend({ server: `http://127.0.0.1:${soketi.port}` });
});

after(async () => {
  for (const c of clients) c.disconnect();
  await stopChildren();
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
  const orphan = await startBackend({ soketiPort: await freePort() });  // nothing listens there
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

test('soketi refuses a wrong secret with 200 and an error body: that is a failure too', async () => {
  const wrong = await startBackend({ server: `http://127.0.0.1:${soketi.port}`,
    secret: 'not-the-secret' });
  try {
    const user = (await api('POST', '/login', { json: { name: 'dave' }, base: wrong.url })).body;
    const r = await api('POST', '/messages', { token: user.token, base: wrong.url,
      json: { room: 'test', text: 'refused' } });
    assert.equal(r.status, 503);
    // soketi 1.6.1 says so with status 200: only the body tells.
    await outputLines(wrong.child,
      /broadcast of App\\Events\\MessageSent on presence-chat\.test failed: HTTP 200: \{"error"/);
    assert.doesNotMatch(wrong.child.output, /not-the-secret|auth_signature/);
  } finally {
    await stop(wrong.child);
  }
});
