// A small, Laravel-shaped application backend for the terminal chat (samples/chat).
//
//   node server.mjs [--port N] [--server URL | --soketi-port N] [--app-id ID] [--key K]
//                   [--secret S] [--ca FILE] [--exit-with-stdin]
//
// Listens on 127.0.0.1 only (port 0 = ephemeral) and prints exactly one line `READY <port>`
// on stdout once listening. It plays the part of a Laravel app with Sanctum tokens and
// broadcasting through the Pusher HTTP API at --server: Pusher (https://api-CLUSTER.pusher.com),
// Laravel Reverb or soketi. The default is soketi on http://127.0.0.1:6001; --soketi-port N is
// short for --server http://127.0.0.1:N. An https:// server's certificate is always verified:
// against node's CA list (and NODE_EXTRA_CA_CERTS), or that list plus --ca FILE.
//
//   POST /login               {"name":"alice"} -> {"token", "user":{"id","name"}}
//   POST /broadcasting/auth   socket_id + channel_name (form or JSON), Bearer token
//   POST /messages            {"room","text"} -> 201 message; broadcasts App\Events\MessageSent
//                             on presence-chat.<room> (X-Socket-ID excludes the sender)
//   POST /read                {"room","message_id"} -> broadcasts App\Events\MessagesRead
//   GET  /messages?room=R     -> {"messages":[last 50]}
//   GET  /up                  -> {"ok":true}
//
// One line per request goes to stderr (never tokens or secrets). State is in memory only.
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { createRequire } from 'node:module';
import path from 'node:path';
import tls from 'node:tls';
import { fileURLToPath } from 'node:url';

// The official server library lives with the interop tests' npm packages.
const here = path.dirname(fileURLToPath(import.meta.url));
const requireInterop = createRequire(path.join(here, '../../test/interop/package.json'));
const Pusher = requireInterop('pusher');

function fail(message) {
  process.stderr.write(`chat-backend: ${message}\n`);
  process.exit(2);
}

const kUsage = 'usage: node server.mjs [--port N] [--server URL | --soketi-port N] [--app-id ID] ' +
  '[--key K] [--secret S] [--ca FILE] [--exit-with-stdin]';

function parsePort(name, text) {
  const n = Number(text);
  if (!/^\d+$/.test(text ?? '') || n < 0 || n > 65535) fail(`--${name} wants 0..65535, got ${text}`);
  return n;
}

