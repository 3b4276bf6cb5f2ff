// pusher-cpp and pusher-js side by side on soketi: what bench/compare runs.
//
//   node compare.mjs --build DIR [--runs R] [--only LIST] [--idle-seconds S] [--out FILE]
//                    [--outages LIST] [--skip-10k REASON]
//
// Starts soketi 1.6.1 (127.0.0.1, free ports, metrics off), then for each scenario runs
// pusher-cpp (DIR/samples/pusher-bench/pusher-bench) and pusher-js (pusher-js-bench.mjs),
// alternating, R runs each (default 3), and prints a markdown table of the medians with the
// ratio. Scenarios (--only takes a comma list of these names):
//   micro      bench_micro (decode + dispatch, typed vs bare RapidJSON) and decode.mjs
//   latency    1 connection, 2,000 events one at a time through the HTTP API (publisher.mjs)
//   fanout     200 connections in one process x 200 events
//   memory     1,000 idle connections: RSS per connection
//   10k        10,000 connections (pusher-cpp: on one loop thread) spread over 100 channels,
//              both clients; then both with all 10,000 on one channel, which measures
//              soketi: its local adapter counts a channel's sockets by copying them
//              into a new Map on every subscribe (local-adapter.js addToChannel), so N
//              subscribers of one channel cost it O(N^2)
//   reconnect  100 connections; soketi SIGKILLed and restarted: ready -> all resubscribed
//   outage     100 connections; soketi SIGKILLed, left down for each of --outages seconds (a
//              comma list, default 2,10,30), then started again on the same port (its start-up
//              adds to the time down: down_ms in --out): ms from the moment it accepts again
//              (a TCP connect probe every 20 ms) to each connection resubscribed, median and last
//   blaster    one connection, blaster.mjs pushing events as fast as the socket drains
//   idle       1 connection each, S seconds idle (default 60): context switches per minute
// Every wait is bounded; only processes started here are signalled, by their pid. Raw
// figures go to --out as JSON.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const interop = path.resolve(here, '..');
const repo = path.resolve(interop, '../..');

const kAll = ['micro', 'latency', 'fanout', 'memory', '10k', 'reconnect', 'outage', 'blaster', 'idle'];
const args = { build: path.join(repo, 'build-bench'), runs: 3, only: kAll.join(','), 'idle-seconds': 60,
  out: '', outages: '2,10,30', 'skip-10k': '' };
for (let i = 2; i < process.argv.length; i++) {
  const name = process.argv[i].startsWith('--') ? process.argv[i].slice(2) : null;
  if (name === null || !(name in args) || i + 1 >= process.argv.length) {
    process.stderr.write('usage: node compare.mjs --build DIR [--runs R] [--only LIST] ' +
      '[--idle-seconds S] [--out FILE] [--outages LIST] [--skip-10k REASON]\n');
    process.exit(2);
  }
  args[name] = process.argv[++i];
}
const runs = Number(args.runs);
const idleSeconds = Number(args['idle-seconds']);
const outages = args.outages.split(',').filter(Boolean).map(Number);
const only = new Set(args.only.split(',').filter(Boolean));
for (const s of only) {
  if (!kAll.includes(s)) {
    process.stderr.write(`compare: unknown scenario ${s}; known: ${kAll.join(', ')}\n`);
    process.exit(2);
  }
}
if (!(runs >= 1 && runs <= 15) || !(idleSeconds >= 5 && idleSeconds <= 600) ||
    outages.length === 0 || !outages.every((o) => o >= 0 && o <= 600)) {
  process.stderr.write('compare: --runs wants 1..15, --idle-seconds 5..600, --outages a comma list of 0..600 s\n');
  process.exit(2);
}
const cppBench = path.join(args.build, 'samples/pusher-bench/pusher-bench');
const microBench = path.join(args.build, 'bench/bench_micro');
if (!fs.existsSync(cppBench)) {
  process.stderr.write(`compare: ${cppBench} is missing; build with -Dbench=enabled first\n`);
  process.exit(2);
}

const log = (...a) => process.stderr.write(`[compare ${new Date().toISOString().slice(11, 19)}] ${a.join(' ')}\n`);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const epochMs = () => performance.timeOrigin + performance.now();
const median = (xs) => {
  const v = xs.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  return v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
};

