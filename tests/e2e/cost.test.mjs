// End-to-end tests of chapter 6 (The cost of the n x n matrix) in headless
// Chromium. Every test fails on any console error or uncaught page error.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { start, withPage as withPageOf, waitForApp, waitForPaintsToSettle, readTable } from './helpers.mjs';

let env;
before(async () => { env = await start(); });
after(async () => { if (env) await env.stop(); });

const withPage = (fn, opts) => withPageOf(env.browser, fn, opts);

async function open(page, query = '') {
  await page.goto(`${env.base}/cost${query}`);
  await waitForApp(page);
  await page.locator('[data-testid=scores-head]').waitFor();
  await waitForPaintsToSettle(page, { needPaint: false });
}

/** A difference as shown: "0 exactly" or a number. */
const diffOf = (text) => (text === '0 exactly' ? 0 : Number(text));

const headline = (page) => page.locator('[data-testid=scores-head]').textContent();

/** A facts table as { header, rows: { label, cells } }. */
const facts = (page, id) => readTable(page.locator(`table[data-testid=${id}]`));

test('n = 1,000 gives 1,000,000 scores per head, 100,000 gives 10,000,000,000', async () => {
  await withPage(async ({ page }) => {
    await open(page);
    const exact = page.locator('input[data-testid=n-exact]');
    await exact.fill('1000');
    await exact.press('Enter');
    await page.waitForFunction(() => new URL(location.href).searchParams.get('n') === '1000');
    assert.match(await headline(page), /n = 1,000: 1,000,000 scores per head/);
    // GPT-2 small: 12 heads x 12 layers.
    const { rows } = await facts(page, 'scores-table');
    assert.equal(rows[0].cells[0], '1,000,000');
    assert.equal(rows[1].cells[0], '12,000,000 (1.20 × 10⁷)');
    assert.equal(rows[2].cells[0], '144,000,000 (1.44 × 10⁸)');
    assert.equal(rows[1].cells[1], '48 MB');
    await exact.fill('100000');
    await exact.press('Enter');
    await page.waitForFunction(() => document.querySelector('[data-testid=scores-head]').textContent.includes('100,000:'));
    assert.match(await headline(page), /10,000,000,000 scores per head/);
    // The slider moves n too, with the keyboard: Home is n = 2.
    const slider = page.locator('input[data-testid=n]');
    await slider.focus();
    await page.keyboard.press('Home');
    await page.waitForFunction(() => new URL(location.href).searchParams.get('n') === '2');
    assert.match(await headline(page), /n = 2: 4 scores per head/);
    // A preset changes the counts: the 7B class has 32 heads of 128.
    await page.locator('[data-testid=model-7b]').click();
    await exact.fill('200000');
    await exact.press('Enter');
    await page.waitForFunction(() => document.querySelector('[data-testid=scores-head]').textContent.includes('200,000:'));
    const fit = await facts(page, 'fit-table');
    const bf16at80 = fit.rows.find((r) => r.label === '80 GB' && r.cells[0] === 'bf16');
    assert.deepEqual(bf16at80.cells.slice(1), ['35,355', 'does not fit']);
    assert.match(await page.locator('[data-testid=crossover]').textContent(), /from n = 24,577/);
    const fig = page.locator('figure[data-testid=count-chart]');
    await fig.scrollIntoViewIfNeeded();
    await waitForPaintsToSettle(page);
  });
});

test('the timing run completes and dense attention grows faster than the window and linear attention', async () => {
  await withPage(async ({ page }) => {
    await open(page, '?tmax=2048&reps=3');
    const button = page.locator('[data-testid=time-toggle]');
    await button.scrollIntoViewIfNeeded();
    await button.click();
    await page.waitForFunction(() => document.querySelector('[data-testid=time-status]').textContent.startsWith('Done'), null, { timeout: 60000 });
    const { header, rows } = await facts(page, 'time-table');
    const slope = (label) => Number(rows.find((r) => r.label.startsWith(label)).cells[0]);
    const at1024 = header.indexOf('ms at n = 1,024') - 1;
    for (const r of rows) console.log(`# ${r.label}: slope ${r.cells[0]}, ${r.cells[at1024]} ms at n = 1024, ${r.cells[at1024 + 1]} ms at n = 2048`);
    assert.ok(slope('dense') > slope('window') + 0.3, `dense ${slope('dense')} vs window ${slope('window')}`);
    assert.ok(slope('dense') > slope('linear') + 0.3, `dense ${slope('dense')} vs linear ${slope('linear')}`);
    assert.ok(slope('dense') > 1.5, `dense slope ${slope('dense')}`);
    assert.equal(await button.textContent(), 'Done');
    // The chart's numbers hold every length for every variant.
    const fig = page.locator('figure[data-testid=time-chart]');
    await fig.locator('details.numbers summary').click();
    const numbers = await readTable(fig.locator('table'));
    assert.deepEqual(numbers.rows.map((r) => r.cells[0]), ['32', '64', '128', '256', '512', '1,024', '2,048']);
    assert.ok(numbers.rows.every((r) => r.cells.slice(1).every((c) => Number(c) > 0)));
  });
});