// The pusher library builds every request URL as <scheme>://<host>[:<port>]/apps/<app id>/...,
// so a server is a scheme, a host and a port: a path would be dropped, and credentials in the
// URL would end up in logs. (https://github.com/pusher/pusher-http-node, lib/config.js)
function parseServer(text) {
  let url;
  try {
    url = new URL(text);
  } catch {
    fail(`--server wants a URL such as http://127.0.0.1:8080, got '${text}'`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    fail(`--server wants an http:// or https:// URL (the HTTP API), got ${url.protocol}//`);
  }
  if (url.username || url.password || url.pathname !== '/' || url.search || url.hash) {
    fail('--server takes scheme://host[:port] only (no path, query or user:password)');
  }
  return url;
}

function parseArgs(argv) {
  const args = { port: 0, server: parseServer('http://127.0.0.1:6001'), appId: 'app-id',
    key: 'app-key', secret: 'app-secret', ca: undefined, exitWithStdin: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const hasValue = i + 1 < argv.length;
    if (a === '--port' && hasValue) args.port = parsePort('port', argv[++i]);
    else if (a === '--server' && hasValue) args.server = parseServer(argv[++i]);
    else if (a === '--soketi-port' && hasValue) {
      args.server = parseServer(`http://127.0.0.1:${parsePort('soketi-port', argv[++i])}`);
    } else if (a === '--app-id' && hasValue) args.appId = argv[++i];
    else if (a === '--key' && hasValue) args.key = argv[++i];
    else if (a === '--secret' && hasValue) args.secret = argv[++i];
    else if (a === '--ca' && hasValue) args.ca = argv[++i];
    else if (a === '--exit-with-stdin') args.exitWithStdin = true;
    else fail(`unknown or incomplete argument '${a}'; ${kUsage}`);
  }
  if (args.ca !== undefined && args.server.protocol !== 'https:') fail('--ca needs an https:// --server');
  return args;
}

// For https, an agent of our own: rejectUnauthorized is set outright, so even
// NODE_TLS_REJECT_UNAUTHORIZED=0 in the environment does not turn verification off; --ca adds
// a CA to node's list (a bare `ca` option would replace the list). keepAlive spares a TLS
// handshake per message. For http, the library's default agent.
function agentFor(args) {
  if (args.server.protocol !== 'https:') return undefined;
  const options = { keepAlive: true, rejectUnauthorized: true };
  if (args.ca !== undefined) {
    let pem;
    try {
      pem = fs.readFileSync(args.ca, 'utf8');
    } catch (e) {
      fail(`--ca ${args.ca}: ${e.message}`);
    }
    options.ca = [...tls.rootCertificates, pem];
  }
  return new https.Agent(options);
}

const args = parseArgs(process.argv.slice(2));
// The options of the pusher library's constructor: host and port (a string; none = the
// scheme's default), useTLS picks https. (https://github.com/pusher/pusher-http-node#configuration)
const pusher = new Pusher({
  appId: args.appId,
  key: args.key,
  secret: args.secret,
  host: args.server.hostname,
  port: args.server.port || undefined,
  useTLS: args.server.protocol === 'https:',
  agent: agentFor(args),
  timeout: 5000,
});

// ---- limits and state ----------------------------------------------------------------------
const kMaxBody = 64 * 1024;
const kMaxNameChars = 32;
const kMaxTextChars = 2000;
const kKeepPerRoom = 100;
const kListPerRoom = 50;
const kMaxTokens = 10000;
// Characters Pusher allows in a channel name; the room becomes part of one.
const kRoomPattern = /^[A-Za-z0-9_\-=@,.;]{1,64}$/;

const tokens = new Map();   // token -> user (insertion order = age, for pruning)
const rooms = new Map();    // room -> [message...]
let nextMessageId = 1;

class HttpError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

const chars = (s) => [...s].length;  // code points, so "ü" is one character

// A stable id for a name: 'u-' + a lower-case slug, plus a short hash when the slug lost
// information (case, spaces, non-ASCII), so distinct names never share an id.
function userIdFor(name) {
  const slug = name.toLowerCase().replace(/[^a-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 32);
  if (slug === name) return `u-${slug}`;
  const hash = crypto.createHash('sha256').update(name, 'utf8').digest('hex').slice(0, 8);
  return slug ? `u-${slug}-${hash}` : `u-${hash}`;
}

function userFromRequest(req) {
  const header = req.headers.authorization ?? '';
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  const user = match ? tokens.get(match[1]) : undefined;
  if (!user) throw new HttpError(401, 'Unauthenticated.');
  req.userId = user.id;
  return user;
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const parts = [];
    let size = 0;
    req.on('data', (chunk) => {
      size += chunk.length;
      if (size > kMaxBody) {
        reject(new HttpError(413, 'Payload too large'));
        req.destroy();
        return;
      }
      parts.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    req.on('error', reject);
  });
}

async function jsonBody(req) {
  const text = await readBody(req);
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    throw new HttpError(400, 'Malformed JSON');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new HttpError(400, 'The body must be a JSON object');
  }
  return body;
}

// Laravel reads socket_id / channel_name from a form or a JSON body alike.
async function formOrJsonBody(req) {
  const type = (req.headers['content-type'] ?? '').toLowerCase();
  if (type.includes('application/json')) return jsonBody(req);
  const text = await readBody(req);
  if (!type.includes('x-www-form-urlencoded') && /^\s*\{/.test(text)) {
    try {
      return JSON.parse(text);
    } catch {
      throw new HttpError(400, 'Malformed JSON');
    }
  }
  return Object.fromEntries(new URLSearchParams(text));
}

function roomFrom(value) {
  if (typeof value !== 'string' || !kRoomPattern.test(value)) {
    throw new HttpError(422, 'room must be 1..64 characters of A-Z a-z 0-9 _ - = @ , . ;');
  }
  return value;
}

const channelFor = (room) => `presence-chat.${room}`;

// Why a trigger's answer counts as failed, or '' when it succeeded. Pusher's HTTP API
// reference (https://pusher.com/docs/channels/library_auth_reference/rest-api/): 200 is a
// successful request whose body is a JSON hash (`{}` from Pusher and Laravel Reverb,
// `{"ok":true}` from soketi); errors are 4xx with an explanation. soketi 1.6.1 also answers some
// refusals (a bad signature) with 200 and `{"error":…,"code":401}`: a hash carrying "error"
// is a failure whatever the status.
function triggerFailure(status, body) {
  let hash;
  try {
    hash = JSON.parse(body);
  } catch {
    hash = undefined;
  }
  const isHash = typeof hash === 'object' && hash !== null && !Array.isArray(hash);
  if (status === 200 && isHash && !('error' in hash)) return '';
  return `HTTP ${status}: ${body.slice(0, 200)}`;
}

// The request URL carries a signed query string: keep it out of the log.
const withoutQuery = (text) => text.replace(/\?\S*/g, '?...');

async function broadcast(channel, event, data, socketId) {
  const params = socketId ? { socket_id: socketId } : undefined;
  let failure;
  try {
    const response = await pusher.trigger(channel, event, data, params);
    failure = triggerFailure(response.status, await response.text());
  } catch (e) {
    // The library rejects 4xx and 5xx answers with a RequestError carrying status and body,
    // and network failures with one carrying the cause in `error`.
    failure = e.status ? triggerFailure(e.status, String(e.body ?? '')) : (e.error?.message ?? e.message);
  }
  if (failure) {
    process.stderr.write(`chat-backend: broadcast of ${event} on ${channel} failed: ` +
      `${withoutQuery(failure)}\n`);
    throw new HttpError(503, 'broadcast failed');
  }
}

const kSocketIdPattern = /^\d+\.\d+$/;

// ---- endpoints -----------------------------------------------------------------------------
async function login(req) {
  const body = await jsonBody(req);
  const name = typeof body.name === 'string' ? body.name.trim() : '';
  if (name === '' || chars(name) > kMaxNameChars || /[\u0000-\u001f\u007f]/.test(name)) {
    throw new HttpError(422, `name must be 1..${kMaxNameChars} printable characters`);
  }
  const user = { id: userIdFor(name), name };
  const token = crypto.randomBytes(24).toString('hex');
  tokens.set(token, user);
  if (tokens.size > kMaxTokens) tokens.delete(tokens.keys().next().value);
  req.userId = user.id;
  return [200, { token, user }];
}

async function authorize(req) {
  const user = userFromRequest(req);
  const body = await formOrJsonBody(req);
  const socketId = typeof body.socket_id === 'string' ? body.socket_id : '';
  const channel = typeof body.channel_name === 'string' ? body.channel_name : '';
  let presence;
  if (/^presence-chat\.[A-Za-z0-9_\-=@,.;]+$/.test(channel)) {
    presence = true;
  } else if (/^private-chat\.[A-Za-z0-9_\-=@,.;]+$/.test(channel)) {
    presence = false;
  } else {
    throw new HttpError(403, 'Forbidden');
  }
  if (!kSocketIdPattern.test(socketId) || channel.length > 200) {
    throw new HttpError(422, 'socket_id or channel_name is invalid');
  }
  req.detail = channel;
  const auth = presence
    ? pusher.authorizeChannel(socketId, channel, { user_id: user.id, user_info: { name: user.name } })
    : pusher.authorizeChannel(socketId, channel);
  return [200, auth];
}

async function postMessage(req) {
  const user = userFromRequest(req);
  const body = await jsonBody(req);
  const room = roomFrom(body.room);
  const text = body.text;
  if (typeof text !== 'string' || text.length === 0 || chars(text) > kMaxTextChars) {
    throw new HttpError(422, `text must be 1..${kMaxTextChars} characters`);
  }
  const socketId = req.headers['x-socket-id'];
  if (socketId !== undefined && socketId !== '' && !kSocketIdPattern.test(socketId)) {
    throw new HttpError(422, 'X-Socket-ID is not a socket id');
  }
  const message = { id: nextMessageId++, room, text, user: { id: user.id, name: user.name },
    sent_at: new Date().toISOString() };
  const list = rooms.get(room) ?? [];
  list.push(message);
  if (list.length > kKeepPerRoom) list.splice(0, list.length - kKeepPerRoom);
  rooms.set(room, list);
  req.detail = `${room} #${message.id}`;
  // Stored first: a broadcast failure answers 503, but the message is kept (as Laravel
  // would after the INSERT when the broadcaster throws).
  await broadcast(channelFor(room), 'App\\Events\\MessageSent', { message }, socketId || undefined);
  return [201, message];
}

async function markRead(req) {
  const user = userFromRequest(req);
  const body = await jsonBody(req);
  const room = roomFrom(body.room);
  const id = body.message_id;
  if (!Number.isSafeInteger(id) || id < 0) throw new HttpError(422, 'message_id must be an integer >= 0');
  req.detail = `${room} <= #${id}`;
  await broadcast(channelFor(room), 'App\\Events\\MessagesRead', {
    reader: { id: user.id, name: user.name },
    last_read_id: id,
    read_at: new Date().toISOString(),
  });
  return [200, { ok: true }];
}

async function listMessages(req, url) {
  userFromRequest(req);
  const room = roomFrom(url.searchParams.get('room') ?? undefined);
  return [200, { messages: (rooms.get(room) ?? []).slice(-kListPerRoom) }];
}

const routes = {
  'POST /login': login,
  'POST /broadcasting/auth': authorize,
  'POST /messages': postMessage,
  'POST /read': markRead,
  'GET /messages': listMessages,
  'GET /up': async () => [200, { ok: true }],
};
const knownPaths = new Set(Object.keys(routes).map((k) => k.split(' ')[1]));

async function handle(req, res) {
  const started = process.hrtime.bigint();
  let status = 500;
  let payload;
  let url;
  try {
    url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const route = routes[`${req.method} ${url.pathname}`];
    if (!route) {
      throw knownPaths.has(url.pathname) ? new HttpError(405, 'Method not allowed')
        : new HttpError(404, 'Not found');
    }
    [status, payload] = await route(req, url);
  } catch (e) {
    if (e instanceof HttpError) {
      status = e.status;
      payload = { message: e.message };
    } else {
      process.stderr.write(`chat-backend: ${e.stack ?? e}\n`);
      status = 500;
      payload = { message: 'Server error' };
    }
  }
  const text = JSON.stringify(payload);
  if (!res.headersSent && !res.destroyed) {
    res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
  }
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  // Path only (never the query or headers: no tokens, no secrets in the log).
  const where = url ? url.pathname : '?';
  process.stderr.write(`${new Date().toISOString()} ${req.method} ${where} ${status} ` +
    `${ms.toFixed(1)}ms${req.userId ? ` user=${req.userId}` : ''}${req.detail ? ` ${req.detail}` : ''}\n`);
}

const server = http.createServer((req, res) => { handle(req, res); });
server.on('error', (e) => fail(`cannot listen on 127.0.0.1:${args.port}: ${e.message}`));
server.listen(args.port, '127.0.0.1', () => {
  process.stderr.write(`chat-backend: broadcasting through ${args.server.origin} as app ${args.appId}\n`);
  process.stdout.write(`READY ${server.address().port}\n`);
});

const shutdown = () => {
  server.close();
  server.closeAllConnections?.();
  process.exit(0);
};
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
if (args.exitWithStdin) {
  process.stdin.on('end', shutdown);
  process.stdin.on('error', shutdown);
  process.stdin.resume();
}
