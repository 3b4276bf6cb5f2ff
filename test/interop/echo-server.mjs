// WebSocket echo server for the C++ WebSocket tests.
//
//   node echo-server.mjs [--port N] [--tls CERT KEY] [--ignore-stdin]
//
// Listens on 127.0.0.1 (port 0 = ephemeral) and prints exactly one line `READY <port>` on
// stdout. Every text or binary message comes back unchanged, except these text commands,
// which are acted on instead of echoed:
//   cmd:close:<code>:<reason>  close with that code and reason (`cmd:close::` closes with no
//                              code; a code the protocol cannot send, such as 1006, or the
//                              word `drop` ends the TCP connection without a close frame)
//   cmd:ping:<payload>         send a ping with that payload; when the pong comes back,
//                              send the text message `pong:<pong payload>`
//   cmd:send:<n>               send a text message of n 'x' bytes
// Exits on SIGTERM and when stdin reaches end-of-file (the test process is gone), unless
// --ignore-stdin is given.
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { WebSocketServer } from 'ws';

function fail(message) {
  process.stderr.write(`echo-server: ${message}\n`);
  process.exit(2);
}

function parseArgs(argv) {
  const args = { port: 0, cert: null, key: null, ignoreStdin: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--port' && i + 1 < argv.length) {
      args.port = Number(argv[++i]);
      if (!Number.isInteger(args.port) || args.port < 0 || args.port > 65535) {
        fail(`--port wants 0..65535, got ${argv[i]}`);
      }
    } else if (a === '--tls' && i + 2 < argv.length) {
      args.cert = argv[++i];
      args.key = argv[++i];
    } else if (a === '--ignore-stdin') {
      args.ignoreStdin = true;
    } else {
      fail(`unknown or incomplete argument '${a}'; usage: node echo-server.mjs ` +
        '[--port N] [--tls CERT KEY] [--ignore-stdin]');
    }
  }
  return args;
}

const kMaxPayload = 64 * 1024 * 1024;

function handleCommand(ws, text) {
  if (text.startsWith('cmd:close:')) {
    const rest = text.slice('cmd:close:'.length);
    const colon = rest.indexOf(':');
    const codeText = colon < 0 ? rest : rest.slice(0, colon);
    const reason = colon < 0 ? '' : rest.slice(colon + 1);
    if (codeText === '') {
      ws.close();
      return;
    }
    try {
      ws.close(Number(codeText), reason);
    } catch {
      ws.terminate(); // 'drop', 1005, 1006, ...: no close frame can carry these
    }
  } else if (text.startsWith('cmd:ping:')) {
    ws.ping(Buffer.from(text.slice('cmd:ping:'.length), 'utf8'));
  } else if (text.startsWith('cmd:send:')) {
    const n = Number(text.slice('cmd:send:'.length));
    if (!Number.isInteger(n) || n < 0) {
      ws.close(1008, 'cmd:send wants a count');
      return;
    }
    ws.send('x'.repeat(n));
  } else {
    return false;
  }
  return true;
}

const args = parseArgs(process.argv.slice(2));
let server;
try {
  server = args.cert
    ? https.createServer({ cert: fs.readFileSync(args.cert), key: fs.readFileSync(args.key) })
    : http.createServer();
} catch (e) {
  fail(`cannot read the TLS files: ${e.message}`);
}
server.on('request', (_req, res) => {
  res.writeHead(426, { 'Content-Type': 'text/plain' });
  res.end('WebSocket upgrade required\n');
});

const wss = new WebSocketServer({ server, maxPayload: kMaxPayload, perMessageDeflate: false });
wss.on('connection', (ws) => {
  ws.on('error', () => ws.terminate());
  ws.on('pong', (data) => ws.send(`pong:${data.toString('utf8')}`));
  ws.on('message', (data, isBinary) => {
    if (!isBinary && data.length >= 4 && data.subarray(0, 4).toString() === 'cmd:' &&
        handleCommand(ws, data.toString('utf8'))) {
      return;
    }
    ws.send(data, { binary: isBinary });
  });
});

server.on('error', (e) => fail(`cannot listen on 127.0.0.1:${args.port}: ${e.message}`));
server.listen(args.port, '127.0.0.1', () => {
  process.stdout.write(`READY ${server.address().port}\n`);
});

const shutdown = () => {
  for (const client of wss.clients) client.terminate();
  process.exit(0);
};
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
if (!args.ignoreStdin) {
  process.stdin.on('end', shutdown);
  process.stdin.on('error', shutdown);
  process.stdin.resume();
}
