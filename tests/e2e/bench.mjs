// In-browser latency benchmark for the Q/K/V chapter (not a test).
//
// Usage: node tests/e2e/bench.mjs [--runs 60] [--tokens 64[,512]] [--json]
//
// For each token count (default 64; `--tokens 64,512` measures both) and
// configuration it opens /qkv with that many distinct tokens, d_model 64,
// 8 heads, d_k 8, waits for painting to settle, then N times: takes
// t0 = performance.now() in the page, moves the temperature slider to a new
// position and dispatches an `input` event (what a drag does), and waits until
// window.__attnPaint.last > t0 and no further paint has happened for QUIET_MS.
// The latency of that event is (last paint end - t0), i.e. until the last
// canvas affected by the change has finished painting.
// Before measuring, the page is scrolled to the weights matrix (charts far off
// screen are repainted only when they scroll into view).
// Also reports how many canvas paints one event causes and the gzipped size
// (gzip -9, node zlib) of the shipped wasm + js + css in dist/.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { start, openPage, waitForApp, waitForPaintsToSettle, distDir } from './helpers.mjs';

const args = process.argv.slice(2);
const RUNS = Number(args[args.indexOf('--runs') + 1]) > 0 && args.includes('--runs')
  ? Number(args[args.indexOf('--runs') + 1]) : 60;
const WARMUP = 5;
const QUIET_MS = 60;
const jsonOnly = args.includes('--json');
const TOKENS = (args.includes('--tokens') ? args[args.indexOf('--tokens') + 1] : '64')
  .split(',').map(Number);
if (TOKENS.some((n) => !(Number.isInteger(n) && n >= 1 && n <= 512))) {
  throw new Error('--tokens takes whole numbers from 1 to 512, comma-separated');
}

const BASE_WORDS = ('alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike november '
  + 'oscar papa quebec romeo sierra tango uniform victor whiskey xray yankee zulu apple banana cherry '
  + 'date elder fig grape hazel iris jade kiwi lemon mango nectar olive peach quince raisin sage thyme '
  + 'umber violet walnut yarrow zest amber basil cedar dune ember fern glade heath inlet jasper knoll '
  + 'lotus marble nova opal prism').split(' ').slice(0, 64);
if (new Set(BASE_WORDS).size !== 64) throw new Error(`need 64 distinct words, have ${new Set(BASE_WORDS).size}`);
/** `n` distinct words: the 64 above, then numbered copies (alpha-2, ...). */
const words = (n) => Array.from({ length: n },
  (_, i) => BASE_WORDS[i % 64] + (i < 64 ? '' : `-${Math.floor(i / 64) + 1}`));

const CONFIGS = [
  { name: 'step=all', query: { step: 'all' } },
  { name: 'step=5', query: { step: '5' } },
];

function stats(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)];
  const r = (v) => Math.round(v * 10) / 10;
  return {
    n: s.length, min: r(s[0]), median: r(q(0.5)), p95: r(q(0.95)), max: r(s[s.length - 1]),
    mean: r(s.reduce((a, b) => a + b, 0) / s.length),
  };
}

function gzipSizes() {
  const files = fs.readdirSync(distDir).filter((f) => /\.(wasm|js|css)$/.test(f));
  const out = {};
  let raw = 0;
  let gz = 0;
  for (const f of files) {
    const buf = fs.readFileSync(path.join(distDir, f));
    const g = zlib.gzipSync(buf, { level: 9 }).length;
    out[f] = { bytes: buf.length, gzip9: g };
    raw += buf.length;
    gz += g;
  }
  return { files: out, total_bytes: raw, total_gzip9: gz, total_gzip9_kib: Math.round((gz / 1024) * 10) / 10 };
}

