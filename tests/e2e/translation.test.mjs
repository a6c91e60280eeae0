// End-to-end tests of chapters 1 (The bottleneck) and 2 (Attention as
// alignment) in headless Chromium, on the shipped translators.
// Every test fails on any console error or uncaught page error.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { start, withPage as withPageOf, waitForApp, waitForPaintsToSettle, openNumbers, readTable } from './helpers.mjs';

let env;
before(async () => { env = await start(); });
after(async () => { if (env) await env.stop(); });

const withPage = (fn, opts) => withPageOf(env.browser, fn, opts);
const text = (page, id) => page.locator(`[data-testid=${id}]`).first().textContent();

async function open(page, path, query = '') {
  await page.goto(`${env.base}/${path}${query}`);
  await waitForApp(page);
  await page.locator('[data-testid=out-attention]').waitFor({ timeout: 30000 });
  await waitForPaintsToSettle(page);
}

test('bottleneck: typing a sentence updates both translations', async () => {
  await withPage(async ({ page }) => {
    await open(page, 'bottleneck', '?text=le+chat+dort');
    assert.deepEqual(await page.locator('[data-testid=out-attention] .word').allTextContents(), ['the', 'cat', 'is', 'sleeping']);
    const before = { a: await text(page, 'out-attention'), b: await text(page, 'out-bottleneck') };
    const input = page.locator('input[data-testid=sentence]');
    await input.fill('la fille noire ne mange pas la pomme de terre');
    await page.waitForFunction((t) => document.querySelector('[data-testid=out-attention]').textContent !== t, before.a);
    const words = await page.locator('[data-testid=out-attention] .word').allTextContents();
    assert.deepEqual(words, ['the', 'black', 'girl', 'does', 'not', 'eat', 'the', 'potato']);
    assert.match(await text(page, 'out-attention-score'), /^8 of 8 words in place/);
    assert.match(await text(page, 'reference'), /“the black girl does not eat the potato”/);
    assert.notEqual(await text(page, 'out-bottleneck'), before.b);
    await page.waitForFunction(() => new URL(location.href).searchParams.get('text') === 'la fille noire ne mange pas la pomme de terre');
    // HTML and unknown words: shown as text, flagged, no crash.
    await input.fill('le <b>zorglub</b> dort');
    await page.waitForFunction(() => document.querySelector('.notes')?.textContent.includes('<b>zorglub</b>'));
    assert.equal(await page.locator('main b').count(), 0);
    assert.match(await text(page, 'reference'), /does not follow the corpus grammar/);
  });
});

test('bottleneck: the context width switches the model and its vector', async () => {
  await withPage(async ({ page }) => {
    await open(page, 'bottleneck', '?c=8');
    const sub = () => page.locator('figure[data-testid=context-vector] .shape').textContent();
    assert.equal(await sub(), '1 × 8');
    await page.locator('[data-testid=context-32]').click();
    await page.waitForFunction(() => new URL(location.href).searchParams.get('c') === '32');
    await page.waitForFunction(() => document.querySelector('figure[data-testid=context-vector] .shape').textContent === '1 × 32');
    const { rows } = await readTable(await openNumbers(page, 'context-vector'));
    assert.equal(rows[0].cells.length, 32);
  });
});

test('bottleneck: the held-out measurement finishes and attention wins on long sentences', async () => {
  await withPage(async ({ page }) => {
    await open(page, 'bottleneck');
    await page.waitForFunction(() => document.querySelector('[data-testid=length-status]').textContent.startsWith('Measured on all'), null, { timeout: 240000 });
    const { header, rows } = await readTable(await openNumbers(page, 'length-chart'));
    assert.deepEqual(header, ['source length', 'attention', 'bottleneck, 32 numbers', 'bottleneck, 8 numbers']);
    assert.equal(rows.length, 7);
    const pct = (s) => Number(s.replace('%', ''));
    const long = rows[5].cells; // 26-30 words
    assert.ok(pct(long[1]) > pct(long[2]) + 20, `attention ${long[1]} vs bottleneck ${long[2]}`);
    // The bottleneck falls with length.
    assert.ok(pct(rows[0].cells[2]) > pct(rows[5].cells[2]), `${rows[0].cells[2]} > ${rows[5].cells[2]}`);
    console.log(`  measured in page: ${await text(page, 'length-status')}`);
  });
});

