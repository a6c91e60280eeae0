// End-to-end tests of chapter 7 (Multi-head attention and head pruning) in
// headless Chromium, on the shipped trained model. Every test fails on any
// console error or uncaught page error.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { start, withPage as withPageOf, waitForApp, openNumbers, readTable } from './helpers.mjs';

let env;
before(async () => { env = await start(); });
after(async () => { if (env) await env.stop(); });
const withPage = (fn, opts) => withPageOf(env.browser, fn, opts);

async function open(page, query = '') {
  await page.goto(`${env.base}/multi-head${query}`);
  await waitForApp(page);
  await page.locator('[data-testid=live-accuracy]').filter({ hasText: 'held-out accuracy' }).waitFor();
}

async function studyDone(page) {
  await page.waitForFunction(
    () => document.querySelector('[data-testid=study-status]')?.textContent.startsWith('Each head was measured'),
    null, { timeout: 60000 });
}

/** { on, total, all } from "With 7 of 8 heads on: held-out accuracy 82.3% (...)". */
async function live(page) {
  const t = await page.locator('[data-testid=live-accuracy]').textContent();
  const m = t.match(/With (\d+) of (\d+) heads on: held-out accuracy ([\d.]+)%/);
  assert.ok(m, t);
  return { on: Number(m[1]), total: Number(m[2]), all: Number(m[3]), text: t };
}

test('switching off the most important head lowers the displayed accuracy; the link keeps it off', async () => {
  await withPage(async ({ page }) => {
    await open(page);
    await studyDone(page);
    const before = await live(page);
    assert.equal(before.on, 8);
    const { rows } = await readTable(page.locator('[data-testid=ranking] table'));
    assert.equal(rows.length, 8);
    const top = rows[0].cells; // most important by accuracy drop
    const [, l, h] = top[0].match(/L(\d) H(\d)/);
    const without = Number(top[2].replace('%', ''));
    const drop = Number(top[3].replace('−', '-'));
    assert.ok(drop < -1, `the top head matters: ${top.join(' | ')}`);
    await page.locator(`[data-testid=head-${l}-${h}] button.head-switch`).click();
    await page.waitForFunction(() => /With 7 of 8/.test(document.querySelector('[data-testid=live-accuracy]').textContent));
    const after = await live(page);
    assert.ok(after.all < before.all, `${after.text} vs ${before.text}`);
    // The live figure is the ranking's "accuracy without it" (same sentences).
    assert.ok(Math.abs(after.all - without) < 0.051, `${after.all} vs ${without}`);
    await page.waitForFunction((want) => new URL(location.href).searchParams.get('off') === want, `${l}.${h}`);
    await page.waitForTimeout(300); // URL writes are throttled
    await page.goto(page.url());
    await waitForApp(page);
    await page.locator('[data-testid=live-accuracy]').filter({ hasText: 'With 7 of 8' }).waitFor();
    assert.equal((await live(page)).all, after.all);
    assert.equal(await page.locator(`[data-testid=head-${l}-${h}] button.head-switch`).getAttribute('aria-pressed'), 'false');
    await page.locator('[data-testid=all-on]').click();
    await page.waitForFunction(() => /With 8 of 8/.test(document.querySelector('[data-testid=live-accuracy]').textContent));
    assert.equal((await live(page)).all, before.all);
  });
});

test('the pruning curve starts at the baseline and ends with every head off', async () => {
  await withPage(async ({ page }) => {
    await open(page);
    await studyDone(page);
    const base = (await live(page)).all / 100;
    const { rows } = await readTable(await openNumbers(page, 'pruning'));
    assert.equal(rows.length, 9);
    assert.equal(rows[0].cells[0], '0');
    assert.ok(Math.abs(Number(rows[0].cells[2]) - base) < 6e-4);
    const last = rows[8].cells;
    assert.equal(last[2], last[4], 'with all 8 heads off both orders agree');
    assert.ok(Number(last[2]) < base - 0.2, `all heads off: ${last[2]}`);
    // Switching off all eight heads by hand shows the same number.
    await page.goto(`${env.base}/multi-head?off=1.1,1.2,1.3,1.4,2.1,2.2,2.3,2.4`);
    await page.locator('[data-testid=live-accuracy]').filter({ hasText: 'With 0 of 8' }).waitFor();
    assert.ok(Math.abs((await live(page)).all / 100 - Number(last[2])) < 6e-4);
  });
});

