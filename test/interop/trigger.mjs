// Triggers events through soketi's HTTP API with the official `pusher` server library.
//
//   node trigger.mjs --port P --app-id ID --key K --secret S --channel C --event E
//                    --data JSON [--count N] [--socket-id X] [--host H] [--tls [--ca FILE]]
//                    [--encryption-master-key BASE64]
//
// Without --count, one event carries --data as given. With --count N, N events are
// triggered one after the other, each with the --data object plus a field `seq` (0..N-1).
// Prints `OK <n>` when done; on failure prints why on stderr and exits non-zero.
import fs from 'node:fs';
import https from 'node:https';
import Pusher from 'pusher';

function fail(message, code = 2) {
  process.stderr.write(`trigger: ${message}\n`);
  process.exit(code);
}

const kUsage = 'usage: node trigger.mjs --port P --app-id ID --key K --secret S ' +
  '--channel C --event E --data JSON [--count N] [--socket-id X] [--host H] [--tls [--ca FILE]] ' +
  '[--encryption-master-key BASE64]';
const kValued = ['port', 'app-id', 'key', 'secret', 'channel', 'event', 'data', 'count',
  'socket-id', 'host', 'ca', 'encryption-master-key', 'user'];

function parseArgs(argv) {
  const args = { host: '127.0.0.1', tls: false };
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i].startsWith('--') ? argv[i].slice(2) : null;
    if (name === 'tls') {
      args.tls = true;
    } else if (name !== null && kValued.includes(name) && i + 1 < argv.length) {
      args[name] = argv[++i];
    } else {
      fail(`unknown or incomplete argument '${argv[i]}'; ${kUsage}`);
    }
  }
  for (const required of ['port', 'app-id', 'key', 'secret', 'channel', 'event', 'data']) {
    if (args[required] === undefined) fail(`--${required} is missing; ${kUsage}`);
  }
  return args;
}

const args = parseArgs(process.argv.slice(2));
let data;
try {
  data = JSON.parse(args.data);
} catch (e) {
  fail(`--data is not JSON (${e.message}): ${args.data}`);
}
const counted = args.count !== undefined;
const count = counted ? Number(args.count) : 1;
if (!Number.isInteger(count) || count < 1) fail(`--count wants a positive integer, got ${args.count}`);
if (counted && (typeof data !== 'object' || data === null || Array.isArray(data))) {
  fail('--count adds a field `seq` to --data, which must then be a JSON object');
}

const config = {
  appId: args['app-id'],
  key: args.key,
  secret: args.secret,
  host: args.host,
  port: args.port,
  useTLS: args.tls,
  timeout: 10000,
};
// private-encrypted- channels: the library encrypts with keys derived from this master key
// (base64 of 32 bytes), the same one the auth endpoint derives shared secrets from.
if (args['encryption-master-key']) config.encryptionMasterKeyBase64 = args['encryption-master-key'];
if (args.tls) {
  // Only our own test server is on the other end: verify against --ca when given.
  config.agent = args.ca
    ? new https.Agent({ ca: fs.readFileSync(args.ca), keepAlive: true })
    : new https.Agent({ rejectUnauthorized: false, keepAlive: true });
}
const pusher = new Pusher(config);
const params = args['socket-id'] ? { socket_id: args['socket-id'] } : undefined;

let sent = 0;
try {
  for (let seq = 0; seq < count; seq++) {
    const payload = counted ? { ...data, seq } : data;
    // --user sends to a signed-in user (#server-to-user-<id>) instead of a channel.
    const response = args.user
      ? await pusher.sendToUser(args.user, args.event, payload)
      : await pusher.trigger(args.channel, args.event, payload, params);
    const body = await response.text();
    // soketi 1.6.1 answers a bad signature with status 200 and {"error": ..., "code": 401}.
    if (response.status !== 200 || !/^\s*\{\s*"ok"\s*:\s*true/.test(body)) {
      throw new Error(`HTTP ${response.status}: ${body}`);
    }
    sent++;
  }
} catch (e) {
  const detail = e.status ? `HTTP ${e.status} ${e.body ?? ''}`
    : `${e.message}${e.error ? ` (${e.error.message})` : ''}`;
  const hint = /"code":4\d\d/.test(detail) && !/"code":401/.test(detail)
    ? 'soketi refused the event itself (over 100 KB? bad channel name?)'
    : 'is soketi running on that port with this app id, key and secret?';
  fail(`event ${sent} of ${count} to ${args.host}:${args.port} failed: ${detail}; ${hint}`, 1);
}
process.stdout.write(`OK ${sent}\n`);
process.exit(0);
