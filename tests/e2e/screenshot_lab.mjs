// Screenshots of the lab's checkpoint section for review (run by hand):
// desktop 1280 and phone 390 wide, light and dark, with the fixture
// checkpoint loaded. Usage: node tests/e2e/screenshot_lab.mjs [out-dir]
import fs from 'node:fs';
import path from 'node:path';
import { start, openPage, waitForApp, waitForPaintsToSettle, repoRoot, reportShots, THEMES } from './helpers.mjs';

const outDir = process.argv[2] || '/tmp/shots-lab';
fs.mkdirSync(outDir, { recursive: true });
const fx = path.join(repoRoot, 'tests/fixtures/gpt2');
const files = [path.join(fx, 'trained/config.json'), path.join(fx, 'trained/model.safetensors'), path.join(fx, 'tokenizer.json')];
const { base, browser, stop } = await start();
const written = [];
const problems = [];
try {
  for (const [name, width] of [['desktop', 1280], ['phone', 390]]) {
    for (const theme of ['light', 'dark']) {
      const { page, errors, context } = await openPage(browser, { viewport: { width, height: 900 }, storage: THEMES[theme] });
      await page.goto(`${base}/lab?off=2.3&pos=6`);
      await waitForApp(page);
      const before = path.join(outDir, `lab-${name}-${theme}-empty.png`);
      await page.locator('[data-testid=open-drop]').waitFor();
      await page.screenshot({ path: before, fullPage: true });
      written.push(before);
      await page.locator('[data-testid=open-files]').setInputFiles(files);
      await page.locator('table[data-testid=open-heads]').waitFor({ timeout: 30000 });
      await waitForPaintsToSettle(page, { quietMs: 300 }).catch(() => {});
      const file = path.join(outDir, `lab-${name}-${theme}.png`);
      await page.screenshot({ path: file, fullPage: true });
      written.push(file);
      problems.push(...errors);
      await context.close();
    }
  }
} finally {
  await stop();
}
reportShots(written, problems);
