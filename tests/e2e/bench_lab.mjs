// Benchmark (run by hand, not by the test command): opens a GPT-2-shaped
// checkpoint in the lab in headless Chromium and reports how long it takes
// to read and load it and to run it, and the memory it uses.
//
//   python3 scripts/make_gpt2_shaped.py /tmp/gpt2-small-random   # numpy only
//   node bench_lab.mjs /tmp/gpt2-small-random [tokens]
//
// (or, with transformers installed: python3 -c "from transformers import
// GPT2Config, GPT2LMHeadModel; GPT2LMHeadModel(GPT2Config())
// .save_pretrained('/tmp/gpt2-small-random')").
//
// The folder needs config.json and model.safetensors; without a tokenizer
// in it, the fixture tokenizer (tests/fixtures/gpt2/tokenizer.json, 320
// tokens, which any GPT-2 vocabulary covers) is used. Nothing is written.
// Memory: the WebAssembly memory's size (the page's Rust heap: weights,
// attentions) and Chromium's JS heap (performance.memory), after loading.
import fs from 'node:fs';
import path from 'node:path';
import { start, openPage, waitForApp, repoRoot } from './helpers.mjs';

const dir = process.argv[2] || '/tmp/gpt2-small-random';
const words = Number(process.argv[3] || 20);
const pick = (name) => (fs.existsSync(path.join(dir, name)) ? path.join(dir, name) : null);
const tokenizer = pick('tokenizer.json') || path.join(repoRoot, 'tests/fixtures/gpt2/tokenizer.json');
const files = [pick('config.json'), pick('model.safetensors'), tokenizer];
if (files.some((f) => !f)) throw new Error(`${dir} needs config.json and model.safetensors`);
const mb = (b) => `${(b / 1e6).toFixed(0)} MB`;

