// pusher-js's side of pusher-bench (samples/pusher-bench): the same flags, the same lines.
//
//   node pusher-js-bench.mjs --url ws://HOST:PORT --key KEY --channel C --connections N
//                            --events M [--channels K] [--timeout S] [--idle S] [--per-connection]
//
// N pusher-js 8.6 clients (one WebSocket each) in this one Node process, all subscribed to
// C (with --channels K > 1: client i to C-(i % K)). Prints `{"ready":N}` once all are subscribed, then counts the events whose data has a
// numeric `t` (epoch ms, stamped by the publisher just before its HTTP call) and, when every
// connection got M (or at --timeout), prints one JSON line with the fields pusher-bench
// prints: latency from `t` to the callback (p50/p90/p99/max us), rss_kib (VmRSS),
// rss_per_conn_kib ((RSS - RSS after loading pusher-js) / N), cpu_us_per_event
// (process.cpuUsage, i.e. getrusage, from ready to done), and the extra fields. With
// --events 0 the connections stay idle for --idle S and the line has the idle context
// switches of every thread of the process. `{"lost":..}` / `{"resubscribed":..}` lines as
// pusher-bench, and with --per-connection its `{"resubscribed_one":I,"at_ms":..}` line for
// each connection subscribed again after it was lost. SIGINT/SIGTERM end the wait early.
// Exit 0 done, 2 usage, 3 timeout.
import fs from 'node:fs';
import PusherModule from 'pusher-js';

const Pusher = PusherModule.default ?? PusherModule;

function usage(problem) {
  process.stderr.write(`pusher-js-bench: ${problem}\nusage: node pusher-js-bench.mjs --url ws://HOST:PORT ` +
    '--key KEY --channel C --connections N --events M [--channels K] [--timeout S] [--idle S] ' +
    '[--per-connection]\n');
  process.exit(2);
}

const args = { connections: 1, channels: 1, timeout: 60, idle: 10, 'per-connection': false };
const valued = ['url', 'key', 'channel', 'channels', 'connections', 'events', 'timeout', 'idle'];
for (let i = 2; i < process.argv.length; i++) {
  const name = process.argv[i].startsWith('--') ? process.argv[i].slice(2) : null;
  if (name === 'per-connection') {
    args[name] = true;
    continue;
  }
  if (name === null || !valued.includes(name)) usage(`unknown argument ${process.argv[i]}`);
  if (i + 1 >= process.argv.length) usage(`missing value for --${name}`);
  const value = process.argv[++i];
  if (['url', 'key', 'channel'].includes(name)) {
    args[name] = value;
  } else {
    const n = Number(value);
    if (!(n >= 0) || !Number.isFinite(n)) usage(`invalid ${name}: ${value}`);
    args[name] = n;
  }
}
if (!args.url) usage('--url is required');
if (!args.key) usage('--key is required');
if (!args.channel) usage('--channel is required');
if (args.events === undefined) usage('--events is required (0: hold the connections idle)');
if (!(args.connections >= 1)) usage('--connections must be at least 1');
if (!(args.channels >= 1) || !Number.isInteger(args.channels)) usage('--channels must be a whole number, at least 1');
const url = /^(wss?):\/\/([^/:]+)(?::(\d+))?(\/.*)?$/.exec(args.url);
if (!url) usage('--url must be ws://HOST:PORT or wss://...');
const tls = url[1] === 'wss';
const port = Number(url[3] ?? (tls ? 443 : 80));

const epochMs = () => performance.timeOrigin + performance.now();
function rssKib() {
  const m = /VmRSS:\s+(\d+)/.exec(fs.readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) : -1;
}
function contextSwitches() {
  let total = 0;
  for (const task of fs.readdirSync('/proc/self/task')) {
    try {
      const status = fs.readFileSync(`/proc/self/task/${task}/status`, 'utf8');
      for (const m of status.matchAll(/^(?:non)?voluntary_ctxt_switches:\s+(\d+)/gm)) total += Number(m[1]);
    } catch {
      // a thread that ended between the listing and the read
    }
  }
  return total;
}
const cpuUs = () => {
  const c = process.cpuUsage();
  return c.user + c.system;
};
const emit = (obj) => process.stdout.write(JSON.stringify(obj) + '\n');

const N = args.connections;
const M = args.events;
const start = performance.now();
const rssBase = rssKib();
const subscribed = new Uint8Array(N);
const dropped = new Uint8Array(N);  // lost since ready, not subscribed again yet
const perConnection = args['per-connection'];
const counts = new Uint32Array(N);
const latencies = new Float64Array(Math.min(N * M, 50_000_000));
let delivered = 0;
let subscribedCount = 0;
let completed = 0;
let everReady = false;
let lostSinceReady = false;
let finishing = false;
let readyCpu = 0;
let readyAt = 0;
let connectMs = 0;
let doneCpu = 0;
let doneAt = 0;
let done = false;
let idleStart = 0;
let idleSwitchesBefore = 0;

