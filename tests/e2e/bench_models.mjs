// In-browser timings of the trained-model chapters (not a test).
//
// Usage: node tests/e2e/bench_models.mjs [--race-seeds 1,2]
// Reports: how long the head study of /multi-head takes; the latency from
// switching a head off to the new held-out accuracy on screen (median of
// 10); the steps per second and result of a full race (500 steps, both
// models) for each seed; and the steps per second of retraining the
// self-attention model in /self-attention, with the step at which its
// held-out accuracy first reached 98% (it runs to the end: 1500 steps).
import { start, openPage, waitForApp } from './helpers.mjs';

const args = process.argv.slice(2);
const seeds = (args.includes('--race-seeds') ? args[args.indexOf('--race-seeds') + 1] : '1,2')
  .split(',').map(Number);
const { base, browser, stop } = await start();
const median = (v) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
try {
  const { page, context } = await openPage(browser);
  let t0 = Date.now();
  await page.goto(`${base}/multi-head`);
  await waitForApp(page);
  await page.waitForFunction(() => document.querySelector('[data-testid=study-status]')?.textContent.startsWith('Each head'), null, { timeout: 120000 });
  console.log(`head study (300 sentences x 25 configurations): ${Date.now() - t0} ms after page load`);
  const lat = [];
  for (let i = 0; i < 10; i++) {
    const want = i % 2 === 0 ? 'With 7 of 8' : 'With 8 of 8';
    const t = await page.evaluate(() => performance.now());
    await page.locator('[data-testid=head-1-2] button.head-switch').click();
    await page.waitForFunction((w) => document.querySelector('[data-testid=live-accuracy]').textContent.includes(w), want);
    lat.push(await page.evaluate((s) => performance.now() - s, t));
  }
  console.log(`head switch -> new held-out accuracy on screen: median ${median(lat).toFixed(0)} ms, max ${Math.max(...lat).toFixed(0)} ms`);
  for (const seed of seeds) {
    await page.goto(`${base}/multi-head?seed=${seed}`);
    await waitForApp(page);
    await page.locator('[data-testid=race-summary]').filter({ hasText: 'After 0 steps' }).waitFor();
    t0 = Date.now();
    await page.locator('[data-testid=race-toggle]').click();
    await page.waitForFunction(() => document.querySelector('[data-testid=race-summary]').textContent.startsWith('After 500 steps'), null, { timeout: 600000 });
    const s = (Date.now() - t0) / 1000;
    console.log(`race seed ${seed}: 500 steps of both models in ${s.toFixed(1)} s (${(500 / s).toFixed(0)} steps/s): ${await page.locator('[data-testid=race-summary]').textContent()}`);
  }
  await page.goto(`${base}/self-attention`);
  await waitForApp(page);
  await page.locator('[data-testid=answer]').first().waitFor();
  t0 = Date.now();
  await page.locator('[data-testid=retrain-toggle]').click();
  let first98 = null;
  for (;;) {
    const t = await page.locator('[data-testid=retrain-progress]').textContent();
    const m = t.match(/Step (\d+) of 1500 · held-out accuracy (\d+)%/);
    if (m && first98 === null && Number(m[2]) >= 98) first98 = { step: Number(m[1]), s: (Date.now() - t0) / 1000 };
    if (m && Number(m[1]) >= 1500) {
      const s = (Date.now() - t0) / 1000;
      console.log(`retrain in the browser: 1500 steps in ${s.toFixed(1)} s (${(1500 / s).toFixed(0)} steps/s); ${t}; first >= 98% at step ${first98?.step} (${first98?.s.toFixed(1)} s)`);
      break;
    }
    await page.waitForTimeout(250);
  }
  await context.close();
} finally {
  await stop();
}
