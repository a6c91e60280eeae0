// Cold-cache load benchmark (issue 16, part 1; not a test).
//
// Usage: node tests/e2e/bench_load.mjs [--runs 3] [--no-throttle]
//
// Serves dist/ gzipped (like a real host), and for the landing page, the
// lesson page and every chapter opens a fresh browser context (empty cache,
// no service worker) with the network throttled to 10 Mbit/s down and up
// and 100 ms of latency, and the CPU slowed 4x (Chrome DevTools protocol:
// Network.emulateNetworkConditions, Emulation.setCPUThrottlingRate). It
// reports the time from navigation start to the first interactive widget
// (the first control of the page's content: a link of the chapter list on
// the landing page, an input, select or button of the chapter elsewhere;
// taken by a MutationObserver in the page, in the page's own clock) and the
// bytes transferred by then (encoded, i.e. gzipped, as the network saw
// them). Medians over the runs.
import { chromium } from 'playwright-core';
import { distDir, CHROMIUM, CHROMIUM_ARGS } from './helpers.mjs';
import { serve } from './serve.mjs';

const args = process.argv.slice(2);
const ri = args.indexOf('--runs');
const RUNS = ri >= 0 ? Number(args[ri + 1]) : 3;
const THROTTLE = !args.includes('--no-throttle');
const ROUTES = [
  ['/', '.chapter-list a'],
  ['/lesson', 'main button'],
  ...['bottleneck', 'alignment', 'qkv', 'scaling', 'self-attention', 'cost', 'multi-head', 'position', 'rnn']
    .map((s) => [`/${s}`, 'main .chapter-head ~ * input, main .chapter-head ~ * select, main .chapter-head ~ * button, main section input, main section button']),
];

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };

const server = await serve(distDir, 0, { gzip: true });
const base = `http://127.0.0.1:${server.address().port}`;
const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
const rows = [];
try {
  for (const [route, selector] of ROUTES) {
    const times = [];
    const bytes = [];
    for (let run = 0; run < RUNS; run++) {
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, serviceWorkers: 'block' });
      await context.addInitScript((sel) => {
        const check = () => {
          if (window.__firstWidget === undefined && document.querySelector(sel)) {
            window.__firstWidget = performance.now();
          }
        };
        new MutationObserver(check).observe(document, { childList: true, subtree: true });
      }, selector);
      const page = await context.newPage();
      const cdp = await context.newCDPSession(page);
      await cdp.send('Network.enable');
      let transferred = 0;
      let counting = true;
      cdp.on('Network.loadingFinished', (e) => { if (counting) transferred += e.encodedDataLength; });
      if (THROTTLE) {
        await cdp.send('Network.emulateNetworkConditions', {
          offline: false, latency: 100, downloadThroughput: 10e6 / 8, uploadThroughput: 10e6 / 8,
        });
        await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 });
      }
      await page.goto(base + route, { waitUntil: 'commit' });
      await page.waitForFunction(() => window.__firstWidget !== undefined, null, { timeout: 60000, polling: 50 });
      counting = false;
      times.push(await page.evaluate(() => window.__firstWidget));
      bytes.push(transferred);
      await context.close();
    }
    rows.push({ route, ms: median(times), kb: median(bytes) / 1000, all: times.map((t) => Math.round(t)) });
    console.log(`${route.padEnd(16)} ${median(times).toFixed(0).padStart(6)} ms to the first widget  ${(median(bytes) / 1000).toFixed(1).padStart(7)} KB transferred  runs ${times.map((t) => t.toFixed(0)).join(' ')}`);
  }
} finally {
  await browser.close();
  server.close();
}
console.log(THROTTLE ? '(10 Mbit/s, 100 ms latency, CPU 4x slower; cold cache)' : '(no throttling; cold cache)');
