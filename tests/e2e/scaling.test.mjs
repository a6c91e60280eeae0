// End-to-end tests of chapter 4 (Why divide by sqrt(d_k)) in headless Chromium.
// Every test fails on any console error or uncaught page error.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { start, withPage as withPageOf, waitForApp, waitForPaintsToSettle, readTable } from './helpers.mjs';

let env;
before(async () => { env = await start(); });
after(async () => { if (env) await env.stop(); });

const withPage = (fn, opts) => withPageOf(env.browser, fn, opts);

async function open(page, query) {
  await page.goto(`${env.base}/scaling${query}`);
  await waitForApp(page);
  await page.locator('[data-testid=row-stats]').waitFor();
  await waitForPaintsToSettle(page);
}

/** Parses "Entropy 0.123 bits ... largest weight 0.456 ... norm 0.0789" from the screen. */
async function rowStats(page) {
  const t = await page.locator('[data-testid=row-stats]').textContent();
  const m = t.match(/Entropy ([\d.]+) bits .* largest weight ([\d.]+) .* Jacobian norm ([\d.]+)/);
  assert.ok(m, `stats text: ${t}`);
  return { text: t, entropy: Number(m[1]), max: Number(m[2]), jac: Number(m[3]) };
}

test('at d_k = 512, switching scaling on raises the entropy and lowers the max weight', async () => {
  await withPage(async ({ page }) => {
    await open(page, '?dk=512&scale=0');
    const off = await rowStats(page);
    assert.ok(off.max > 0.9, `unscaled at 512 should be nearly one-hot: ${off.text}`);
    const toggle = page.locator('input[data-testid=scale]');
    assert.equal(await toggle.isChecked(), false);
    await toggle.click();
    await page.waitForFunction((t) => document.querySelector('[data-testid=row-stats]').textContent !== t, off.text);
    const on = await rowStats(page);
    assert.ok(on.entropy > off.entropy, `${on.entropy} > ${off.entropy}`);
    assert.ok(on.max < off.max, `${on.max} < ${off.max}`);
    assert.ok(on.jac > off.jac, `${on.jac} > ${off.jac}`);
    await page.waitForFunction(() => new URL(location.href).searchParams.get('scale') === '1');
    // The bars' numbers agree with the stats line: the largest weight matches.
    const fig = page.locator('figure[data-testid=bars]');
    await fig.locator('details.numbers summary').click();
    const { rows } = await readTable(fig.locator('table'));
    assert.equal(rows.length, 16);
    const weights = rows.map((r) => Number(r.cells[2]));
    const sum = weights.reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(sum - 1) < 16e-6, `weights sum to ${sum}`);
    assert.ok(Math.abs(Math.max(...weights) - on.max) < 1e-3);
  });
});

test('sliding d_k with the keyboard updates the measured variance next to the theory', async () => {
  await withPage(async ({ page }) => {
    await open(page, '?dk=4');
    const slider = page.locator('input[data-testid=d-k]');
    await slider.focus();
    await page.keyboard.press('End');
    await page.waitForFunction(() => new URL(location.href).searchParams.get('dk') === '2048');
    const text = await page.locator('[data-testid=variance]').textContent();
    const m = text.match(/variance of q·k = ([\d.]+) \(theory (\d+)\), of q·k\/√d_k = ([\d.]+)/);
    assert.ok(m, text);
    assert.equal(m[2], '2048');
    assert.ok(Math.abs(Number(m[1]) / 2048 - 1) < 0.2, `raw variance ${m[1]}`);
    assert.ok(Math.abs(Number(m[3]) - 1) < 0.2, `scaled variance ${m[3]}`);
    // The histogram's numbers account for every sample.
    const fig = page.locator('figure[data-testid=hist-raw]');
    await fig.locator('details.numbers summary').click();
    const { rows } = await readTable(fig.locator('table'));
    assert.equal(rows.reduce((a, r) => a + Number(r.cells[1]), 0), 4096);
  });
});

test('the sweep charts paint and their numbers show unscaled entropy collapsing', async () => {
  await withPage(async ({ page }) => {
    await open(page, '?dk=64');
    const fig = page.locator('figure[data-testid=sweep-0]');
    await fig.scrollIntoViewIfNeeded();
    await waitForPaintsToSettle(page);
    const painted = await fig.locator('canvas').evaluate((c) => {
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let blue = 0;
      for (let i = 0; i < d.length; i += 4) if (d[i] === 0 && d[i + 1] === 0x72 && d[i + 2] === 0xb2) blue++;
      return blue;
    });
    assert.ok(painted > 50, `scaled series drawn (${painted} blue pixels)`);
    // Charts side by side keep their designed width when there is room
    // (560 px at this size), not the canvas's default 300.
    const width = await fig.locator('canvas').evaluate((c) => c.getBoundingClientRect().width);
    assert.ok(width >= 500, `sweep chart ${width} px wide`);
    await fig.locator('details.numbers summary').click();
    const { rows } = await readTable(fig.locator('table'));
    assert.equal(rows.length, 12);
    const first = rows[0].cells.map(Number);
    const last = rows[11].cells.map(Number);
    assert.equal(last[0], 2048);
    assert.ok(last[2] < first[2] / 3, `unscaled entropy falls: ${first[2]} -> ${last[2]}`);
    assert.ok(last[1] > 3, `scaled entropy stays high: ${last[1]}`);
  });
});