test('bad link values give notes and a sane page', async () => {
  await withPage(async ({ page }) => {
    await open(page, '?n=abc&model=gpt9&tmax=3&reps=99&pat=%3Cb%3Ex%3C/b%3E&w=-5');
    const notes = await page.locator('ul.notes').textContent();
    assert.match(notes, /sequence length n = “abc” is not a number; using 4096/);
    assert.match(notes, /model = “gpt9” is not one of/);
    assert.match(notes, /largest timed n/);
    assert.match(notes, /repeats per point = 99 is above the maximum 9/);
    assert.match(notes, /<b>x<\/b>/);
    assert.equal(await page.locator('ul.notes b').count(), 0, 'HTML shown as text');
    assert.match(await headline(page), /n = 4,096: 16,777,216 scores per head/);
  });
  await withPage(async ({ page }) => {
    await open(page, '?model=custom&d=100&h=7');
    assert.match(await page.locator('ul.notes').textContent(), /7 heads do not divide d_model = 100; using 5 heads/);
    assert.equal(await page.locator('input[data-testid=heads]').inputValue(), '5');
  });
});

test('sparse patterns: the window mask counts by hand and every pattern is timed', async () => {
  await withPage(async ({ page }) => {
    await open(page, '?pat=window&sn=64&w=9&L=20');
    const f = await facts(page, 'sparse-facts');
    assert.equal(f.rows[0].cells[0], '556 of 4,096');
    assert.match(await page.locator('[data-testid=reach-text]').textContent(), /connected after 16 layers/);
    await page.waitForFunction(() => document.querySelector('[data-testid=pattern-status]').textContent.startsWith('Every pattern timed'), null, { timeout: 30000 });
    const t = await facts(page, 'pattern-table');
    assert.equal(t.rows.length, 6);
    assert.equal(t.rows[0].cells[1], '4,096');
    assert.ok(t.rows.every((r) => Number(r.cells[3]) > 0));
    await page.locator('[data-testid=pat-full]').click();
    await page.waitForFunction(() => document.querySelector('[data-testid=sparse-facts]').textContent.includes('4,096 of 4,096'));
  });
});

test('tiled attention equals dense attention to below 1e-9 and steps through one query', async () => {
  await withPage(async ({ page }) => {
    await open(page, '?tn=64&tb=16&tq=64');
    const f = await facts(page, 'tiled-facts');
    const diff = diffOf(f.rows[0].cells[0]);
    console.log(`# tiled max |diff| shown: ${f.rows[0].cells[0]}`);
    assert.ok(diff < 1e-9, `shown difference ${diff}`);
    assert.equal(f.rows[1].cells.join(' / '), '256 / 4,096');
    const text = page.locator('[data-testid=tile-step-text]');
    assert.match(await text.textContent(), /^Block 1 of 4: keys 0–15/);
    await page.locator('[data-testid=tile-next]').click();
    await page.waitForFunction(() => document.querySelector('[data-testid=tile-step-text]').textContent.startsWith('Block 2 of 4'));
    assert.equal(new URL(page.url()).searchParams.get('ts'), '2');
    const lf = await facts(page, 'lin-facts');
    assert.ok(diffOf(lf.rows[0].cells[0]) < 1e-12, `linear forms differ by ${lf.rows[0].cells[0]}`);
  });
});

test('ring attention equals dense attention and the KV cache saves work, counted and timed', async () => {
  await withPage(async ({ page }) => {
    await open(page, '?rn=24&rp=4&rs=2&kn=10');
    const r = await facts(page, 'ring-facts');
    assert.ok(diffOf(r.rows[0].cells[0]) < 1e-12, `ring differs by ${r.rows[0].cells[0]}`);
    const sched = await facts(page, 'ring-schedule');
    assert.equal(sched.rows.length, 4);
    assert.equal(sched.rows[1].cells[0], 'K/V block 4 (18–23)');
    assert.match(await page.locator('[data-testid=ring-step-text]').textContent(), /^Step 2 of 4/);
    const kv = await facts(page, 'kv-facts');
    const [withCache, without] = kv.rows[0].cells.map((c) => Number(c.replace(/,/g, '')));
    assert.ok(withCache < without, `${withCache} < ${without}`);
    assert.ok(diffOf(kv.rows[1].cells[0]) < 1e-12);
    // Both paths are timed in the page (the numbers are a measurement: only
    // their presence is checked).
    await page.waitForFunction(() => /times longer\.$/.test(document.querySelector('[data-testid=kv-time]').textContent), null, { timeout: 30000 });
    const timed = await page.locator('[data-testid=kv-time]').textContent();
    assert.match(timed, /^Timed in this page \(median of 3\): all 10 tokens in [\d.]+ ms with the cache, [\d.]+ ms without: [\d.]+ times longer\.$/);
    // The self-check is there.
    assert.ok(await page.locator('.self-check, [data-testid=self-check]').count() > 0);
  });
});
