// In-browser benchmark of chapter 8's extrapolation experiment (not a test).
// Usage: node tests/e2e/bench_position.mjs [k ...]   (default: k = 3)
// For each k: opens /position?k=K&steps=600, trains the five models to the
// end (training, then the held-out measurements), and prints the wall time,
// the steps/s the page shows and the page's own reading of the result.
import { start, openPage, waitForApp } from './helpers.mjs';

const ks = process.argv.slice(2).length ? process.argv.slice(2) : ['3'];
const { base, browser, stop } = await start();
try {
  for (const k of ks) {
    const { page, context, errors } = await openPage(browser);
    await page.goto(`${base}/position?k=${k}&steps=600&eseed=1`);
    await waitForApp(page);
    const button = page.locator('[data-testid=exp-toggle]');
    await button.scrollIntoViewIfNeeded();
    const t0 = Date.now();
    await button.click();
    let trainedAt = null;
    await page.waitForFunction(() => /Step 600 of 600/.test(document.querySelector('[data-testid=exp-step]').textContent), null, { timeout: 600000, polling: 100 });
    trainedAt = (Date.now() - t0) / 1000;
    const rate = await page.locator('[data-testid=exp-rate]').textContent();
    await page.waitForFunction(() => document.querySelector('[data-testid=exp-summary]').textContent.startsWith('Done.'), null, { timeout: 600000, polling: 100 });
    const total = (Date.now() - t0) / 1000;
    const reading = await page.locator('[data-testid=exp-reading]').textContent();
    console.log(`k=${k}: trained 5 x 600 steps in ${trainedAt.toFixed(1)} s (${rate}), measured by ${total.toFixed(1)} s\n  ${reading}${errors.length ? `\n  ERRORS: ${errors.join('; ')}` : ''}`);
    await context.close();
  }
} finally {
  await stop();
}
