// Screenshots of /qkv with 512 tokens, for review: desktop (1280 wide) and
// phone (390 wide), light and dark, the weights whole and zoomed to 16 × 16.
//
// Usage: node tests/e2e/screenshot_long.mjs [--out-dir /tmp/shots-long]
import fs from 'node:fs';
import path from 'node:path';
import { start, openPage, waitForApp, waitForPaintsToSettle, THEMES, reportShots } from './helpers.mjs';

const args = process.argv.slice(2);
const outDir = args.includes('--out-dir') ? args[args.indexOf('--out-dir') + 1] : '/tmp/shots-long';
fs.mkdirSync(outDir, { recursive: true });

const text = Array.from({ length: 512 }, (_, i) => `word${i + 1}`).join(' ');
const query = `?step=5&q=300&dm=64&h=8&dk=8&text=${encodeURIComponent(text)}`;
const { base, browser, stop } = await start();
const written = [];
const problems = [];
try {
  for (const [device, viewport] of [['desktop', { width: 1280, height: 900 }], ['phone', { width: 390, height: 844 }]]) {
    for (const theme of ['light', 'dark']) {
      const { page, errors, context } = await openPage(browser, { viewport, storage: THEMES[theme] });
      try {
        await page.goto(`${base}/qkv${query}`);
        await waitForApp(page);
        await page.locator('[data-testid=sentence]').waitFor();
        await waitForPaintsToSettle(page, { quietMs: 300, timeout: 30000 });
        await page.evaluate(() => document.fonts.ready);
        const top = path.join(outDir, `qkv-512-${device}-${theme}-top.png`);
        await page.screenshot({ path: top });
        written.push(top);
        const fig = page.locator('figure[data-testid=hm-weights]');
        await fig.scrollIntoViewIfNeeded();
        await waitForPaintsToSettle(page, { quietMs: 200 });
        const whole = path.join(outDir, `qkv-512-${device}-${theme}-weights.png`);
        await fig.screenshot({ path: whole });
        written.push(whole);
        await fig.locator('button.zoom[data-zoom="16"]').click();
        await fig.locator('canvas').focus();
        await page.keyboard.press('ArrowRight');
        await waitForPaintsToSettle(page, { quietMs: 200 });
        const zoomed = path.join(outDir, `qkv-512-${device}-${theme}-weights-16.png`);
        await fig.screenshot({ path: zoomed });
        written.push(zoomed);
        if (errors.length) problems.push(`${device} ${theme}: ${errors.join('; ')}`);
      } finally {
        await context.close();
      }
    }
  }
} finally {
  await stop();
}
reportShots(written, problems);
