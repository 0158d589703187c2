'use strict';
/*
 * Lockstep demo app: a tiny dependency-free HTTP server that Lockstep's node agent installs,
 * restarts and health-checks in the demo, the tests and the benchmark.
 *
 *   GET /        {"version": "<VERSION file>", "greeting": "<shared config greeting>"}
 *   GET /health  200 {"status":"ok"}; 500 when the release is broken (a BROKEN file next to
 *                this one, or DEMO_BROKEN=1 in the environment)
 *
 * Environment: PORT (default 8080), HOST (default 127.0.0.1), LOCKSTEP_SHARED_DIR (where
 * config.json lives, set by the agent).
 */
const http = require('node:http');
const fs = require('node:fs');
const path = require('node:path');

const here = __dirname;
const read = (file) => {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
};
const version = (read(path.join(here, 'VERSION')) || 'unknown').trim();
const broken = process.env.DEMO_BROKEN === '1' || fs.existsSync(path.join(here, 'BROKEN'));
const port = Number(process.env.PORT || 8080);
const host = process.env.HOST || '127.0.0.1';

const sharedConfig = () => {
  const dir = process.env.LOCKSTEP_SHARED_DIR;
  const text = dir ? read(path.join(dir, 'config.json')) : undefined;
  try {
    return text ? JSON.parse(text) : {};
  } catch {
    return {};
  }
};

const send = (res, status, body) => {
  res.writeHead(status, { 'content-type': 'application/json', connection: 'close' });
  res.end(`${JSON.stringify(body)}\n`);
};

const server = http.createServer((req, res) => {
  const url = (req.url || '/').split('?')[0];
  if (url === '/health')
    return broken ? send(res, 500, { status: 'broken', version }) : send(res, 200, { status: 'ok', version });
  if (url === '/') return send(res, 200, { version, greeting: sharedConfig().greeting || null });
  return send(res, 404, { error: `no route ${url}` });
});

server.listen(port, host, () =>
  process.stdout.write(`demo app ${version} listening on http://${host}:${port}${broken ? ' (broken release)' : ''}\n`),
);
const stop = () => server.close(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