// ---- child processes: started here, signalled by pid only ---------------------------------

const children = new Set();
process.on('exit', () => {
  for (const child of children) {
    try {
      process.kill(child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130));

/// A child whose stdout lines are kept; waitLine() waits (bounded) for a matching one.
function start(command, argv, options = {}) {
  const child = spawn(command, argv, { stdio: ['pipe', 'pipe', 'pipe'], ...options });
  children.add(child);
  const proc = { child, lines: [], stderr: '', waiters: [], exited: null };
  proc.exitPromise = new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      children.delete(child);
      proc.exited = { code, signal };
      resolve(proc.exited);
    });
  });
  readline.createInterface({ input: child.stdout }).on('line', (line) => {
    proc.lines.push({ line, at: epochMs() });
    for (const w of [...proc.waiters]) w(line);
  });
  child.stderr.on('data', (d) => {
    proc.stderr = (proc.stderr + d.toString()).slice(-8000);
  });
  proc.waitLine = (predicate, timeoutMs) => new Promise((resolve) => {
    const found = proc.lines.find((l) => predicate(l.line));
    if (found) return resolve(found);
    const timer = setTimeout(() => {
      proc.waiters = proc.waiters.filter((w) => w !== waiter);
      resolve(null);
    }, timeoutMs);
    const waiter = (line) => {
      if (!predicate(line)) return;
      clearTimeout(timer);
      proc.waiters = proc.waiters.filter((w) => w !== waiter);
      resolve(proc.lines[proc.lines.length - 1]);
    };
    proc.waiters.push(waiter);
  });
  proc.wait = async (timeoutMs) => {
    const result = await Promise.race([proc.exitPromise, sleep(timeoutMs).then(() => null)]);
    if (result === null) {
      proc.signal('SIGKILL');
      return proc.exitPromise;
    }
    return result;
  };
  proc.signal = (sig) => {
    if (proc.exited) return;
    try {
      process.kill(child.pid, sig);
    } catch {
      // it ended meanwhile
    }
  };
  return proc;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function httpStatus(port, urlPath, timeoutMs) {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: urlPath, timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
  });
}

// ---- soketi -------------------------------------------------------------------------------

const app = { id: 'app-id', key: 'app-key', secret: 'app-secret' };
const soketi = { port: 0, metricsPort: 0, proc: null };

/// Whether a TCP connection to 127.0.0.1:port is accepted within timeoutMs.
function accepts(port, timeoutMs) {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(false);
    }, timeoutMs);
    socket.on('connect', () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => {
      clearTimeout(timer);
      resolve(false);
    });
  });
}

const kAcceptPollMs = 20;

/// Starts soketi on soketi.port (a free one the first time) and returns when /ready answers
/// 200: `{ readyAt }` (epoch ms; /ready polled every 10 ms). With `{ accept: true }` the port
/// is first probed with a plain TCP connect every 20 ms, and `acceptAt` is when one was
/// accepted: soketi's listening socket is open then (uWebSockets listens once soketi is set
/// up), up to one probe interval after it opened; /ready is then polled every 20 ms.
async function startSoketi({ accept = false } = {}) {
  if (!soketi.port) {
    soketi.port = await freePort();
    do soketi.metricsPort = await freePort(); while (soketi.metricsPort === soketi.port);
  }
  const env = {
    ...process.env,
    SOKETI_HOST: '127.0.0.1',
    SOKETI_PORT: String(soketi.port),
    SOKETI_METRICS_HOST: '127.0.0.1',
    SOKETI_METRICS_SERVER_PORT: String(soketi.metricsPort),
    SOKETI_METRICS_ENABLED: 'false',
    SOKETI_DEFAULT_APP_ID: app.id,
    SOKETI_DEFAULT_APP_KEY: app.key,
    SOKETI_DEFAULT_APP_SECRET: app.secret,
    SOKETI_DEFAULT_APP_ENABLE_CLIENT_MESSAGES: 'false',
    SOKETI_SHUTDOWN_GRACE_PERIOD: '100',
    AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE: '1',
  };
  soketi.proc = start(process.execPath, ['--import', path.join(interop, 'exit-with-parent.mjs'),
    path.join(interop, 'node_modules/@soketi/soketi/bin/server.js'), 'start'], { env, cwd: interop });
  const deadline = Date.now() + 30000;
  let acceptAt = null;
  for (let next = Date.now(); accept && Date.now() < deadline; next += kAcceptPollMs) {
    if (soketi.proc.exited) throw new Error(`soketi exited: ${soketi.proc.stderr}`);
    if (await accepts(soketi.port, 200)) {
      acceptAt = epochMs();
      break;
    }
    await sleep(Math.max(0, next + kAcceptPollMs - Date.now()));
  }
  if (accept && acceptAt === null) throw new Error('soketi did not accept within 30 s');
  while (Date.now() < deadline) {
    if (soketi.proc.exited) throw new Error(`soketi exited: ${soketi.proc.stderr}`);
    if (await httpStatus(soketi.port, '/ready', 500) === 200) return { acceptAt, readyAt: epochMs() };
    await sleep(accept ? kAcceptPollMs : 10);
  }
  throw new Error('soketi did not answer /ready within 30 s');
}

