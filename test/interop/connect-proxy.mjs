// A minimal HTTP proxy that only tunnels (CONNECT), for pusher-cpp's proxy test. Listens on
// 127.0.0.1 (an ephemeral port), prints `READY <port>`, and counts tunnels on stderr as
// `TUNNEL <host:port>`. Refuses anything but CONNECT to 127.0.0.1. Exits when stdin closes.
import http from 'node:http';
import net from 'node:net';

const server = http.createServer((req, res) => {
  res.writeHead(405, { 'Content-Type': 'text/plain' });
  res.end('only CONNECT\n');
});
server.on('connect', (req, client, head) => {
  const [host, port] = req.url.split(':');
  if (host !== '127.0.0.1') {
    client.end('HTTP/1.1 403 Forbidden\r\n\r\n');
    return;
  }
  const upstream = net.connect(Number(port), host, () => {
    process.stderr.write(`TUNNEL ${req.url}\n`);
    client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    if (head.length) upstream.write(head);
    upstream.pipe(client);
    client.pipe(upstream);
  });
  upstream.on('error', () => client.destroy());
  client.on('error', () => upstream.destroy());
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`READY ${server.address().port}\n`);
});
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
process.on('SIGTERM', () => process.exit(0));
