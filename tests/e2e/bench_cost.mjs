// Chapter 6 timing run in Chromium, up to n = 4096 (the learners' default):
// prints every variant's fitted slope and its ms at n = 1024 and 4096.
// node bench_cost.mjs   (serves dist/ like the e2e tests; not a test)
import { start, openPage, waitForApp } from './helpers.mjs';
import { readTable } from './helpers.mjs';

const { base, browser, stop } = await start();
try {
  const { page, errors, context } = await openPage(browser, { viewport: { width: 1280, height: 900 } });
  await page.goto(`${base}/cost?tmax=4096&reps=3`);
  await waitForApp(page);
  const button = page.locator('[data-testid=time-toggle]');
  await button.scrollIntoViewIfNeeded();
  const t0 = Date.now();
  await button.click();
  await page.waitForFunction(() => document.querySelector('[data-testid=time-status]').textContent.startsWith('Done'), null, { timeout: 600000 });
  const seconds = (Date.now() - t0) / 1000;
  const { header, rows } = await readTable(page.locator('table[data-testid=time-table]'));
  console.log(`run took ${seconds.toFixed(1)} s; columns: ${header.join(' | ')}`);
  for (const r of rows) console.log(`${r.label}: ${r.cells.join(' | ')}`);
  console.log(`status: ${await page.locator('[data-testid=time-status]').textContent()}`);
  if (errors.length) console.log(`console errors: ${errors.join('; ')}`);
  await context.close();
} finally {
  await stop();
}