async function killSoketi() {
  if (!soketi.proc) return;
  soketi.proc.signal('SIGKILL');
  await soketi.proc.wait(10000);
  soketi.proc = null;
}

// ---- the clients --------------------------------------------------------------------------

const kinds = ['cpp', 'js'];
function startClient(kind, flags) {
  const argv = ['--url', `ws://127.0.0.1:${flags.port ?? soketi.port}`, '--key', app.key,
    '--channel', flags.channel, '--connections', String(flags.connections),
    '--events', String(flags.events), '--timeout', String(flags.timeout)];
  if (flags.idle !== undefined) argv.push('--idle', String(flags.idle));
  if (flags.perConnection) argv.push('--per-connection');
  if (flags.channels) argv.push('--channels', String(flags.channels));
  if (kind === 'cpp') return start(cppBench, argv);
  // pusher-js 8 keeps a few buffers per socket: give the heap room for 1,000 of them.
  return start(process.execPath, ['--max-old-space-size=4096', path.join(here, 'pusher-js-bench.mjs'), ...argv]);
}

/// The client's final JSON line (the one with "connections").
async function finalLine(proc, timeoutMs) {
  const l = await proc.waitLine((line) => line.startsWith('{"connections"'), timeoutMs);
  await proc.wait(5000);
  if (!l) throw new Error(`no result line; stderr: ${proc.stderr.slice(-600)}`);
  return JSON.parse(l.line);
}

async function waitReady(proc, timeoutMs) {
  const l = await proc.waitLine((line) => line.startsWith('{"ready"'), timeoutMs);
  if (!l) {
    proc.signal('SIGTERM');
    await proc.wait(5000);
    throw new Error(`not ready within ${timeoutMs} ms; stderr: ${proc.stderr.slice(-600)}; ` +
      `last line: ${proc.lines.at(-1)?.line ?? '(none)'}`);
  }
}

function publish(channel, count, intervalMs) {
  const proc = start(process.execPath, [path.join(here, 'publisher.mjs'), '--port', String(soketi.port),
    '--app-id', app.id, '--key', app.key, '--secret', app.secret, '--channel', channel,
    '--event', 'App\\Events\\MessageSent', '--count', String(count), '--interval-ms', String(intervalMs)]);
  return proc;
}

let channelSeq = 0;
const freshChannel = (what) => `bench-${what}-${process.pid}-${channelSeq++}`;

/// Runs `once(kind, run)` for each kind in turn, `runs` times, alternating.
async function alternate(name, once, kindsToRun = kinds, count = runs) {
  const results = { cpp: [], js: [] };
  for (let r = 0; r < count; r++) {
    for (const kind of kindsToRun) {
      try {
        const result = await once(kind, r);
        results[kind].push(result);
        log(`${name} ${kind} run ${r + 1}/${count}: ${JSON.stringify(result)}`);
      } catch (e) {
        log(`${name} ${kind} run ${r + 1}/${count} FAILED: ${e.message}`);
        results[kind].push({ error: e.message });
      }
    }
  }
  return results;
}

// ---- scenarios ----------------------------------------------------------------------------

