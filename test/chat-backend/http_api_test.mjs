// Tests how samples/chat-backend/server.mjs reads a trigger's answer and reaches its server
// (--server), against a fake of Pusher's HTTP API (fake_http_api.mjs) that answers like Pusher
// and Laravel Reverb: 200 and `{}` for a successful trigger.
//
//   node --test test/chat-backend/
//
// The https case makes a throwaway certificate with the openssl command line (skipped without
// it). Everything binds to 127.0.0.1 on free ports; the backends are stopped by pid in after().
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startFakeApi } from './fake_http_api.mjs';
import {
  app, outputLines, request, runBackendExpectingExit, startBackend, stop, stopChildren,
} from './helpers.mjs';

const fakes = [];
let scratch;

after(async () => {
  await stopChildren();
  for (const fake of fakes) await fake.close();
  if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
});

async function fakeApi(options = {}) {
  const fake = await startFakeApi({ app, ...options });
  fakes.push(fake);
  return fake;
}

async function login(backend, name) {
  const r = await request(backend.url, 'POST', '/login', { json: { name } });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body.token;
}

const postMessage = (backend, token, text) => request(backend.url, 'POST', '/messages',
  { token, json: { room: 'lobby', text }, headers: { 'X-Socket-ID': '123.456' } });

// A self-signed certificate for 127.0.0.1, or undefined without the openssl command line.
function makeCertificate() {
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'chat-backend-tls-'));
  const key = path.join(scratch, 'key.pem');
  const cert = path.join(scratch, 'cert.pem');
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key,
      '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'],
    { stdio: 'ignore', timeout: 30_000 });
  } catch {
    return undefined;
  }
  return { keyFile: key, certFile: cert, key: fs.readFileSync(key), cert: fs.readFileSync(cert) };
}

// ---- tests ---------------------------------------------------------------------------------
test('a server that answers 200 {} (Pusher, Reverb): POST /messages 201, POST /read 200', async () => {
  const fake = await fakeApi();
  const backend = await startBackend({ server: fake.url });
  const token = await login(backend, 'alice');

  const sent = await postMessage(backend, token, 'hello reverb');
  assert.equal(sent.status, 201, JSON.stringify(sent.body));
  assert.equal(sent.body.text, 'hello reverb');
  const [message] = fake.events;
  assert.equal(message.name, 'App\\Events\\MessageSent');
  assert.deepEqual(message.channels, ['presence-chat.lobby']);
  assert.equal(message.socket_id, '123.456');  // toOthers(): the sender is left out
  assert.deepEqual(JSON.parse(message.data), { message: sent.body });

  const read = await request(backend.url, 'POST', '/read',
    { token, json: { room: 'lobby', message_id: sent.body.id } });
  assert.equal(read.status, 200, JSON.stringify(read.body));
  assert.deepEqual(read.body, { ok: true });
  assert.equal(fake.events[1].name, 'App\\Events\\MessagesRead');
  assert.equal(JSON.parse(fake.events[1].data).last_read_id, sent.body.id);
  assert.doesNotMatch(backend.child.output, /failed/);
});

test('a 200 with more in its hash (channel info) is a success too', async () => {
  const fake = await fakeApi({ answer: () => [200, '{"channels":{"presence-chat.lobby":{}}}'] });
  const backend = await startBackend({ server: fake.url });
  const r = await postMessage(backend, await login(backend, 'alice'), 'with info');
  assert.equal(r.status, 201, JSON.stringify(r.body));
});

