// End-to-end tests of chapter 9 (Why attention replaced RNNs) in headless
// Chromium. Every test fails on any console error or uncaught page error.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { start, withPage as withPageOf, waitForApp, waitForPaintsToSettle, readTable } from './helpers.mjs';

let env;
before(async () => { env = await start(); });
after(async () => { if (env) await env.stop(); });

const withPage = (fn, opts) => withPageOf(env.browser, fn, opts);

async function open(page, query = '') {
  await page.goto(`${env.base}/rnn${query}`);
  await waitForApp(page);
  await page.locator('figure[data-testid=reach-chart]').waitFor();
  await waitForPaintsToSettle(page, { needPaint: false });
}

/** The written decay rate of each model: { 'RNN (tanh)': 0.68, ... }. */
async function rates(page) {
  const { rows } = await readTable(page.locator('table[data-testid=reach-rates]'));
  return Object.fromEntries(rows.map((r) => [r.cells[0], Number(r.cells[1])]));
}

test('moving the spectral radius changes the written decay rate; linear vs tanh', async () => {
  await withPage(async ({ page }) => {
    await open(page, '?act=linear&n=64');
    const before = await rates(page);
    console.log(`# rho 0.9, linear, n 64: ${JSON.stringify(before)}`);
    assert.ok(Math.abs(before['RNN (linear)'] - 0.9) < 0.05, JSON.stringify(before));
    assert.ok(Math.abs(before['self-attention'] - 1) < 0.1, JSON.stringify(before));
    const slider = page.locator('input[data-testid=rho]');
    await slider.focus();
    await page.keyboard.press('Home');
    await page.waitForFunction(() => new URL(location.href).searchParams.get('rho') === '0.3');
    await page.waitForFunction((old) => {
      const cell = document.querySelector('table[data-testid=reach-rates] tbody tr td:nth-child(2)');
      return cell && Number(cell.textContent) !== old;
    }, before['RNN (linear)']);
    const low = await rates(page);
    console.log(`# rho 0.3, linear: ${JSON.stringify(low)}`);
    assert.ok(Math.abs(low['RNN (linear)'] - 0.3) < 0.03, JSON.stringify(low));
    await page.keyboard.press('End');
    await page.waitForFunction(() => new URL(location.href).searchParams.get('rho') === '1.5');
    await page.waitForFunction(() => Number(document.querySelector('table[data-testid=reach-rates] tbody tr td:nth-child(2)').textContent) > 1);
    console.log(`# rho 1.5, linear: ${JSON.stringify(await rates(page))}`);
    // tanh still shrinks at 1.1.
    await page.goto(`${env.base}/rnn?rho=1.1&act=tanh&n=128`);
    await page.locator('table[data-testid=reach-rates]').waitFor();
    const tanh = await rates(page);
    console.log(`# rho 1.1, tanh, n 128: ${JSON.stringify(tanh)}`);
    assert.ok(tanh['RNN (tanh)'] < 1, JSON.stringify(tanh));
    assert.ok(tanh['GRU'] > tanh['RNN (tanh)'], JSON.stringify(tanh));
    const reading = await page.locator('[data-testid=reach-reading]').textContent();
    assert.ok(reading.includes(`RNN (tanh): × ${tanh['RNN (tanh)']} per step`), reading);
    assert.match(reading, /GRU keeps its gradient longer/);
    const fig = page.locator('figure[data-testid=reach-chart]');
    await fig.scrollIntoViewIfNeeded();
    await waitForPaintsToSettle(page);
  });
});

