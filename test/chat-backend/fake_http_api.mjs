// A stand-in for the trigger endpoint of Pusher's HTTP API, POST /apps/<app id>/events, after
// Pusher's HTTP API reference (https://pusher.com/docs/channels/library_auth_reference/rest-api/).
// Like Pusher, it checks the request's signature and answers 401 when it is wrong; otherwise it
// records the event and answers what the test asks, by default what Pusher and Laravel Reverb
// answer a successful trigger with: 200 and `{}`. Over https when given a key and certificate.
// Binds to 127.0.0.1 on a free port.
import crypto from 'node:crypto';
import { once } from 'node:events';
import http from 'node:http';
import https from 'node:https';

// The signature of the reference's "Generating authentication signatures": HMAC-SHA256 (hex)
// over "METHOD\nPATH\nQUERY", QUERY being every parameter but auth_signature, sorted by name.
function signatureOf(method, pathname, query, secret) {
  const pairs = query.split('&').filter((p) => p !== '' && !p.startsWith('auth_signature='));
  const name = (pair) => pair.split('=')[0];
  const signed = pairs.sort((a, b) => (name(a) < name(b) ? -1 : 1)).join('&');
  return crypto.createHmac('sha256', secret).update(`${method}\n${pathname}\n${signed}`).digest('hex');
}

function readAll(req) {
  return new Promise((resolve, reject) => {
    const parts = [];
    req.on('data', (c) => parts.push(c));
    req.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    req.on('error', reject);
  });
}

// Why the request is not a well-signed trigger for this app, or '' when it is one.
function refusal(req, url, body, app) {
  if (req.method !== 'POST' || url.pathname !== `/apps/${app.id}/events`) return 'not a trigger';
  const query = url.search.slice(1);
  const params = url.searchParams;
  if (params.get('auth_key') !== app.key) return 'Unknown auth_key';
  const md5 = crypto.createHash('md5').update(body, 'utf8').digest('hex');
  if (params.get('body_md5') !== md5) return 'body_md5 does not match the body';
  if (params.get('auth_signature') !== signatureOf(req.method, url.pathname, query, app.secret)) {
    return 'Invalid signature';
  }
  return '';
}

// startFakeApi({ app, answer, tls }): `answer(event)` gives [status, body] for a well-signed
// trigger (default [200, '{}']); `tls` is { key, cert } for https. Resolves with
// { url, events, close }: `events` holds each well-signed trigger's JSON body.
export async function startFakeApi({ app, answer = () => [200, '{}'], tls }) {
  const events = [];
  const handler = async (req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    const body = await readAll(req);
    const why = refusal(req, url, body, app);
    let status;
    let text;
    if (why === 'not a trigger') [status, text] = [404, 'Not found'];
    else if (why) [status, text] = [401, why];
    else {
      const event = JSON.parse(body);
      events.push(event);
      [status, text] = answer(event);
    }
    res.writeHead(status, { 'Content-Type': 'application/json' });
    res.end(text);
  };
  const server = tls ? https.createServer(tls, handler) : http.createServer(handler);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const scheme = tls ? 'https' : 'http';
  return {
    url: `${scheme}://127.0.0.1:${server.address().port}`,
    events,
    close: async () => {
      const closed = once(server, 'close');
      server.close();
      server.closeAllConnections();  // the backend keeps connections alive
      await closed;
    },
  };
}