const env = await start();
try {
  const { page, errors, context } = await openPage(env.browser);
  // Keeps a handle on every WebAssembly memory the page creates or exports.
  await context.addInitScript(() => {
    const keep = (r) => {
      const inst = r.instance || r;
      if (inst.exports && inst.exports.memory) window.__benchMemory = inst.exports.memory;
      return r;
    };
    const orig = WebAssembly.instantiate;
    WebAssembly.instantiate = (...a) => orig.apply(WebAssembly, a).then(keep);
    const origS = WebAssembly.instantiateStreaming;
    if (origS) WebAssembly.instantiateStreaming = (...a) => origS.apply(WebAssembly, a).then(keep);
  });
  // Short words, so the text is about `words` tokens.
  const text = Array.from({ length: words }, (_, i) => ['the', 'cat', 'sat', 'on', 'a', 'mat'][i % 6]).join(' ');
  await page.goto(`${env.base}/lab?text=${encodeURIComponent(text)}`);
  await waitForApp(page);
  await page.locator('[data-testid=open-drop]').waitFor();
  const memory = () => page.evaluate(() => ({
    wasm: window.__benchMemory ? window.__benchMemory.buffer.byteLength : null,
    js: performance.memory ? performance.memory.usedJSHeapSize : null,
  }));
  const before = await memory();
  // When each status line and the first loss appeared, by the page's clock.
  await page.evaluate(() => {
    window.__benchTimes = [];
    const note = () => {
      const s = document.querySelector('[data-testid=open-status]')?.textContent ?? '';
      const l = document.querySelector('[data-testid=open-loss]')?.textContent ?? '';
      const h = document.querySelector('[data-testid=open-heads-about]')?.textContent ?? '';
      const key = `${s.slice(0, 40)} | ${l.slice(0, 30)} | ${h.slice(0, 50)}`;
      const last = window.__benchTimes[window.__benchTimes.length - 1];
      if (!last || last.key !== key) window.__benchTimes.push({ key, t: performance.now() });
    };
    new MutationObserver(note).observe(document.body, { subtree: true, childList: true, characterData: true });
    note();
    // Frame gaps: how long the page went without painting (a forward pass
    // taken a part per unit shows here as a frame's share of parts; the
    // checkpoint's loading, one long task, is the longest gap).
    window.__frames = [];
    let last = performance.now();
    const tick = (t) => { window.__frames.push(t - last); last = t; requestAnimationFrame(tick); };
    requestAnimationFrame(tick);
  });
  const size = fs.statSync(files[1]).size;
  const t0 = Date.now();
  await page.locator('[data-testid=open-files]').setInputFiles(files);
  await page.locator('[data-testid=open-status]').filter({ hasText: /Loaded:|does not|not a/ }).waitFor({ timeout: 600000 });
  const status = await page.locator('[data-testid=open-status]').textContent();
  const tLoaded = Date.now();
  await page.locator('[data-testid=open-loss]').filter({ hasText: 'Loss of the text' }).waitFor({ timeout: 600000 });
  await page.locator('table[data-testid=open-heads]').waitFor({ timeout: 600000 });
  const tShown = Date.now();
  // The chips show a page of tokens; the pager says how many there are.
  const shown = await page.locator('.page-shown').filter({ hasText: /^Tokens/ }).first().textContent().catch(() => '');
  const tokens = (/of (\d+)/.exec(shown) || [])[1] ?? await page.locator('[data-testid=open-chips] button').count();
  // One more forward pass alone: switch a head off (the text's run again).
  const t1 = Date.now();
  await page.locator('[data-testid=open-head-1-1] button.head-switch').click();
  await page.locator('[data-testid=open-loss]').filter({ hasText: 'with 1 head off' }).waitFor({ timeout: 600000 });
  const tAblated = Date.now();
  const after = await memory();
  const times = await page.evaluate(() => window.__benchTimes);
  const t00 = times[0].t;
  for (const { key, t } of times) console.log(`  +${((t - t00) / 1000).toFixed(1)} s  ${key}`);
  console.log(status.trim());
  console.log(`weights file ${mb(size)}; text ${tokens} tokens`);
  const at = (re) => times.find((x) => re.test(x.key))?.t;
  const [tRead, tLoad, tLoss, tHeads] = [at(/^Reading/), at(/^Loaded/), at(/Loss of the text/), at(/Scores measured/)];
  const s = (a, b) => (a && b ? `${((b - a) / 1000).toFixed(1)} s` : '?');
  console.log(`files read, checked and loaded: ${s(tRead, tLoad)}`);
  console.log(`then the text's first forward pass (loss shown; the head measurement runs beside it): ${s(tLoad, tLoss)}`);
  console.log(`every head measured (4 forward passes of the repeated random sequences, two block lengths): ${s(tLoad, tHeads)} after loading`);
  console.log(`one forward pass of the text with a head off (click -> loss shown): ${((tAblated - t1) / 1000).toFixed(1)} s`);
  console.log(`(the page's own clock; by the test driver's: files picked -> status shown ${((tLoaded - t0) / 1000).toFixed(1)} s, first view ${((tShown - t0) / 1000).toFixed(1)} s)`);
  console.log(`WebAssembly memory: ${before.wasm ? mb(before.wasm) : '?'} before, ${after.wasm ? mb(after.wasm) : '?'} after; JS heap ${after.js ? mb(after.js) : '?'}`);
  const gaps = await page.evaluate(() => window.__frames.slice().sort((a, b) => a - b));
  const q = (p) => gaps[Math.min(gaps.length - 1, Math.floor(p * gaps.length))];
  console.log(`frames while loading and running: ${gaps.length}; median ${q(0.5).toFixed(0)} ms, p95 ${q(0.95).toFixed(0)} ms, longest ${gaps[gaps.length - 1].toFixed(0)} ms, ${(100 * gaps.filter((g) => g < 20).length / gaps.length).toFixed(1)}% under 20 ms`);
  if (errors.length) {
    console.error(errors.join('\n'));
    process.exitCode = 1;
  }
} finally {
  await env.stop();
}