test('the training run finishes, its accuracy table appears and section 1 measures the trained models', async () => {
  await withPage(async ({ page }) => {
    await open(page, '?steps=300&dmax=16&at=trained');
    assert.match(await page.locator('[data-testid=reach-untrained]').textContent(), /not been trained yet/);
    const button = page.locator('[data-testid=race-toggle]');
    await button.scrollIntoViewIfNeeded();
    await button.click();
    await page.waitForFunction(() => document.querySelector('[data-testid=race-status]').textContent.startsWith('Done'), null, { timeout: 60000 });
    const status = await page.locator('[data-testid=race-status]').textContent();
    console.log(`# ${status}`);
    const { header, rows } = await readTable(page.locator('table[data-testid=race-table]'));
    assert.deepEqual(header, ['d', 'RNN (tanh)', 'GRU', 'attention']);
    assert.deepEqual(rows.map((r) => r.cells[0]), ['1', '2', '4', '8', '16']);
    for (const r of rows) console.log(`# d ${r.cells[0]}: RNN ${r.cells[1]}, GRU ${r.cells[2]}, attention ${r.cells[3]}`);
    assert.match(await page.locator('[data-testid=race-reading]').textContent(), /^At d = 16, the longest distance, after 300 steps: RNN \(tanh\) [\d.]+%, GRU [\d.]+%, attention [\d.]+%; chance is 12.5%\.$/);
    const pct = (s) => Number(s.replace('%', ''));
    const far = rows[rows.length - 1].cells;
    assert.ok(pct(far[3]) > 80, `attention at d 16: ${far[3]}`);
    assert.ok(pct(far[2]) > 80, `GRU at d 16: ${far[2]}`);
    // Section 1 now shows the trained models' reach.
    await page.locator('[data-testid=reach-untrained]').waitFor({ state: 'detached' });
    await page.locator('table[data-testid=reach-rates]').waitFor();
    assert.match(await page.locator('[data-testid=reach-what]').textContent(), /after 300 training steps/);
    console.log(`# trained reach rates (n 128): ${JSON.stringify(await rates(page))}`);
  });
});

test('garbage in the link gives notes and a working page', async () => {
  await withPage(async ({ page }) => {
    await open(page, '?n=9999&rho=abc&act=%3Cscript%3E&at=soon&steps=-5&dmax=7');
    await page.locator('table[data-testid=reach-rates]').waitFor();
    const notes = await page.locator('.notes li').allTextContents();
    assert.ok(notes.length >= 6, JSON.stringify(notes));
    assert.ok(notes.some((n) => n.includes('512')), JSON.stringify(notes));
    const r = await rates(page);
    assert.ok(Number.isFinite(r['RNN (tanh)']), JSON.stringify(r));
    assert.equal(await page.locator('[data-testid=n]').inputValue(), '512');
  });
});

test('the schedule counts follow n and P, and the forward timing run finishes', async () => {
  await withPage(async ({ page }) => {
    await open(page, '?sn=100000&p=1000000&tmax=512&reps=3');
    const head = await page.locator('[data-testid=sched-head]').textContent();
    console.log(`# ${head}`);
    assert.match(head, /n = 100,000: .* in 4 dependent steps instead of 100,001/);
    assert.match(head, /the RNN finishes first/);
    const p = page.locator('input[data-testid=p]');
    await p.fill('1000000000');
    await p.press('Enter');
    await page.waitForFunction(() => document.querySelector('[data-testid=sched-head]').textContent.includes('attention finishes first'));
    const button = page.locator('[data-testid=time-toggle]');
    await button.scrollIntoViewIfNeeded();
    await button.click();
    await page.waitForFunction(() => document.querySelector('[data-testid=time-status]').textContent.startsWith('Done'), null, { timeout: 60000 });
    const { rows } = await readTable(page.locator('table[data-testid=time-table]'));
    for (const r of rows) console.log(`# ${r.cells.join(' | ')}`);
    assert.equal(rows.length, 3);
    assert.ok(rows.every((r) => Number(r.cells[2]) > 0), JSON.stringify(rows));
    await page.locator('figure[data-testid=time-chart]').scrollIntoViewIfNeeded();
    await waitForPaintsToSettle(page);
  });
});

test('the transformer block links to the chapters of its pieces', async () => {
  await withPage(async ({ page }) => {
    await open(page);
    // Section 4 loads after the first screen: wait for it.
    await page.locator('[data-testid=decoder-block] a[href="/alignment"]').waitFor({ timeout: 30000 });
    const hrefs = await page.locator('[data-testid=encoder-block] a, [data-testid=decoder-block] a').evaluateAll((as) => as.map((a) => new URL(a.href).pathname));
    for (const want of ['/qkv', '/scaling', '/multi-head', '/position', '/alignment']) assert.ok(hrefs.includes(want), `${want} in ${hrefs}`);
    assert.equal(await page.locator('[data-testid=descendants] li').count(), 5);
    // A link goes to its chapter inside the app.
    await page.locator('[data-testid=decoder-block] a[href="/alignment"]').click();
    await page.waitForFunction(() => location.pathname === '/alignment');
  });
});
