// In-browser training benchmark for chapter 4 (not a test).
// Usage: node tests/e2e/bench_training.mjs [--max-seconds 120]
// For each optimizer and training d_k, opens /scaling, starts training and
// waits until the run finishes (3000 steps) or the time limit passes, then
// reads from the page: steps/s, and the first step at which each model's
// held-out accuracy reached 90% (from the summary line).
import { start, openPage, waitForApp } from './helpers.mjs';

const args = process.argv.slice(2);
const i = args.indexOf('--max-seconds');
const MAX_S = i >= 0 ? Number(args[i + 1]) : 120;
const configs = [];
for (const opt of ['adam', 'sgd']) for (const tdk of ['16', '256']) configs.push({ opt, tdk });

const { base, browser, stop } = await start();
try {
  for (const c of configs) {
    const { page, context, errors } = await openPage(browser);
    await page.goto(`${base}/scaling?tdk=${c.tdk}&opt=${c.opt}&seed=1`);
    await waitForApp(page);
    const toggle = page.locator('[data-testid=train-toggle]');
    await toggle.scrollIntoViewIfNeeded();
    const t0 = Date.now();
    await toggle.click();
    await page.waitForFunction(
      () => /Start|Continue/.test(document.querySelector('[data-testid=train-toggle]').textContent),
      null, { timeout: MAX_S * 1000, polling: 500 },
    ).catch(() => {});
    const secs = (Date.now() - t0) / 1000;
    const step = await page.locator('[data-testid=train-step]').textContent();
    const rate = await page.locator('[data-testid=train-rate]').textContent();
    const summary = await page.locator('[data-testid=train-summary]').textContent();
    console.log(`opt=${c.opt} d_k=${c.tdk}: ${step}, ${rate}, ${secs.toFixed(1)} s wall\n  ${summary}${errors.length ? `\n  ERRORS: ${errors.join('; ')}` : ''}`);
    await context.close();
  }
} finally {
  await stop();
}
