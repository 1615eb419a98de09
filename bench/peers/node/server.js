// Node peer for `make bench`: the same behaviour as bench/apps: GET /hello → {"message":"Hello World"};
// WebSocket /ws: every message is broadcast to every client; /echo: echoed. Usage: node server.js PORT
const http = require('http');
const { WebSocketServer } = require('ws');
const port = Number(process.argv[2] || 8080);
const body = JSON.stringify({ message: 'Hello World' });
const server = http.createServer((req, res) => {
  if (req.url === '/hello') {
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  } else {
    res.writeHead(404); res.end();
  }
});
const wss = new WebSocketServer({ noServer: true });
server.on('upgrade', (req, socket, head) => {
  wss.handleUpgrade(req, socket, head, (ws) => {
    ws.on('message', (data, isBinary) => {
      if (req.url === '/echo') ws.send(data, { binary: isBinary });
      else for (const c of wss.clients) c.send(data, { binary: isBinary });
    });
  });
});
server.listen(port, '127.0.0.1', () => console.log(`listening on ${port}`));