test('alignment: typing updates the matrix, and soft/hard changes the diagram', async () => {
  await withPage(async ({ page }) => {
    await open(page, 'alignment', '?text=le+chat+noir+mange+la+pomme&layer=2&head=mean&hard=0');
    let t = await readTable(await openNumbers(page, 'cross-attention'));
    assert.deepEqual(t.rows.map((r) => r.label), ['the', 'black', 'cat', 'eats', 'the', 'apple', '</s>']);
    assert.deepEqual(t.header.slice(1), ['le', 'chat', 'noir', 'mange', 'la', 'pomme']);
    const soft = t.rows.map((r) => r.cells.map(Number));
    for (const r of soft) assert.ok(Math.abs(r.reduce((a, b) => a + b, 0) - 1) < 1e-5);
    // "black" looks at "noir" most: the swap.
    assert.equal(soft[1].indexOf(Math.max(...soft[1])), 2);
    assert.match(await text(page, 'sentence-aer'), /Alignment error rate for your sentence/);
    // Hard: the canvas changes and the numbers become 0/1.
    const canvas = page.locator('figure[data-testid=row-diagram] canvas');
    const before = await canvas.evaluate((c) => c.toDataURL());
    await page.locator('input[data-testid=hard]').click();
    await page.waitForFunction(() => new URL(location.href).searchParams.get('hard') === '1');
    await waitForPaintsToSettle(page);
    const afterImg = await canvas.evaluate((c) => c.toDataURL());
    assert.notEqual(afterImg, before, 'the diagram was redrawn');
    t = await readTable(await openNumbers(page, 'cross-attention'));
    for (const r of t.rows) {
      const v = r.cells.map(Number);
      assert.equal(v.filter((x) => x === 1).length, 1);
      assert.equal(v.filter((x) => x === 0).length, v.length - 1);
    }
    // A new sentence updates the matrix.
    await page.locator('input[data-testid=sentence]').fill('la souris dort');
    await page.waitForFunction(() => [...document.querySelectorAll('[data-testid=out-attention] .word')].map((e) => e.textContent).join(' ') === 'the mouse is sleeping');
    t = await readTable(await openNumbers(page, 'cross-attention'));
    assert.deepEqual(t.header.slice(1), ['la', 'souris', 'dort']);
  });
});

test('alignment: training from scratch records snapshots the scrubber moves through', async () => {
  await withPage(async ({ page }) => {
    await open(page, 'alignment', '?text=le+chat+noir+mange+la+pomme&steps=100');
    const toggle = page.locator('[data-testid=learn-toggle]');
    await toggle.scrollIntoViewIfNeeded();
    await toggle.click();
    await page.waitForFunction(() => document.querySelector('[data-testid=learn-toggle]').textContent === 'Done', null, { timeout: 120000 });
    assert.match(await text(page, 'scrub-status'), /^Step 100 · AER/);
    const last = await readTable(await openNumbers(page, 'learn-aer'));
    assert.equal(last.rows.length, 11);
    // Scrub back to the start: untrained, the map is nearly uniform.
    const scrubber = page.locator('input[data-testid=scrubber]');
    await scrubber.focus();
    await page.keyboard.press('Home');
    await page.waitForFunction(() => document.querySelector('[data-testid=scrub-status]').textContent.startsWith('Step 0 '));
    assert.match(await text(page, 'scrub-status'), /untrained/);
    const m = await readTable(await openNumbers(page, 'learn-attention'));
    const row = m.rows[0].cells.map(Number);
    assert.ok(Math.max(...row) < 0.6, `untrained attention is spread: ${row}`);
  });
});

test('bottleneck: both small translators train in the page and are measured by length', async () => {
  await withPage(async ({ page }) => {
    await open(page, 'bottleneck', '?steps=50&c=8');
    const toggle = page.locator('[data-testid=retrain-toggle]');
    await toggle.scrollIntoViewIfNeeded();
    await toggle.click();
    await page.waitForFunction(() => document.querySelector('[data-testid=retrain-status]').textContent.startsWith('Done.'), null, { timeout: 180000 });
    assert.match(await text(page, 'retrain-status'), /On 40 held-out sentences of 3 to 20 words: attention \d+\.\d% .* bottleneck \d+\.\d%/);
    const { rows } = await readTable(await openNumbers(page, 'retrain-accuracy'));
    assert.deepEqual(rows.map((r) => r.cells[0]), ['3–6 words', '7–10 words', '11–15 words', '16–20 words']);
    for (const r of rows) for (const c of r.cells.slice(1)) assert.match(c, /^\d+\.\d%$/);
    const loss = await readTable(await openNumbers(page, 'retrain-loss'));
    assert.equal(loss.rows.length, 5, 'a loss point every 10 steps');
  });
});

test('garbage in the links of both chapters is clamped with notes, and the pages still work', async () => {
  await withPage(async ({ page }) => {
    await page.goto(`${env.base}/alignment?layer=9&head=%3Cb%3E&hard=maybe&steps=1e9&seed=-4&text=`);
    await waitForApp(page);
    await page.locator('[data-testid=reference]').waitFor();
    // No sentence: a message where the translation goes, not a crash.
    await page.waitForFunction(() => document.querySelector('.card .error')?.textContent.includes('Type a sentence'));
    const notes = await page.locator('.notes li').allTextContents();
    assert.ok(notes.length >= 5, notes.join('\n'));
    assert.match(await text(page, 'reference'), /Type a sentence/);
    await page.locator('input[data-testid=sentence]').fill('le chat dort');
    await page.waitForFunction(() => [...document.querySelectorAll('[data-testid=out-attention] .word')].map((e) => e.textContent).join(' ') === 'the cat is sleeping');
    await open(page, 'bottleneck', `?c=%3Cscript%3E&steps=abc&text=${'le+chat+dort+et+'.repeat(30)}`);
    const n2 = await page.locator('.notes li').allTextContents();
    assert.ok(n2.some((n) => n.includes('Context width')) && n2.some((n) => n.includes('at most 40')), n2.join('\n'));
  });
});
