// The publisher of the latency and fan-out benchmarks: triggers N events one at a time
// through soketi's HTTP API with the official `pusher` server library. Each event's data is
// a Laravel-style MessageSent payload (bench/data/message_sent.jsonl, in turn) plus `t`:
// the send time in epoch milliseconds with a fraction, stamped just before the HTTP call.
//
//   node publisher.mjs --port P --app-id ID --key K --secret S --channel C --event E
//                      --count N [--interval-ms X] [--host H]
//
// One event at a time: each trigger waits for soketi's answer, and the next one starts no
// sooner than --interval-ms after the previous one started (default 2). Prints
// `{"published":N,"elapsed_s":S,"http_p50_us":..,"http_p99_us":..}`; exits 1 on a failure.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Pusher from 'pusher';

const here = path.dirname(fileURLToPath(import.meta.url));
const kValued = ['port', 'app-id', 'key', 'secret', 'channel', 'event', 'count', 'interval-ms', 'host'];
const args = { host: '127.0.0.1', 'interval-ms': '2' };
for (let i = 2; i < process.argv.length; i++) {
  const name = process.argv[i].startsWith('--') ? process.argv[i].slice(2) : null;
  if (name !== null && kValued.includes(name) && i + 1 < process.argv.length) {
    args[name] = process.argv[++i];
  } else {
    process.stderr.write(`publisher: unknown or incomplete argument ${process.argv[i]}\n`);
    process.exit(2);
  }
}
for (const required of ['port', 'app-id', 'key', 'secret', 'channel', 'event', 'count']) {
  if (args[required] === undefined) {
    process.stderr.write(`publisher: --${required} is missing\n`);
    process.exit(2);
  }
}
const count = Number(args.count);
const interval = Number(args['interval-ms']);
if (!Number.isInteger(count) || count < 1 || count > 1e6 || !(interval >= 0 && interval <= 10000)) {
  process.stderr.write('publisher: --count wants 1..1e6, --interval-ms 0..10000\n');
  process.exit(2);
}

const payloads = fs.readFileSync(path.resolve(here, '../../../bench/data/message_sent.jsonl'), 'utf8')
  .split('\n').filter((l) => l.length > 0).map((l) => JSON.parse(JSON.parse(l).data));

const pusher = new Pusher({
  appId: args['app-id'], key: args.key, secret: args.secret,
  host: args.host, port: args.port, useTLS: false, timeout: 10000,
  agent: new http.Agent({ keepAlive: true, maxSockets: 1 }),
});

const nowMs = () => performance.timeOrigin + performance.now();
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const httpUs = [];
const start = nowMs();
let published = 0;
try {
  for (let i = 0; i < count; i++) {
    const begin = nowMs();
    const data = { ...payloads[i % payloads.length], seq: i };
    data.t = nowMs();
    const response = await pusher.trigger(args.channel, args.event, data);
    const body = await response.text();
    if (response.status !== 200 || !/"ok"\s*:\s*true/.test(body)) throw new Error(`HTTP ${response.status}: ${body}`);
    httpUs.push((nowMs() - data.t) * 1000);
    published++;
    const wait = begin + interval - nowMs();
    if (wait > 0) await sleep(wait);
  }
} catch (e) {
  process.stderr.write(`publisher: event ${published} of ${count} failed: ${e.message ?? e}\n`);
  process.exit(1);
}
httpUs.sort((a, b) => a - b);
const pct = (p) => Math.round(httpUs[Math.min(httpUs.length - 1, Math.ceil(p / 100 * httpUs.length) - 1)]);
process.stdout.write(JSON.stringify({
  published, elapsed_s: +((nowMs() - start) / 1000).toFixed(3), http_p50_us: pct(50), http_p99_us: pct(99),
}) + '\n');
process.exit(0);
