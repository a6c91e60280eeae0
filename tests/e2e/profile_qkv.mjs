// Where the time of one temperature change goes on /qkv (a profile, not a test).
//
// Usage: node tests/e2e/profile_qkv.mjs [--tokens 512] [--step all] [--events 30] [--top 40]
//
// Opens /qkv with `--tokens` distinct tokens, d_model 64, 8 heads, d_k 8 and
// `step` (as tests/e2e/bench.mjs does), scrolls to the weights matrix, then
// records a V8 CPU profile (Chrome DevTools protocol, Profiler.start/stop,
// 100 µs sampling) over `--events` temperature changes, each waited for
// until the paints settle. Prints the self time per function (wasm function
// names need a build whose wasm keeps its name section: build with
// `SPLIT_WASM_OPT=none`, see scripts/post_build.sh), grouped by name into
// engine (with the library's exp) / view model / painting (with round and
// fmax) / reactive+DOM, per event.
import { start, openPage, waitForApp, waitForPaintsToSettle } from './helpers.mjs';

const args = process.argv.slice(2);
const arg = (name, dflt) => (args.includes(name) ? args[args.indexOf(name) + 1] : dflt);
const TOKENS = Number(arg('--tokens', '512'));
const STEP = arg('--step', 'all');
const EVENTS = Number(arg('--events', '30'));
const TOP = Number(arg('--top', '40'));

const BASE = 'alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike november oscar papa'.split(' ');
const words = (n) => Array.from({ length: n }, (_, i) => `${BASE[i % BASE.length]}-${i}`);

/** A rough group for a function name (Rust symbols are demangled by V8). */
function group(name, url) {
  if (name === '(garbage collector)') return 'gc';
  if (name === '(program)' || name === '(idle)' || name === '(root)') return name;
  if (/attention_core|softmax|head_logits|nalgebra|matrixmultiply|gemm|libm_math3exp/.test(name)) return 'engine';
  if (/heatmap::row_major|heatmap::signed|heatmap::weights|QkvModel|qkv::model|variance|row_sums|HeatmapData|drop_in_place|clone|memcpy|dlmalloc|memmove|memset/.test(name)) return 'view model / copies';
  if (/^(round|fmax)$|draw_heatmap|rgb_to_rgba|blit|colormap|ColorScale|append_elements|canvas|Canvas|putImageData|drawImage|fillText|ImageData|plotters/.test(name)) return 'painting';
  if (/reactive_graph|leptos|tachys|wasm_bindgen|__wbg|js_sys|web_sys/.test(name)) return 'reactive / DOM / bindings';
  if (url && url.endsWith('.js')) return 'js glue';
  return 'other';
}

const { base, browser, stop } = await start();
try {
  const { page, errors, context } = await openPage(browser);
  const params = new URLSearchParams({ text: words(TOKENS).join(' '), dm: '64', h: '8', dk: '8', step: STEP });
  await page.goto(`${base}/qkv?${params}`);
  await waitForApp(page);
  await page.locator('input[data-testid=temperature]').waitFor();
  await waitForPaintsToSettle(page, { quietMs: 500, timeout: 60000 });
  await page.locator('figure[data-testid=hm-weights] canvas').scrollIntoViewIfNeeded();
  await waitForPaintsToSettle(page, { quietMs: 500, timeout: 60000 });

  const cdp = await context.newCDPSession(page);
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 100 });
  const event = (pos) => page.evaluate(async (pos) => {
    const el = document.querySelector('input[data-testid=temperature]');
    const t0 = performance.now();
    el.value = String(pos);
    el.dispatchEvent(new Event('input', { bubbles: true }));
    for (;;) {
      await new Promise((res) => setTimeout(res, 0));
      const q = window.__attnPaint;
      if (q && q.last > t0 && performance.now() - q.last >= 60) return q.last - t0;
      if (performance.now() - t0 > 20000) return NaN;
    }
  }, pos);
  for (let i = 0; i < 3; i++) await event(200 + i * 300);
  await cdp.send('Profiler.start');
  const lat = [];
  for (let i = 0; i < EVENTS; i++) lat.push(await event(i % 2 ? 150 + ((i * 37) % 300) : 550 + ((i * 53) % 300)));
  const { profile } = await cdp.send('Profiler.stop');
  await context.close();
  if (errors.length) throw new Error(errors.join('\n'));

  // Self time per node from the samples and their time deltas.
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  profile.samples.forEach((id, i) => {
    const dt = (profile.timeDeltas[i] || 0) / 1000;
    self.set(id, (self.get(id) || 0) + dt);
  });
  const fn = new Map();
  const groups = new Map();
  for (const [id, ms] of self) {
    const { callFrame: cf } = byId.get(id);
    const name = cf.functionName || `(anonymous ${cf.url.split('/').pop()})`;
    const key = `${name}`;
    fn.set(key, (fn.get(key) || 0) + ms);
    const g = group(name, cf.url);
    groups.set(g, (groups.get(g) || 0) + ms);
  }
  const per = (ms) => (ms / EVENTS).toFixed(2);
  const sorted = lat.slice().sort((a, b) => a - b);
  console.log(`/qkv ${TOKENS} tokens, step ${STEP}: ${EVENTS} temperature events, median latency ${sorted[Math.floor(EVENTS / 2)].toFixed(1)} ms`);
  console.log('ms per event by group (self time; idle excluded from busy):');
  let busy = 0;
  for (const [g, ms] of [...groups].sort((a, b) => b[1] - a[1])) {
    if (g !== '(idle)') busy += ms;
    console.log(`  ${per(ms).padStart(8)}  ${g}`);
  }
  console.log(`  ${per(busy).padStart(8)}  busy total`);
  console.log(`top ${TOP} functions (ms per event, self):`);
  for (const [name, ms] of [...fn].sort((a, b) => b[1] - a[1]).slice(0, TOP)) {
    if (name === '(idle)') continue;
    console.log(`  ${per(ms).padStart(8)}  ${name.slice(0, 150)}`);
  }
} finally {
  await stop();
}