test('refusals answer 503 and keep the message: 4xx, 200 carrying "error", 200 without a hash', async () => {
  const answers = [
    [400, '{"error":"The received data is incorrect"}'],
    [403, 'Forbidden: app disabled or over message quota'],
    [200, '{"error":"The secret authentication failed","code":401}'],  // soketi's way
    [200, '<html>a proxy page</html>'],
    [200, ''],
    [202, '{}'],
  ];
  let next = 0;
  const fake = await fakeApi({ answer: () => answers[next] });
  const backend = await startBackend({ server: fake.url });
  const token = await login(backend, 'alice');
  for (; next < answers.length; next++) {
    const r = await postMessage(backend, token, `try ${next}`);
    assert.equal(r.status, 503, `answer ${JSON.stringify(answers[next])}: ${JSON.stringify(r.body)}`);
    assert.deepEqual(r.body, { message: 'broadcast failed' });
    const lines = await outputLines(backend.child, /broadcast of .* failed/, next + 1);
    assert.match(lines[next], new RegExp(`failed: HTTP ${answers[next][0]}:`));
  }
  const list = await request(backend.url, 'GET', '/messages?room=lobby', { token });
  assert.equal(list.body.messages.length, answers.length);
  assert.doesNotMatch(backend.child.output, new RegExp(`${token}|${app.secret}|auth_signature`));
});

test('a wrong secret: the server refuses the signature with 401, the backend answers 503', async () => {
  const fake = await fakeApi();
  const backend = await startBackend({ server: fake.url, secret: 'not-the-secret' });
  const r = await postMessage(backend, await login(backend, 'alice'), 'unsigned');
  assert.equal(r.status, 503);
  await outputLines(backend.child, /failed: HTTP 401: Invalid signature/);
  assert.equal(fake.events.length, 0);
  assert.doesNotMatch(backend.child.output, /not-the-secret/);
});

test('https: the certificate is verified, even with NODE_TLS_REJECT_UNAUTHORIZED=0; --ca adds a CA', async (t) => {
  const certificate = makeCertificate();
  if (!certificate) {
    t.skip('no openssl command line to make a certificate with');
    return;
  }
  const fake = await fakeApi({ tls: { key: certificate.key, cert: certificate.cert } });

  const unverified = await startBackend({ server: fake.url, env: { NODE_TLS_REJECT_UNAUTHORIZED: '0' } });
  const refused = await postMessage(unverified, await login(unverified, 'alice'), 'to a stranger');
  assert.equal(refused.status, 503);
  await outputLines(unverified.child, /failed: .*self[- ]signed certificate/);
  assert.equal(fake.events.length, 0);
  await stop(unverified.child);

  const trusting = await startBackend({ server: fake.url, ca: certificate.certFile });
  const sent = await postMessage(trusting, await login(trusting, 'alice'), 'to a known server');
  assert.equal(sent.status, 201, JSON.stringify(sent.body));
  assert.equal(fake.events.length, 1);
});

test('--server wants scheme://host[:port] of the HTTP API; --soketi-port is its shorthand', async () => {
  for (const [argv, message] of [
    [['--server', 'ws://127.0.0.1:8080'], /http:\/\/ or https:\/\//],
    [['--server', 'http://127.0.0.1:8080/app'], /scheme:\/\/host\[:port\] only/],
    [['--server', 'http://user:pw@127.0.0.1:8080'], /scheme:\/\/host\[:port\] only/],
    [['--server', 'not a url'], /wants a URL/],
    [['--server', 'http://127.0.0.1:8080', '--ca', '/dev/null'], /--ca needs an https:\/\/ --server/],
    [['--soketi-port', '70000'], /0\.\.65535/],
  ]) {
    const { code, output } = await runBackendExpectingExit(argv);
    assert.equal(code, 2, `${argv.join(' ')}: ${output}`);
    assert.match(output, message);
    assert.doesNotMatch(output, /pw@/);
  }
  const fake = await fakeApi();
  const port = new URL(fake.url).port;
  const backend = await startBackend({ soketiPort: port });
  const r = await postMessage(backend, await login(backend, 'alice'), 'via the shorthand');
  assert.equal(r.status, 201, JSON.stringify(r.body));
  await outputLines(backend.child, new RegExp(`broadcasting through http://127\\.0\\.0\\.1:${port} `));
});
