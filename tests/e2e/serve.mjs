// Minimal static file server for dist/, behaving like GitHub Pages: unknown
// paths get 404.html (a copy of index.html), so deep links work.
// Usage: node serve.mjs [dir] [port]   (binds 127.0.0.1 only)
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.wasm': 'application/wasm',
  '.css': 'text/css', '.svg': 'image/svg+xml', '.png': 'image/png', '.json': 'application/json',
  '.webmanifest': 'application/manifest+json', '.bin': 'application/octet-stream',
};

/** Serves `dir` (or the folder a function returns at each request: a test
 * can swap builds under a running server). With `gzip`, answers that the
 * browser accepts gzipped are compressed (gzip -9, as a real host would;
 * the load benchmark uses it). */
export function serve(dir, port = 0, { gzip = false } = {}) {
  const packed = new Map();
  const rootOf = typeof dir === 'function' ? () => path.resolve(dir()) : () => path.resolve(dir);
  const server = http.createServer((req, res) => {
    const root = rootOf();
    const url = new URL(req.url, 'http://localhost');
    let file = path.join(root, decodeURIComponent(url.pathname));
    if (!file.startsWith(root)) { res.writeHead(403).end(); return; }
    if (fs.existsSync(file) && fs.statSync(file).isDirectory()) file = path.join(file, 'index.html');
    let status = 200;
    if (!fs.existsSync(file)) { file = path.join(root, '404.html'); status = 404; }
    const headers = { 'content-type': TYPES[path.extname(file)] || 'application/octet-stream' };
    if (gzip && /\bgzip\b/.test(req.headers['accept-encoding'] || '')) {
      if (!packed.has(file)) packed.set(file, zlib.gzipSync(fs.readFileSync(file), { level: 9 }));
      res.writeHead(status, { ...headers, 'content-encoding': 'gzip' });
      res.end(packed.get(file));
      return;
    }
    res.writeHead(status, headers);
    fs.createReadStream(file).pipe(res);
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const dir = process.argv[2] || 'dist';
  const port = Number(process.argv[3] || 8080);
  serve(dir, port).then((s) => console.log(`serving ${dir} on http://127.0.0.1:${s.address().port}`));
}