async function latencyRun(kind, connections, events, intervalMs, timeoutS) {
  const channel = freshChannel(connections > 1 ? 'fanout' : 'latency');
  const client = startClient(kind, { channel, connections, events, timeout: timeoutS });
  await waitReady(client, 120000);
  const publisher = publish(channel, events, intervalMs);
  const published = await publisher.waitLine((l) => l.startsWith('{"published"'), timeoutS * 1000);
  await publisher.wait(5000);
  const result = await finalLine(client, timeoutS * 1000);
  if (published) result.publisher = JSON.parse(published.line);
  return result;
}

async function idleRun(kind, connections, idle, timeoutS, channels = 1) {
  const client = startClient(kind, { channel: freshChannel('idle'), channels, connections, events: 0, idle,
    timeout: timeoutS });
  await waitReady(client, timeoutS * 1000);
  return finalLine(client, (idle + 60) * 1000);
}

async function reconnectRun(kind) {
  const connections = 100;
  const client = startClient(kind, { channel: freshChannel('reconnect'), connections, events: 0, idle: 120, timeout: 150 });
  await waitReady(client, 60000);
  await sleep(500);
  const killedAt = epochMs();
  await killSoketi();
  const lost = await client.waitLine((l) => l.startsWith('{"lost"'), 10000);
  const { readyAt } = await startSoketi();
  const back = await client.waitLine((l) => l.startsWith('{"resubscribed":'), 60000);
  client.signal('SIGTERM');
  await finalLine(client, 15000).catch(() => null);
  if (!back) throw new Error('not all channels resubscribed within 60 s of soketi being ready');
  const at = JSON.parse(back.line).at_ms;
  return {
    connections,
    restart_ms: Math.round(readyAt - killedAt),
    lost_after_kill_ms: lost ? Math.round(JSON.parse(lost.line).at_ms - killedAt) : null,
    resubscribed_after_ready_ms: Math.round(at - readyAt),
  };
}

/// The median of `ms` with `missing` more values that never came (counted as later than any):
/// null when the middle falls among the missing.
function medianWithMissing(ms, missing) {
  const v = [...ms].sort((a, b) => a - b).concat(Array(missing).fill(Infinity));
  const mid = v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  return Number.isFinite(mid) ? Math.round(mid) : null;
}

async function outageRun(kind, outageS) {
  const connections = 100;
  const waitS = 90;  // from accept to the last connection resubscribed
  const client = startClient(kind, { channel: freshChannel('outage'), connections, events: 0,
    idle: outageS + waitS + 120, timeout: 60, perConnection: true });
  await waitReady(client, 60000);
  await sleep(500);
  const from = client.lines.length;
  const killedAt = epochMs();
  let acceptAt;
  let readyAt;
  let all;
  try {
    await killSoketi();
    await sleep(outageS * 1000);
    ({ acceptAt, readyAt } = await startSoketi({ accept: true }));
    all = await client.waitLine((l) => l.startsWith('{"resubscribed":'), waitS * 1000);
  } finally {
    client.signal('SIGTERM');
    await finalLine(client, 15000).catch(() => null);
  }
  const lines = client.lines.slice(from);
  const lost = lines.find((l) => l.line.startsWith('{"lost"'));
  const firstAt = new Map();  // connection -> its first resubscription after the kill
  for (const { line } of lines) {
    if (!line.startsWith('{"resubscribed_one"')) continue;
    const one = JSON.parse(line);
    if (!firstAt.has(one.resubscribed_one)) firstAt.set(one.resubscribed_one, one.at_ms);
  }
  const ms = [...firstAt.values()].map((at) => at - acceptAt).sort((a, b) => a - b);
  if (!all) {
    log(`outage ${outageS} s ${kind}: ${ms.length} of ${connections} resubscribed within ${waitS} s of accept`);
  }
  return {
    outage_s: outageS,
    connections,
    down_ms: Math.round(acceptAt - killedAt),
    accept_to_ready_ms: Math.round(readyAt - acceptAt),
    lost_after_kill_ms: lost ? Math.round(JSON.parse(lost.line).at_ms - killedAt) : null,
    resubscribed: ms.length,
    first_ms: ms.length > 0 ? Math.round(ms[0]) : null,
    median_ms: medianWithMissing(ms, connections - ms.length),
    last_ms: ms.length === connections ? Math.round(ms.at(-1)) : null,
  };
}

