// What pusher-js does with every message it receives, on the frames of bench_micro:
// JSON.parse of the envelope, then JSON.parse of its `data` string (pusher-js
// Protocol.decodeMessage). Prints frames/s so that the figure compares with bench_micro's
// in the same run on the same machine.
//
//   node test/interop/bench/decode.mjs [--seconds S] [--data FILE]
//
// Output: a human line, then `DECODE_JSON {"frames_per_s":N,...}`: frames per CPU second,
// median of 5 rounds.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = { seconds: 1, data: path.resolve(here, '../../../bench/data/message_sent.jsonl') };
for (let i = 2; i < process.argv.length; i++) {
  const a = process.argv[i];
  if (a === '--seconds' && i + 1 < process.argv.length) args.seconds = Number(process.argv[++i]);
  else if (a === '--data' && i + 1 < process.argv.length) args.data = process.argv[++i];
  else {
    process.stderr.write('usage: node decode.mjs [--seconds S] [--data FILE]\n');
    process.exit(2);
  }
}
if (!(args.seconds > 0 && args.seconds <= 60)) {
  process.stderr.write('--seconds wants a number in (0, 60]\n');
  process.exit(2);
}

// As they come off the socket: one string per WebSocket text message.
const frames = fs.readFileSync(args.data, 'utf8').split('\n').filter((l) => l.length > 0);
const bytes = frames.reduce((n, f) => n + Buffer.byteLength(f), 0) / frames.length;

let sink = 0;
function decode(text) {
  const message = JSON.parse(text);
  if (typeof message.data === 'string') {
    try {
      message.data = JSON.parse(message.data);
    } catch {
      // pusher-js keeps a data string that is not JSON as it is
    }
  }
  sink += message.data.message.id;
  return message;
}

// Frames per second of this process's CPU time (user + system, GC threads included), as
// bench_micro counts CPU time: robust when other work shares the cores.
function round(seconds) {
  const deadline = performance.now() + seconds * 1000;
  const kBatch = 2000;
  let count = 0;
  const cpu0 = process.cpuUsage();
  while (performance.now() < deadline) {
    for (let i = 0; i < kBatch; i++) decode(frames[i % frames.length]);
    count += kBatch;
  }
  const cpu = process.cpuUsage(cpu0);
  return count / ((cpu.user + cpu.system) / 1e6);
}

round(Math.min(0.5, args.seconds));  // warm-up: let the JIT settle
const rates = [];
for (let r = 0; r < 5; r++) rates.push(round(args.seconds));
rates.sort((a, b) => a - b);
const median = rates[2];
const cpu = process.cpuUsage();
process.stdout.write(`JSON.parse envelope + data: ${(median / 1e6).toFixed(3)} M frames/s ` +
  `per CPU second (${frames.length} frames of ~${Math.round(bytes)} bytes, median of 5 rounds of ${args.seconds} s)\n`);
process.stdout.write('DECODE_JSON ' + JSON.stringify({
  frames_per_s: Math.round(median),
  rounds: rates.map(Math.round),
  bytes_per_frame: Math.round(bytes),
  cpu_user_ms: Math.round(cpu.user / 1000),
  check: sink > 0,
}) + '\n');
