// An app's auth endpoint, shaped like Laravel's /broadcasting/auth, for pusher-cpp's
// authorizer tests. Signatures come from the official `pusher` server library.
//
//   node auth-server.mjs --app-id ID --key KEY --secret SECRET [--csrf TOKEN] [--ignore-stdin]
//
// Listens on 127.0.0.1 (an ephemeral port) and prints exactly one line `READY <port>`.
//   POST /broadcasting/auth       form body socket_id, channel_name: {"auth", "channel_data"?,
//                                 "shared_secret"?} as pusher.authorizeChannel gives them
//   POST /broadcasting/user-auth  form body socket_id: {"auth", "user_data"} from
//                                 pusher.authenticateUser
// Users are a fixed table, chosen by `Authorization: Bearer <token>`:
//   tok-a -> id "1", name "Alice";  tok-b -> id "2", name "Bob \"B\" Zoë/α" (escapes, UTF-8)
// Answers, in this order:
//   ?delay=<ms> in the URL or `delay` in the body: answer after that long
//   ?huge=1 in the URL: 200 with a 2 MiB body
//   405 not POST, 404 other paths, 415 not a form body
//   419 when --csrf is set and X-CSRF-TOKEN differs (Laravel's CSRF mismatch)
//   401 no or unknown bearer token; 400 socket_id or channel_name missing
//   403 channels whose name without private-/presence- starts with `forbidden`
//   presence-*: channel_data {"user_id":<id>,"user_info":{"name":<name>}}; on channels whose
//   name contains `echo`, user_info also gets `params` (the body fields other than socket_id
//   and channel_name) and `headers` (received X-Test-* headers), so tests can see what came.
// Secrets and tokens are never printed or echoed. Exits on SIGTERM and when stdin reaches
// end-of-file (the test process is gone), unless --ignore-stdin is given.
import http from 'node:http';
import Pusher from 'pusher';

function fail(message) {
  process.stderr.write(`auth-server: ${message}\n`);
  process.exit(2);
}

function parseArgs(argv) {
  const args = { appId: null, key: null, secret: null, csrf: null, ignoreStdin: false };
  const names = { '--app-id': 'appId', '--key': 'key', '--secret': 'secret', '--csrf': 'csrf' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (names[a] && i + 1 < argv.length) {
      args[names[a]] = argv[++i];
    } else if (a === '--ignore-stdin') {
      args.ignoreStdin = true;
    } else {
      fail(`unknown or incomplete argument '${a}'; usage: node auth-server.mjs --app-id ID ` +
        '--key KEY --secret SECRET [--csrf TOKEN] [--ignore-stdin]');
    }
  }
  if (!args.appId || !args.key || !args.secret) fail('--app-id, --key and --secret are required');
  return args;
}

const kUsers = new Map([
  ['tok-a', { id: '1', name: 'Alice' }],
  ['tok-b', { id: '2', name: 'Bob "B" Zoë/α' }],
]);
const kMaxBody = 64 * 1024;
// A fixed 32-byte master key so private-encrypted- channels get a shared_secret.
const kMasterKey = Buffer.alloc(32, 7).toString('base64');

const args = parseArgs(process.argv.slice(2));
const pusher = new Pusher({
  appId: args.appId,
  key: args.key,
  secret: args.secret,
  host: '127.0.0.1',
  port: '1',
  encryptionMasterKeyBase64: kMasterKey,
});

function send(res, status, body) {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(text);
}

function bareName(channel) {
  return channel.replace(/^(private-encrypted-|private-|presence-)/, '');
}

function echoedHeaders(req) {
  const out = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (name.startsWith('x-test-')) out[name] = value;
  }
  return out;
}

function answer(req, res, url, form) {
  if (args.csrf !== null && req.headers['x-csrf-token'] !== args.csrf) {
    return send(res, 419, { message: 'CSRF token mismatch.' });
  }
  const match = /^Bearer (.+)$/.exec(req.headers.authorization || '');
  const user = match ? kUsers.get(match[1]) : undefined;
  if (!user) return send(res, 401, { message: 'Unauthenticated.' });
  const socketId = form.get('socket_id');
  if (!socketId) return send(res, 400, { message: 'socket_id is required.' });

  if (url.pathname === '/broadcasting/user-auth') {
    return send(res, 200, pusher.authenticateUser(socketId, { id: user.id, name: user.name }));
  }
  const channel = form.get('channel_name');
  if (!channel) return send(res, 400, { message: 'channel_name is required.' });
  if (bareName(channel).startsWith('forbidden')) return send(res, 403, { message: 'Forbidden.' });
  if (!channel.startsWith('presence-')) {
    return send(res, 200, pusher.authorizeChannel(socketId, channel));
  }
  const userInfo = { name: user.name };
  if (channel.includes('echo')) {
    userInfo.params = {};
    for (const [name, value] of form) {
      if (name !== 'socket_id' && name !== 'channel_name') userInfo.params[name] = value;
    }
    userInfo.headers = echoedHeaders(req);
  }
  return send(res, 200,
    pusher.authorizeChannel(socketId, channel, { user_id: user.id, user_info: userInfo }));
}

function handle(req, res, body) {
  const url = new URL(req.url, 'http://127.0.0.1');
  if (url.searchParams.get('huge') === '1') return send(res, 200, 'x'.repeat(2 * 1024 * 1024));
  if (req.method !== 'POST') return send(res, 405, { message: 'Method not allowed.' });
  if (url.pathname !== '/broadcasting/auth' && url.pathname !== '/broadcasting/user-auth') {
    return send(res, 404, { message: 'Not found.' });
  }
  const type = (req.headers['content-type'] || '').split(';')[0].trim();
  if (type !== 'application/x-www-form-urlencoded') {
    return send(res, 415, { message: 'Want a form body.' });
  }
  return answer(req, res, url, new URLSearchParams(body));
}

const server = http.createServer((req, res) => {
  const chunks = [];
  let size = 0;
  req.on('data', (chunk) => {
    size += chunk.length;
    if (size > kMaxBody) {
      send(res, 413, { message: 'Too large.' });
      req.destroy();
      return;
    }
    chunks.push(chunk);
  });
  req.on('end', () => {
    if (res.writableEnded) return;
    const body = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url, 'http://127.0.0.1');
    const delay = Number(url.searchParams.get('delay') || new URLSearchParams(body).get('delay') || 0);
    const run = () => {
      try {
        handle(req, res, body);
      } catch (e) {
        // The library's validation errors (a bad socket_id, say): Laravel would answer 500.
        send(res, 500, { message: String(e && e.message ? e.message : e) });
      }
    };
    if (delay > 0) setTimeout(run, delay); else run();
  });
});

server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`READY ${server.address().port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
if (!args.ignoreStdin) {
  process.stdin.on('end', () => process.exit(0));
  process.stdin.on('error', () => process.exit(0));
  process.stdin.resume();
}