async function runConfig(browser, base, cfg, tokens) {
  const { page, errors, context } = await openPage(browser);
  const params = new URLSearchParams({
    text: words(tokens).join(' '), dm: '64', h: '8', dk: '8', ...cfg.query,
  });
  const t = Date.now();
  await page.goto(`${base}/qkv?${params}`);
  await waitForApp(page);
  await page.locator('input[data-testid=temperature]').waitFor();
  await waitForPaintsToSettle(page, { quietMs: 500, timeout: 60000 });
  const loadMs = Date.now() - t;
  // A learner watching the weights: charts far off screen are only repainted
  // when they scroll in, so the measured paints are the ones on (or within
  // 400 px of) the screen around the weights matrix.
  await page.locator('figure[data-testid=hm-weights] canvas').scrollIntoViewIfNeeded();
  await waitForPaintsToSettle(page, { quietMs: 500, timeout: 60000 });
  const canvases = await page.locator('canvas').count();
  const shape = await page.locator('figure[data-testid=hm-weights] .shape').textContent().catch(() => '');

  const samples = [];
  const paints = [];
  let pos = Number(await page.locator('input[data-testid=temperature]').inputValue());
  for (let i = 0; i < WARMUP + RUNS; i++) {
    // Alternate between the lower and upper part of the log scale so every
    // event changes the temperature (positions >= 50 apart never round to the
    // same 3-significant-digit value).
    pos = i % 2 === 0 ? 150 + ((i * 37) % 300) : 550 + ((i * 53) % 300);
    const r = await page.evaluate(async ({ pos, quiet }) => {
      const el = document.querySelector('input[data-testid=temperature]');
      const p = window.__attnPaint || { count: 0, last: 0 };
      const count0 = p.count;
      const t0 = performance.now();
      el.value = String(pos);
      el.dispatchEvent(new Event('input', { bubbles: true }));
      const deadline = t0 + 20000;
      // Wait for the first paint after t0, then until QUIET_MS pass without one.
      for (;;) {
        await new Promise((res) => setTimeout(res, 0));
        const now = performance.now();
        const q = window.__attnPaint;
        if (q && q.last > t0 && now - q.last >= quiet) {
          return { latency: q.last - t0, paints: q.count - count0, value: el.getAttribute('aria-valuetext') };
        }
        if (now > deadline) return { latency: NaN, paints: (q ? q.count : 0) - count0, value: el.getAttribute('aria-valuetext') };
      }
    }, { pos, quiet: QUIET_MS });
    if (!Number.isFinite(r.latency)) throw new Error(`${cfg.name}: no repaint after setting temperature position ${pos}`);
    if (i >= WARMUP) {
      samples.push(r.latency);
      paints.push(r.paints);
    }
  }
  const url = new URL(page.url());
  await context.close();
  if (errors.length) throw new Error(`${cfg.name}: console/page errors:\n${errors.join('\n')}`);
  const paintSet = [...new Set(paints)].sort((a, b) => a - b);
  return {
    config: cfg.name,
    tokens, d_model: 64, heads: 8, d_k: 8,
    weights_shape: shape.trim(),
    canvases_on_page: canvases,
    initial_load_and_settle_ms: loadMs,
    latency_ms: stats(samples),
    paints_per_event: paintSet.length === 1 ? paintSet[0] : { min: paintSet[0], max: paintSet.at(-1), values: paintSet },
    final_t: url.searchParams.get('t'),
  };
}

const { base, browser, stop } = await start();
const report = { date: new Date().toISOString(), runs: RUNS, warmup: WARMUP, quiet_ms: QUIET_MS, results: [] };
try {
  report.browser = browser.version();
  for (const n of TOKENS) {
    for (const cfg of CONFIGS) report.results.push(await runConfig(browser, base, cfg, n));
  }
  report.dist = gzipSizes();
} finally {
  await stop();
}

if (jsonOnly) {
  console.log(JSON.stringify(report, null, 2));
} else {
  console.log(`Attention Lab latency benchmark (Chromium ${report.browser}, ${RUNS} events each, after ${WARMUP} warm-up)`);
  for (const r of report.results) {
    const l = r.latency_ms;
    console.log(`  ${r.config.padEnd(9)} ${r.tokens} tokens, dm 64, h 8, dk 8: median ${l.median} ms, p95 ${l.p95} ms, max ${l.max} ms `
      + `(min ${l.min}); paints per event: ${JSON.stringify(r.paints_per_event)} of ${r.canvases_on_page} canvases; `
      + `first load + settle ${r.initial_load_and_settle_ms} ms`);
  }
  console.log(`  dist gzip -9: ${report.dist.total_gzip9} bytes (${report.dist.total_gzip9_kib} KiB) of ${report.dist.total_bytes} raw`);
  for (const [f, s] of Object.entries(report.dist.files)) console.log(`    ${f}: ${s.bytes} -> ${s.gzip9}`);
  console.log(JSON.stringify(report));
}
