// The blaster: a loopback WebSocket server speaking just enough of the Pusher protocol to
// push events at one client as fast as its socket takes them, so that the client, not the
// server, is the bottleneck.
//
//   node blaster.mjs [--port P] [--events N] [--seconds D] [--clients K] [--lifetime S]
//                    [--mode raw|send]
//
// For each client: `pusher:connection_established`, then on `pusher:subscribe` a
// `pusher_internal:subscription_succeeded` for that channel, then N events (default
// 1,000,000; or for D seconds, whichever ends first) of `App\Events\MessageSent` on that
// channel, cycling through bench/data/message_sent.jsonl with a numeric `t` added to each
// payload (pusher-bench counts events by it). `pusher:ping` gets `pusher:pong`.
//
// --mode raw (default): the frames are encoded once, 256 to a buffer, and written to the
// connection's socket (ws's own socket, after ws did the upgrade); backpressure: stop when
// socket.write() returns false and go on at 'drain'. --mode send: ws.send() per event,
// waiting for the send callback whenever bufferedAmount passes 1 MiB (slower: the server may
// then be the bottleneck).
//
// Prints `{"listening":PORT}`, and per client `{"client":I,"sent":N,"elapsed_s":S,
// "events_per_s":R}`. Exits after K clients (default 1) were served and closed, after
// --lifetime S (default 300), or when stdin ends.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocketServer } from 'ws';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = { port: 0, events: 1_000_000, seconds: 60, clients: 1, lifetime: 300, mode: 'raw' };
for (let i = 2; i < process.argv.length; i++) {
  const name = process.argv[i].startsWith('--') ? process.argv[i].slice(2) : null;
  if (name === null || !(name in args) || i + 1 >= process.argv.length) {
    process.stderr.write('usage: node blaster.mjs [--port P] [--events N] [--seconds D] [--clients K] ' +
      '[--lifetime S] [--mode raw|send]\n');
    process.exit(2);
  }
  const value = process.argv[++i];
  args[name] = name === 'mode' ? value : Number(value);
}
if (!['raw', 'send'].includes(args.mode) || !(args.events >= 1) || !(args.seconds > 0) ||
    !(args.lifetime > 0 && args.lifetime <= 3600)) {
  process.stderr.write('blaster: bad --mode, --events, --seconds or --lifetime\n');
  process.exit(2);
}

const payloads = fs.readFileSync(path.resolve(here, '../../../bench/data/message_sent.jsonl'), 'utf8')
  .split('\n').filter((l) => l.length > 0).map((l) => JSON.parse(JSON.parse(l).data));
const epochMs = () => performance.timeOrigin + performance.now();

/// The Pusher messages for `channel`, one per payload, as text.
function messagesFor(channel) {
  return payloads.map((p, i) => JSON.stringify({
    event: 'App\\Events\\MessageSent',
    channel,
    data: JSON.stringify({ ...p, seq: i, t: epochMs() }),
  }));
}

/// One unmasked server text frame (RFC 6455 §5.2).
function frame(text) {
  const payload = Buffer.from(text, 'utf8');
  const n = payload.length;
  let header;
  if (n < 126) {
    header = Buffer.from([0x81, n]);
  } else if (n < 65536) {
    header = Buffer.from([0x81, 126, n >> 8, n & 0xff]);
  } else {
    header = Buffer.alloc(10);
    header[0] = 0x81;
    header[1] = 127;
    header.writeBigUInt64BE(BigInt(n), 2);
  }
  return Buffer.concat([header, payload]);
}

const kPerBuffer = 256;
const kHighWater = 1 << 20;
let served = 0;
let clientSeq = 0;

function blastRaw(ws, messages, done) {
  const frames = messages.map(frame);
  const full = Buffer.concat(Array.from({ length: kPerBuffer }, (_, i) => frames[i % frames.length]));
  const socket = ws._socket;  // ws did the upgrade; the frames go straight onto its socket
  const start = performance.now();
  const deadline = start + args.seconds * 1000;
  let sent = 0;
  const pump = () => {
    while (sent < args.events) {
      if (ws.readyState !== ws.OPEN || performance.now() >= deadline) break;
      const left = args.events - sent;
      const chunk = left >= kPerBuffer ? full
        : Buffer.concat(Array.from({ length: left }, (_, i) => frames[(sent + i) % frames.length]));
      sent += Math.min(left, kPerBuffer);
      if (!socket.write(chunk)) {
        socket.once('drain', pump);
        return;
      }
    }
    done(sent, (performance.now() - start) / 1000);
  };
  pump();
}

function blastSend(ws, messages, done) {
  const start = performance.now();
  const deadline = start + args.seconds * 1000;
  let sent = 0;
  const pump = () => {
    while (sent < args.events) {
      if (ws.readyState !== ws.OPEN || performance.now() >= deadline) break;
      const message = messages[sent % messages.length];
      sent++;
      if (ws.bufferedAmount > kHighWater) {
        ws.send(message, () => pump());
        return;
      }
      ws.send(message);
    }
    done(sent, (performance.now() - start) / 1000);
  };
  pump();
}

const server = new WebSocketServer({ host: '127.0.0.1', port: args.port, perMessageDeflate: false });
server.on('listening', () => {
  process.stdout.write(JSON.stringify({ listening: server.address().port }) + '\n');
});
server.on('connection', (ws) => {
  const id = clientSeq++;
  let blasting = false;
  ws.send(JSON.stringify({
    event: 'pusher:connection_established',
    data: JSON.stringify({ socket_id: `${id}.1`, activity_timeout: 120 }),
  }));
  ws.on('message', (raw) => {
    let message;
    try {
      message = JSON.parse(raw.toString());
    } catch {
      return;
    }
    if (message.event === 'pusher:ping') {
      ws.send(JSON.stringify({ event: 'pusher:pong', data: '{}' }));
    } else if (message.event === 'pusher:subscribe' && !blasting) {
      blasting = true;
      const channel = message.data?.channel ?? '';
      ws.send(JSON.stringify({ event: 'pusher_internal:subscription_succeeded', channel, data: '{}' }));
      const blast = args.mode === 'raw' ? blastRaw : blastSend;
      blast(ws, messagesFor(channel), (sent, elapsed) => {
        process.stdout.write(JSON.stringify({
          client: id, sent, elapsed_s: +elapsed.toFixed(3), events_per_s: Math.round(sent / elapsed),
        }) + '\n');
      });
    }
  });
  ws.on('error', () => {});
  ws.on('close', () => {
    if (++served >= args.clients) shutdown();
  });
});

function shutdown() {
  server.close();
  for (const client of server.clients) client.terminate();
  setTimeout(() => process.exit(0), 100).unref();
}
setTimeout(shutdown, args.lifetime * 1000).unref();
process.stdin.on('end', shutdown);
process.stdin.on('error', shutdown);
process.stdin.resume();