const clients = [];
for (let i = 0; i < N; i++) {
  const client = new Pusher(args.key, {
    cluster: 'mt1',  // required by pusher-js 8; wsHost wins
    wsHost: url[2],
    wsPort: port,
    wssPort: port,
    wsPath: url[4] ?? '',
    forceTLS: tls,
    enabledTransports: tls ? ['wss'] : ['ws'],
    disableStats: true,
  });
  const channel = client.subscribe(args.channels === 1 ? args.channel : `${args.channel}-${i % args.channels}`);
  client.connection.bind('state_change', ({ current }) => {
    if (current !== 'connected') lost(i);
  });
  channel.bind('pusher:subscription_succeeded', () => onSubscribed(i));
  channel.bind_global((name, data) => onEvent(i, name, data));
  clients.push(client);
}

function onSubscribed(i) {
  if (subscribed[i]) return;
  subscribed[i] = 1;
  ++subscribedCount;
  if (dropped[i]) {
    dropped[i] = 0;
    if (perConnection) process.stdout.write(`{"resubscribed_one":${i},"at_ms":${epochMs().toFixed(3)}}\n`);
  }
  if (subscribedCount !== N) return;
  if (!everReady) {
    everReady = true;
    readyCpu = cpuUs();
    readyAt = performance.now();
    connectMs = readyAt - start;
    emit({ ready: N });
    if (M === 0) {
      // As pusher-bench: --timeout bounds the wait for ready; the idle time is --idle.
      clearTimeout(deadlineTimer);
      idleSwitchesBefore = contextSwitches();
      idleStart = performance.now();
      idleTimer = setTimeout(() => finish(false), args.idle * 1000);
    }
  } else if (lostSinceReady) {
    lostSinceReady = false;
    process.stdout.write(`{"resubscribed":${N},"at_ms":${epochMs().toFixed(3)}}\n`);
  }
}

function lost(i) {
  if (!subscribed[i]) return;
  subscribed[i] = 0;
  subscribedCount--;
  if (everReady && !finishing) dropped[i] = 1;
  if (everReady && !lostSinceReady && !finishing) {
    lostSinceReady = true;
    process.stdout.write(`{"lost":${N - subscribedCount},"at_ms":${epochMs().toFixed(3)}}\n`);
  }
}

function onEvent(i, name, data) {
  if (M === 0 || name.startsWith('pusher')) return;
  if (data === null || typeof data !== 'object' || typeof data.t !== 'number') return;
  const latencyUs = (epochMs() - data.t) * 1000;
  if (counts[i] >= M) return;
  if (delivered < latencies.length) latencies[delivered] = latencyUs;
  delivered++;
  if (++counts[i] === M && ++completed === N) {
    doneCpu = cpuUs();
    doneAt = performance.now();
    done = true;
    finish(false);
  }
}

let idleTimer = null;
const deadlineTimer = setTimeout(() => finish(true), args.timeout * 1000);
let stoppedBySignal = false;
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    stoppedBySignal = true;
    finish(false);
  });
}

function finish(timedOut) {
  if (finishing) return;
  finishing = true;
  clearTimeout(deadlineTimer);
  if (idleTimer) clearTimeout(idleTimer);
  const rss = rssKib();
  const endCpu = cpuUs();
  const endAt = performance.now();
  let idle = null;
  if (M === 0 && everReady) {
    const idleS = (endAt - idleStart) / 1000;
    const switches = contextSwitches() - idleSwitchesBefore;
    idle = { idle_s: +idleS.toFixed(3), idle_ctx_switches: switches,
      idle_wakeups_per_min: +(switches * 60 / idleS).toFixed(1) };
  }
  const sorted = latencies.slice(0, Math.min(delivered, latencies.length)).sort();
  const pct = (p) => sorted.length === 0 ? 0
    : Math.round(sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p / 100 * sorted.length) - 1))]);
  const elapsed = everReady ? ((done ? doneAt : endAt) - readyAt) / 1000 : 0;
  const cpu = (done ? doneCpu : endCpu) - readyCpu;
  emit({
    connections: N, events: M, delivered,
    p50_us: pct(50), p90_us: pct(90), p99_us: pct(99), max_us: pct(100),
    rss_kib: rss, rss_per_conn_kib: +((rss - rssBase) / N).toFixed(2),
    cpu_us_per_event: delivered > 0 ? +(cpu / delivered).toFixed(3) : 0,
    rss_base_kib: rssBase, subscribed: subscribedCount, connect_ms: +connectMs.toFixed(1),
    elapsed_s: +elapsed.toFixed(3), events_per_s: elapsed > 0 ? Math.round(delivered / elapsed) : 0,
    timed_out: timedOut && !done, stopped: stoppedBySignal,
    ...(idle ?? {}),
  });
  for (const c of clients) c.disconnect();
  process.exitCode = timedOut && !done ? 3 : 0;
  setTimeout(() => process.exit(), 200).unref();
}