test('bad link values are clamped with a visible note', async () => {
  await withPage(async ({ page }) => {
    await open(page, '?dk=99999&t=abc&scale=<i>x</i>');
    const notes = await page.locator('ul.notes').textContent();
    assert.match(notes, /d_k = 99999 is above the maximum 2048/);
    assert.match(notes, /temperature/);
    assert.match(notes, /<i>x<\/i>/);
    assert.equal(await page.locator('ul.notes i').count(), 0, 'HTML shown as text');
    assert.equal(await page.locator('input[data-testid=d-k]').getAttribute('aria-valuetext'), '2048');
  });
});

test('training: settings go to the URL, Start moves both curves, Pause stops, Reset clears', async () => {
  await withPage(async ({ page }) => {
    await open(page, '?tdk=64&opt=adam');
    await page.locator('[data-testid=tdk-16]').click();
    await page.locator('[data-testid=opt-sgd]').click();
    await page.waitForFunction(() => {
      const p = new URL(location.href).searchParams;
      return p.get('tdk') === '16' && p.get('opt') === 'sgd';
    });
    await page.locator('[data-testid=opt-adam]').click();
    await page.waitForFunction(() => new URL(location.href).searchParams.get('opt') === 'adam');
    const stepOf = async () => Number((await page.locator('[data-testid=train-step]').textContent()).match(/Step (\d+)/)[1]);
    assert.equal(await stepOf(), 0);
    const toggle = page.locator('[data-testid=train-toggle]');
    await toggle.scrollIntoViewIfNeeded();
    await toggle.click();
    await page.waitForFunction(() => Number(document.querySelector('[data-testid=train-step]').textContent.match(/Step (\d+)/)[1]) >= 150, null, { timeout: 60000 });
    await toggle.click(); // pause
    const paused = await stepOf();
    const rate = await page.locator('[data-testid=train-rate]').textContent();
    assert.match(rate, /^\d+ steps\/s/);
    console.log(`# training rate in Chromium: ${rate}`);
    // Paused means paused.
    await page.waitForTimeout(300);
    assert.equal(await stepOf(), paused);
    // The curves' numbers: a point every 25 steps; the scaled loss fell.
    const fig = page.locator('figure[data-testid=train-loss]');
    await fig.locator('details.numbers summary').click();
    const { rows } = await readTable(fig.locator('table'));
    assert.ok(rows.length >= 7, `${rows.length} points`);
    const first = rows[0].cells.map(Number);
    const last = rows[rows.length - 1].cells.map(Number);
    assert.ok(last[1] < first[1], `scaled loss fell: ${first[1]} -> ${last[1]}`);
    assert.ok(last[2] < first[2], `unscaled loss fell: ${first[2]} -> ${last[2]}`);
    assert.match(await page.locator('[data-testid=train-summary]').textContent(), /^After \d+ steps with Adam/);
    // The accuracy chart is painted with the scaled colour.
    const acc = page.locator('figure[data-testid=train-acc] canvas');
    await acc.scrollIntoViewIfNeeded();
    await waitForPaintsToSettle(page);
    const blue = await acc.evaluate((c) => {
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 0; i < d.length; i += 4) if (d[i] === 0 && d[i + 1] === 0x72 && d[i + 2] === 0xb2) n++;
      return n;
    });
    assert.ok(blue > 50, `${blue} blue pixels`);
    await page.locator('[data-testid=train-reset]').click();
    await page.waitForFunction(() => /Step 0\b/.test(document.querySelector('[data-testid=train-step]').textContent));
  });
});

test('leaving the chapter while training runs stops cleanly (no panic, no errors)', async () => {
  await withPage(async ({ page }) => {
    await open(page, '?tdk=16');
    const toggle = page.locator('[data-testid=train-toggle]');
    await toggle.scrollIntoViewIfNeeded();
    await toggle.click();
    await page.waitForFunction(() => Number(document.querySelector('[data-testid=train-step]').textContent.match(/Step (\d+)/)[1]) >= 20);
    await page.locator('nav.chapters-nav a', { hasText: 'Query, key, value' }).click();
    await page.locator('h1', { hasText: 'Query, key, value' }).waitFor();
    await page.waitForTimeout(500);
    assert.equal(await page.locator('#panic-panel').count(), 0);
    // And back again: a fresh experiment at step 0.
    await page.goBack();
    await page.locator('[data-testid=train-step]').waitFor();
    assert.match(await page.locator('[data-testid=train-step]').textContent(), /Step 0\b/);
  });
});