async function blasterRun(kind) {
  const events = kind === 'cpp' ? 3_000_000 : 300_000;
  const blaster = start(process.execPath, [path.join(here, 'blaster.mjs'), '--events', String(events),
    '--seconds', '30', '--clients', '1', '--lifetime', '90']);
  const listening = await blaster.waitLine((l) => l.startsWith('{"listening"'), 10000);
  if (!listening) throw new Error(`blaster did not start: ${blaster.stderr}`);
  const port = JSON.parse(listening.line).listening;
  const client = startClient(kind, { port, channel: 'blast', connections: 1, events, timeout: 60 });
  const result = await finalLine(client, 90000);
  const sent = await blaster.waitLine((l) => l.startsWith('{"client"'), 5000);
  blaster.child.stdin.end();
  await blaster.wait(5000);
  return { events_per_s: result.events_per_s, cpu_us_per_event: result.cpu_us_per_event,
    delivered: result.delivered, elapsed_s: result.elapsed_s,
    blaster: sent ? JSON.parse(sent.line) : null };
}

async function microRun() {
  const out = {};
  if (fs.existsSync(microBench)) {
    const proc = start(microBench, ['--benchmark_min_time=0.3', '--benchmark_repetitions=3',
      '--benchmark_report_aggregates_only=true']);
    const line = await proc.waitLine((l) => l.startsWith('BENCH_SUMMARY '), 300000);
    await proc.wait(10000);
    if (line) out.cpp = JSON.parse(line.line.slice('BENCH_SUMMARY '.length));
  } else {
    log(`micro: ${microBench} is missing (configure with -Dbench=enabled)`);
  }
  const node = start(process.execPath, [path.join(here, 'decode.mjs'), '--seconds', '1']);
  const line = await node.waitLine((l) => l.startsWith('DECODE_JSON '), 60000);
  await node.wait(10000);
  if (line) out.js = JSON.parse(line.line.slice('DECODE_JSON '.length));
  return out;
}

// ---- the table ----------------------------------------------------------------------------

const rows = [];
const fmt = (v, digits = 0) => (v === null || v === undefined ? 'n/a'
  : Number(v).toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }));
/// One row; `better` says which way is good ('lower' or 'higher'), `ratio` is cpp/js.
function row(scenario, measure, cpp, js, target, met, digits = 0) {
  const ratio = cpp !== null && js !== null && cpp !== undefined && js !== undefined && js !== 0
    ? `${(cpp / js).toFixed(cpp / js < 0.1 ? 3 : 2)}` : '';
  rows.push(`| ${scenario} | ${measure} | ${fmt(cpp, digits)} | ${js === undefined ? '-' : fmt(js, digits)} | ` +
    `${ratio} | ${target} | ${met === null ? '' : met ? 'yes' : '**no**'} |`);
}
const pick = (results, kind, key) => median((results[kind] ?? []).map((r) => r?.[key]));

const raw = { date: new Date().toISOString(), runs, machine: {
  nproc: os.cpus().length, cpu: os.cpus()[0]?.model, kernel: os.release(), node: process.version,
  load: os.loadavg() } };

