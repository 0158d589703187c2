/**
 * A webhook sink for benchmarks, run as its own process so its CPU does not compete with
 * the sender's event loop: answers every POST with 204 after reading the body, prints its
 * port on stdout, exits when stdin closes.
 */
import { createServer } from 'node:http';

const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(204);
    res.end();
  });
});
server.keepAliveTimeout = 10_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${(server.address() as { port: number }).port}\n`);
});
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
