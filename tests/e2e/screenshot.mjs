// Screenshots for the README and for review.
//
// Usage: node tests/e2e/screenshot.mjs [--out-dir /tmp/shots] [--no-docs]
// Writes docs/screenshot.png (1280x900, /qkv?step=5&q=8 once painting has
// settled) and, for review, full-page PNGs in /tmp/shots: the landing page,
// /qkv at each step, the dark theme and large type.
import fs from 'node:fs';
import path from 'node:path';
import { start, openPage, waitForApp, waitForPaintsToSettle, repoRoot, reportShots } from './helpers.mjs';

const args = process.argv.slice(2);
const outDir = args.includes('--out-dir') ? args[args.indexOf('--out-dir') + 1] : '/tmp/shots';
const writeDocs = !args.includes('--no-docs');
fs.mkdirSync(outDir, { recursive: true });

const { base, browser, stop } = await start();
const written = [];
const problems = [];

async function shot(url, file, { fullPage = true, before, scrollTo } = {}) {
  const { page, errors, context } = await openPage(browser, { viewport: { width: 1280, height: 900 } });
  try {
    if (before) await context.addInitScript(before);
    await page.goto(`${base}${url}`);
    await waitForApp(page);
    const pathname = new URL(page.url()).pathname;
    if (pathname === '/multi-head') {
      await page.waitForFunction(() => document.querySelector('[data-testid=study-status]')?.textContent.startsWith('Each head'), null, { timeout: 60000 });
      await waitForPaintsToSettle(page, { quietMs: 300 });
    } else if (pathname === '/bottleneck' || pathname === '/alignment') {
      await page.locator('[data-testid=out-attention]').waitFor({ timeout: 30000 });
      await waitForPaintsToSettle(page, { quietMs: 300 });
    } else if (pathname === '/position') {
      await page.locator('[data-testid=perm-verdict]').waitFor();
      await waitForPaintsToSettle(page, { quietMs: 300 });
    } else if (pathname === '/qkv' || pathname === '/self-attention') {
      await page.locator('[data-testid=sentence]').waitFor();
      if (pathname === '/self-attention') await page.locator('[data-testid=answer]').first().waitFor();
      await waitForPaintsToSettle(page, { quietMs: 300 });
    } else {
      await page.locator('main h1').waitFor();
    }
    await page.evaluate(() => document.fonts.ready);
    if (scrollTo) {
      await page.evaluate((sel) => document.querySelector(sel)?.scrollIntoView({ block: 'start' }), scrollTo);
      await waitForPaintsToSettle(page, { quietMs: 100 });
    }
    await page.screenshot({ path: file, fullPage });
    written.push(file);
    if (errors.length) problems.push(`${url}: ${errors.join('; ')}`);
  } finally {
    await context.close();
  }
}

try {
  if (writeDocs) {
    const docs = path.join(repoRoot, 'docs');
    fs.mkdirSync(docs, { recursive: true });
    // Scrolled to the formula so the stepper, the weights and the selected
    // query's row are in the picture (the top of the page is the controls).
    await shot('/qkv?step=5&q=8', path.join(docs, 'screenshot.png'), { fullPage: false, scrollTo: '.formula-box' });
  }
  // Alternative README shot: same viewport, scrolled so the heatmap is visible
  // (at 1280x900 the top of the page shows only the controls).
  await shot('/qkv?step=5&q=8', path.join(outDir, 'readme-alt-scrolled.png'), { fullPage: false, scrollTo: '.formula-box' });
  await shot('/', path.join(outDir, 'landing.png'));
  for (const step of ['1', '2', '3', '4', '5', '6', 'all']) {
    await shot(`/qkv?step=${step}&q=8`, path.join(outDir, `qkv-step-${step}.png`));
  }
  const prefs = (dark, large) => `localStorage.setItem('attention-lab-theme', '${dark ? 'dark' : 'light'}');`
    + `localStorage.setItem('attention-lab-large', '${large ? '1' : '0'}');`;
  await shot('/qkv?step=5&q=8', path.join(outDir, 'qkv-dark.png'), { before: prefs(true, false) });
  await shot('/qkv?step=5&q=8', path.join(outDir, 'qkv-large.png'), { before: prefs(false, true) });
  await shot('/qkv?step=5&q=8', path.join(outDir, 'qkv-dark-large.png'), { before: prefs(true, true) });
  await shot('/', path.join(outDir, 'landing-dark.png'), { before: prefs(true, false) });
  await shot('/self-attention', path.join(outDir, 'self-attention.png'));
  await shot('/self-attention?text=The+animal+didn%27t+cross+the+street+because+it+was+too+wide&layer=1', path.join(outDir, 'self-attention-wide-layer1.png'));
  await shot('/self-attention?text=the+keys+to+the+cabinet+are+on+the+shelf', path.join(outDir, 'self-attention-agreement.png'));
  await shot('/self-attention', path.join(outDir, 'self-attention-dark-large.png'), { before: prefs(true, true) });
  await shot('/self-attention?text=<b>hi</b>+the+%F0%9F%99%82+is&w=99&layer=x', path.join(outDir, 'self-attention-bad.png'));
  await shot('/multi-head?off=1.1', path.join(outDir, 'multi-head.png'));
  await shot('/multi-head?src=random&rh=8&rw=2', path.join(outDir, 'multi-head-random.png'));
  await shot('/multi-head', path.join(outDir, 'multi-head-dark-large.png'), { before: prefs(true, true) });
  await shot('/bottleneck', path.join(outDir, 'bottleneck.png'));
  await shot('/bottleneck?c=8&text=le+<b>zorglub</b>+dort', path.join(outDir, 'bottleneck-bad.png'));
  await shot('/alignment?hard=1&layer=1&head=2', path.join(outDir, 'alignment-hard.png'));
  await shot('/alignment', path.join(outDir, 'alignment-dark-large.png'), { before: prefs(true, true) });
  await shot('/position', path.join(outDir, 'position.png'));
  await shot('/position?pos=rope&sn=512&sd=512&rd=16&shift=200&ah=16&causal=0', path.join(outDir, 'position-big.png'));
  await shot('/position', path.join(outDir, 'position-dark-large.png'), { before: prefs(true, true) });
  await shot('/nope', path.join(outDir, 'not-found.png'));
  await shot('/qkv?dk=9999&t=abc&text=<b>hi</b> there', path.join(outDir, 'qkv-bad-link.png'));
} finally {
  await stop();
}
reportShots(written, problems);