async function main() {
  log(`runs ${runs}; scenarios ${[...only].join(', ')}; load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`);
  if (only.has('micro')) {
    log('micro: bench_micro and decode.mjs');
    const m = await microRun();
    raw.micro = m;
    if (m.cpp) {
      row('micro (CPU s)', 'decode + dispatch to a bound callback, events/s', m.cpp.decode_dispatch_per_s,
        m.js?.frames_per_s, '>= 4 M (cpp)', m.cpp.decode_dispatch_per_s >= 4e6);
      row('micro (CPU s)', 'frames -> FrameDecoder -> Manager -> callback, events/s', m.cpp.frames_to_callback_per_s,
        undefined, '', null);
      row('micro (CPU s)', 'typed decode to MessageSent (from the message), events/s', m.cpp.typed_from_message_per_s,
        undefined, '', null);
      row('micro (CPU s)', 'bare RapidJSON in situ, envelope + data, events/s', m.cpp.bare_insitu_per_s,
        m.js?.frames_per_s, 'reference (js: JSON.parse x2)', null);
      row('micro (CPU s)', 'typed / bare, time per event', m.cpp.typed_over_bare, undefined, '<= 1.30',
        m.cpp.typed_over_bare <= 1.3, 2);
      row('micro (CPU s)', 'WebSocket frame decode, MB/s (64 KiB reads)', m.cpp.frame_decode_mb_s, undefined, '', null);
    }
  }
  if (only.has('latency') || only.has('fanout') || only.has('memory') || only.has('10k') ||
      only.has('reconnect') || only.has('outage') || only.has('idle')) {
    await startSoketi();
    log(`soketi on 127.0.0.1:${soketi.port}`);
  }
  if (only.has('latency')) {
    const r = await alternate('latency', (kind) => latencyRun(kind, 1, 2000, 2, 120));
    raw.latency = r;
    const [c50, j50, c99, j99] = [pick(r, 'cpp', 'p50_us'), pick(r, 'js', 'p50_us'), pick(r, 'cpp', 'p99_us'), pick(r, 'js', 'p99_us')];
    row('latency, 1 conn x 2,000 events', 'p50 us', c50, j50, '<= pusher-js', c50 <= j50);
    row('latency, 1 conn x 2,000 events', 'p99 us', c99, j99, '<= pusher-js', c99 <= j99);
  }
  if (only.has('fanout')) {
    const r = await alternate('fanout', (kind) => latencyRun(kind, 200, 200, 20, 180));
    raw.fanout = r;
    const [c50, j50, c99, j99] = [pick(r, 'cpp', 'p50_us'), pick(r, 'js', 'p50_us'), pick(r, 'cpp', 'p99_us'), pick(r, 'js', 'p99_us')];
    row('fan-out, 200 conns x 200 events', 'p50 us', c50, j50, '', null);
    row('fan-out, 200 conns x 200 events', 'p99 us', c99, j99, '<= 1/2 pusher-js', c99 <= j99 / 2);
    row('fan-out, 200 conns x 200 events', 'CPU us per event', pick(r, 'cpp', 'cpu_us_per_event'),
      pick(r, 'js', 'cpu_us_per_event'), '', null, 1);
  }
  if (only.has('memory')) {
    const r = await alternate('memory', (kind) => idleRun(kind, 1000, 5, 120));
    raw.memory = r;
    const [c, j] = [pick(r, 'cpp', 'rss_per_conn_kib'), pick(r, 'js', 'rss_per_conn_kib')];
    row('memory, 1,000 idle conns', 'RSS KiB per connection', c, j, '<= 1/4 pusher-js', c <= j / 4, 1);
    row('memory, 1,000 idle conns', 'connect + subscribe all, ms', pick(r, 'cpp', 'connect_ms'), pick(r, 'js', 'connect_ms'), '', null);
  }
  if (only.has('10k')) {
    if (args['skip-10k']) {
      row('10,000 conns', 'skipped', null, undefined, args['skip-10k'], null);
    } else {
      const r = await alternate('10k', (kind) => idleRun(kind, 10000, 5, 300, 100), kinds, 1);
      raw.tenk = r;
      const scenario = '10,000 conns, 100 channels (cpp: one loop thread)';
      const subscribed = pick(r, 'cpp', 'subscribed');
      row(scenario, 'subscribed', subscribed, pick(r, 'js', 'subscribed'), '10,000', subscribed === 10000);
      const ms = pick(r, 'cpp', 'connect_ms');
      row(scenario, 'connect + subscribe all, ms', ms, pick(r, 'js', 'connect_ms'), '<= 5,000 ms',
        ms === null || ms === undefined ? null : ms <= 5000);
      row(scenario, 'RSS KiB per connection', pick(r, 'cpp', 'rss_per_conn_kib'), pick(r, 'js', 'rss_per_conn_kib'), '', null, 1);
      const one = await alternate('10k-one-channel', (kind) => idleRun(kind, 10000, 5, 300, 1), kinds, 1);
      raw.tenkOneChannel = one;
      const oneScenario = '10,000 conns, one channel (soketi-bound)';
      const oneSubscribed = pick(one, 'cpp', 'subscribed');
      row(oneScenario, 'subscribed', oneSubscribed, pick(one, 'js', 'subscribed'), '10,000', oneSubscribed === 10000);
      row(oneScenario, 'connect + subscribe all, ms', pick(one, 'cpp', 'connect_ms'), pick(one, 'js', 'connect_ms'), '', null);
    }
  }
  if (only.has('reconnect')) {
    const r = await alternate('reconnect', (kind) => reconnectRun(kind));
    raw.reconnect = r;
    const [c, j] = [pick(r, 'cpp', 'resubscribed_after_ready_ms'), pick(r, 'js', 'resubscribed_after_ready_ms')];
    row('reconnect, 100 conns, soketi SIGKILL + restart', 'ms from ready to all resubscribed', c, j, '<= 1,500 ms', c <= 1500);
  }
  if (only.has('outage')) {
    raw.outage = {};
    for (const outageS of outages) {
      const r = await alternate(`outage ${outageS} s`, (kind) => outageRun(kind, outageS));
      raw.outage[outageS] = r;
      const scenario = `outage ${outageS} s, 100 conns, soketi SIGKILL, down, restart`;
      // Over runs, a run where some connection never came back counts as later than any.
      const over = (kind, key) => {
        const v = (r[kind] ?? []).filter((x) => !x?.error).map((x) => x[key] ?? Infinity);
        const missing = v.filter((x) => !Number.isFinite(x)).length;
        return v.length === 0 ? null : medianWithMissing(v.filter(Number.isFinite), missing);
      };
      const [cm, jm, cl, jl] = [over('cpp', 'median_ms'), over('js', 'median_ms'),
        over('cpp', 'last_ms'), over('js', 'last_ms')];
      row(scenario, 'ms from accept to resubscribed, median', cm, jm, '<= 1,000 ms', cm !== null && cm <= 1000);
      row(scenario, 'ms from accept to resubscribed, last', cl, jl, '<= 2,000 ms', cl !== null && cl <= 2000);
    }
  }
  if (only.has('blaster')) {
    const r = await alternate('blaster', (kind) => blasterRun(kind));
    raw.blaster = r;
    const [ce, je, cc, jc] = [pick(r, 'cpp', 'events_per_s'), pick(r, 'js', 'events_per_s'),
      pick(r, 'cpp', 'cpu_us_per_event'), pick(r, 'js', 'cpu_us_per_event')];
    row('blaster, 1 conn', 'events/s', ce, je, '>= 5x pusher-js', ce >= 5 * je);
    row('blaster, 1 conn', 'CPU us per event', cc, jc, '<= 1/5 pusher-js', cc <= jc / 5, 2);
  }
  if (only.has('idle')) {
    // Both at once (idle, they do not compete): runs x S seconds rather than twice that.
    const r = { cpp: [], js: [] };
    for (let k = 0; k < runs; k++) {
      const [c, j] = await Promise.all(kinds.map((kind) => idleRun(kind, 1, idleSeconds, 30).catch((e) => ({ error: e.message }))));
      r.cpp.push(c);
      r.js.push(j);
      log(`idle run ${k + 1}/${runs}: cpp ${JSON.stringify(c)} js ${JSON.stringify(j)}`);
    }
    raw.idle = r;
    row(`idle, 1 conn, ${idleSeconds} s`, 'wake-ups (context switches, all threads) per minute',
      pick(r, 'cpp', 'idle_wakeups_per_min'), pick(r, 'js', 'idle_wakeups_per_min'), 'heartbeats only', null, 1);
  }
  await killSoketi();

  const table = ['| scenario | measure | pusher-cpp | pusher-js | ratio cpp/js | target | met |',
    '|---|---|---:|---:|---:|---|---|', ...rows].join('\n');
  process.stdout.write(`\nDate: ${raw.date}; machine: ${raw.machine.nproc} cores, ${raw.machine.cpu}, ` +
    `kernel ${raw.machine.kernel}, node ${raw.machine.node}; medians of ${runs} run(s); ` +
    `load average at the end ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}\n\n${table}\n`);
  if (args.out) fs.writeFileSync(args.out, JSON.stringify(raw, null, 1) + '\n');
}

main().then(() => process.exit(0), (e) => {
  log(`failed: ${e.stack ?? e}`);
  process.exit(1);
});
