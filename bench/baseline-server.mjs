// The baseline of the API benchmarks: a bare node:http server answering the same JSON bodies as
// retouch's status and submit routes, with no framework, auth, validation or store.
import http from 'node:http';

const status = JSON.stringify({
  request_id: '6f1c1e4e-3a2b-4c5d-8e9f-0a1b2c3d4e5f',
  status: 'in_queue',
  queue_position: 0,
  created_at: new Date().toISOString(),
  started_at: null,
  finished_at: null,
});

const server = http.createServer((req, res) => {
  if (req.method === 'GET') {
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(status) });
    return res.end(status);
  }
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    JSON.parse(Buffer.concat(chunks).toString('utf8'));
    const id = crypto.randomUUID();
    const base = `http://127.0.0.1/v1/requests/${id}`;
    const body = JSON.stringify({ request_id: id, status: 'in_queue', status_url: `${base}/status`, result_url: `${base}/result`, cancel_url: `${base}/cancel` });
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
});
server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ public_url: `http://127.0.0.1:${server.address().port}` })));
