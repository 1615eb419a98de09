// Node peer for `make bench`: the same behaviour as bench/apps (hello, chat, ws-broadcast):
// GET /hello → {"message":"Hello World"}; POST /messages stores the JSON body in memory,
// broadcasts it to every /ws client and answers 201 with it (malformed → 400);
// WebSocket /ws: every message is broadcast to every /ws client; /echo: echoed. Else 404.
// Usage: node server.js PORT
const http = require('http');
const { WebSocketServer } = require('ws');
const port = Number(process.argv[2] || 8080);
const body = JSON.stringify({ message: 'Hello World' });
const messages = []; // every posted message, kept for the whole run
const wsClients = new Set(); // clients connected on /ws (not /echo)
const broadcast = (data, isBinary) => {
  for (const c of wsClients) c.send(data, { binary: isBinary });
};
const server = http.createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/hello') {
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  } else if (req.method === 'POST' && req.url === '/messages') {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      let value;
      try {
        value = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        res.writeHead(400, { 'Content-Length': 0 }); res.end(); return;
      }
      messages.push(value);
      const text = JSON.stringify(value);
      broadcast(text, false);
      res.writeHead(201, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
      res.end(text);
    });
  } else {
    res.writeHead(404); res.end();
  }
});
const wss = new WebSocketServer({ noServer: true });
server.on('upgrade', (req, socket, head) => {
  wss.handleUpgrade(req, socket, head, (ws) => {
    const echo = req.url === '/echo';
    if (!echo) {
      wsClients.add(ws);
      ws.on('close', () => wsClients.delete(ws));
    }
    ws.on('message', (data, isBinary) => {
      if (echo) ws.send(data, { binary: isBinary });
      else broadcast(data, isBinary);
    });
  });
});
server.listen(port, '127.0.0.1', () => console.log(`listening on ${port}`));