test('a bad list of heads is ignored with a note; one layer is taken apart with shapes', async () => {
  await withPage(async ({ page }) => {
    await open(page, '?off=9.9,%3Cb%3E,2.2&layer=2');
    const notes = await page.locator('.notes').allTextContents();
    assert.ok(notes.some((n) => n.includes('“9.9”') && n.includes('“<b>”')), notes.join('|'));
    assert.equal((await live(page)).on, 7);
    await page.locator('[data-testid=apart-concat]').waitFor();
    const subtitle = await page.locator('[data-testid=apart-concat]').textContent();
    assert.ok(subtitle.includes('11 × 32'), subtitle);
    assert.ok((await page.locator('[data-testid=apart-wo]').textContent()).includes('32 × 32'));
    assert.ok((await page.locator('[data-testid=apart-weights-2]').textContent()).includes('switched off'));
    // Random weights: 8 heads of width 2 give an 11 × 16 concatenation and 8 matrices.
    await page.locator('[data-testid=apart-random]').click();
    await page.locator('[data-testid=rh-8]').click();
    await page.locator('[data-testid=rw-2]').click();
    await page.waitForFunction(() => document.querySelector('[data-testid=apart-concat]')?.textContent.includes('11 × 16'));
    assert.equal(await page.locator('[data-testid^=apart-weights-]').count(), 8);
    assert.ok((await page.locator('[data-testid=apart-wo]').textContent()).includes('16 × 32'));
    await page.waitForFunction(() => new URL(location.href).searchParams.get('src') === 'random');
    // Keyboard: the head-count buttons are reachable and pressable.
    await page.locator('[data-testid=rh-2]').focus();
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.querySelector('[data-testid=apart-concat]')?.textContent.includes('11 × 4'));
    assert.equal(await page.locator('[data-testid^=apart-weights-]').count(), 2);
  });
});

test('the heads race trains both models live; toggling a head does not restart it', async () => {
  await withPage(async ({ page }) => {
    await open(page, '?seed=1');
    await page.locator('[data-testid=race-toggle]').click();
    await page.waitForFunction(() => /After (50|[1-9]\d{2,}|[5-9]\d) steps/.test(document.querySelector('[data-testid=race-summary]').textContent), null, { timeout: 60000 });
    // Switching a head of the trained model off is unrelated to the race.
    await page.locator('[data-testid=head-2-1] button.head-switch').click();
    await page.waitForFunction(() => /With 7 of 8/.test(document.querySelector('[data-testid=live-accuracy]').textContent));
    const t = await page.locator('[data-testid=race-summary]').textContent();
    assert.ok(!t.startsWith('After 0 steps'), `race restarted: ${t}`);
    await page.locator('[data-testid=race-toggle]').click(); // pause
    const { header, rows } = await readTable(await openNumbers(page, 'race-chart'));
    assert.deepEqual(header, ['step', '4 heads × 8', '1 head × 32']);
    assert.ok(rows.length >= 3, JSON.stringify(rows));
    for (const r of rows) {
      for (const c of r.cells.slice(1)) assert.ok(Number(c) >= 0 && Number(c) <= 1, c);
    }
    // A new seed starts a new race from step 0.
    await page.locator('[data-testid=race-seed]').click();
    await page.waitForFunction(() => new URL(location.href).searchParams.get('seed') === '2');
    await page.waitForFunction(() => document.querySelector('[data-testid=race-summary]').textContent.startsWith('After 0 steps'));
  });
});
