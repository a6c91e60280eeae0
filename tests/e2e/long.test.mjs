// Long inputs on /qkv (up to 512 tokens), driven like a learner: paste a
// paragraph into the token editor, read the 512 x 512 weights by keyboard and
// by pointer (zoomed and whole), page the numbers, reload the link, and paste
// too much. Every test fails on any console error or uncaught page error.
// Needs a release build in dist/ (or DIST_DIR) and Chromium at /usr/bin/chromium.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  start, withPage as withPageOf, waitForApp, waitForPaintsToSettle, openNumbers, readTable,
} from './helpers.mjs';

let env;
before(async () => { env = await start(); });
after(async () => { if (env) await env.stop(); });
const withPage = (fn, opts) => withPageOf(env.browser, fn, opts);

/** A paragraph of `n` distinct words over several lines, with odd Unicode and HTML in it. */
export function paragraph(n) {
  const odd = ['«naïve»', '猫', '<b>bold</b>', 'مرحبا', 'e\u0301', '🐈‍⬛', '&amp;'];
  const words = Array.from({ length: n }, (_, i) => (i < odd.length ? `${odd[i]}${i}` : `word${i + 1}`));
  // A line break every 12 words, as in a pasted paragraph.
  return words.map((w, i) => (i % 12 === 11 ? `${w}\n` : `${w} `)).join('').trim();
}

async function gotoQkv(page, query = '', { needPaint = true } = {}) {
  await page.goto(`${env.base}/qkv${query}`);
  await waitForApp(page);
  await page.locator('[data-testid=sentence]').waitFor();
  await waitForPaintsToSettle(page, { needPaint, timeout: 30000 });
}

/** Pastes `text` into the sentence box, replacing what is there (one input event, as a paste). */
async function paste(page, text) {
  const box = page.locator('[data-testid=sentence]');
  await box.click();
  await page.keyboard.press('Control+A');
  await page.keyboard.insertText(text);
}

const countText = (page) => page.locator('.token-editor .token-count').textContent();
const readout = (page, id) => page.locator(`figure[data-testid=${id}] p.readout`).textContent();

/** Waits until the readout of heatmap `id` matches `re`, and returns it. */
async function waitReadout(page, id, re) {
  await page.waitForFunction(({ id, src }) => new RegExp(src).test(
    document.querySelector(`figure[data-testid=${id}] p.readout`)?.textContent ?? '',
  ), { id, src: re.source }, { timeout: 10000, polling: 50 });
  return readout(page, id);
}

test('a 512-token paragraph pasted into the editor: count, keyboard and pointer readouts, reload', async () => {
  await withPage(async ({ page }) => {
    await gotoQkv(page, '?step=5');
    const text = paragraph(512);
    await paste(page, text);
    await page.waitForFunction(() => document.querySelector('.token-editor .token-count')?.textContent === '512 tokens (limit 512)',
      null, { timeout: 20000 });
    assert.equal(await page.locator('.token-editor ul.notes').count(), 0, 'no limit message at exactly 512');
    // The editor stays small: one page of chips, one page of query buttons.
    assert.equal(await page.locator('ul.chips li.chip:not(.chip-add)').count(), 32);
    assert.match(await page.locator('.token-editor .pager .page-shown').textContent(), /^Tokens 1–32 of 512$/);
    assert.equal(await page.locator('button.token-pick').count(), 32);
    const weights = page.locator('figure[data-testid=hm-weights]');
    await page.waitForFunction(() => /^512 × 512/.test(document.querySelector('figure[data-testid=hm-weights] .shape')?.textContent ?? ''));
    await waitForPaintsToSettle(page);

    // Keyboard: the last query's last key.
    await weights.locator('canvas').focus();
    await waitReadout(page, 'hm-weights', /^query 1 “«naïve»0”, key 1 /);
    await page.keyboard.press('PageDown');
    await page.keyboard.press('End');
    await page.keyboard.press('ArrowLeft');
    const kb = await waitReadout(page, 'hm-weights', /^query 512 “word512”, key 511 “word511”: \d\.\d{6}$/);
    const kbValue = Number(kb.split(': ')[1]);
    // Enter selects query 512: its breakdown shows the page of keys around it.
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => new URL(location.href).searchParams.get('q') === '512');
    const breakdown = page.locator('table[data-testid=breakdown]');
    await breakdown.waitFor();
    const { rows } = await readTable(breakdown);
    assert.equal(rows.length, 32, 'one page of keys');
    const key511 = rows.find((r) => r.label === 'word511');
    assert.ok(key511, 'the page holds key 511');
    assert.ok(Math.abs(Number(key511.cells[2]) - kbValue) <= 5e-5, `breakdown ${key511.cells[2]} vs readout ${kbValue}`);
    // The selected query's button is on the picker's page.
    assert.equal(await page.locator('button.token-pick[aria-pressed="true"]').textContent(), 'word512');

    // Zoom in from the keyboard (+ or =, centred on the focused cell) and read a cell by pointer.
    await weights.locator('canvas').focus();
    for (let i = 0; i < 3; i++) await page.keyboard.press('=');
    await page.waitForFunction(() => document.querySelector('figure[data-testid=hm-weights] [data-testid=zoom-shown]')
      ?.textContent === 'queries 505–512, keys 505–512 of 512 × 512');
    assert.equal(await weights.locator('button.zoom[aria-pressed="true"]').textContent(), '8 × 8');
    await waitForPaintsToSettle(page);
    const box = await weights.locator('canvas').boundingBox();
    // 8 x 8 cells of 46 px end 8 px from the right and 43 px from the bottom (legend below).
    await page.mouse.move(box.x + box.width - 8 - 46 * 1.5, box.y + box.height - 43 - 46 * 0.5);
    const hover = await waitReadout(page, 'hm-weights', /^query 512 “word512”, key 511 “word511”: \d\.\d{6}$/);
    assert.equal(hover, kb, 'pointer and keyboard read the same cell');
    // The whole matrix again, and a pointer near its bottom-right corner.
    await weights.locator('button.zoom[data-zoom="0"]').click();
    await waitForPaintsToSettle(page);
    const whole = await weights.locator('canvas').boundingBox();
    await page.mouse.move(whole.x + whole.width - 12, whole.y + whole.height - 47);
    await waitReadout(page, 'hm-weights', /^query 5(0\d|1[0-2]) “word5\d\d”, key 5(0\d|1[0-2]) “word5\d\d”: \d\.\d{6}$/);

    // The numbers behind the canvas, a page at a time.
    const table = await openNumbers(page, 'hm-weights');
    let t = await readTable(table);
    assert.equal(t.rows.length, 32);
    assert.equal(t.header.length, 1 + 32 + 1, 'label, 32 keys, row sum');
    const pager = weights.locator('.table-pager');
    assert.equal(await pager.locator('.page-shown').textContent(), 'Showing queries 1–32, keys 1–32 of 512 × 512.');
    for (let i = 0; i < 15; i++) await pager.getByRole('button', { name: '↓ Next queries' }).click();
    for (let i = 0; i < 15; i++) await pager.getByRole('button', { name: '→ Next keys' }).click();
    assert.equal(await pager.locator('.page-shown').textContent(), 'Showing queries 481–512, keys 481–512 of 512 × 512.');
    assert.ok(await pager.getByRole('button', { name: '↓ Next queries' }).isDisabled());
    t = await readTable(table);
    const last = t.rows.at(-1);
    assert.equal(last.label, 'word512');
    assert.equal(t.header.at(-2), 'word512');
    // Cells: 32 keys then the row sum; key 511 is the third from the end.
    assert.equal(last.cells.at(-3), kb.split(': ')[1], 'the table has the readout’s number');
    assert.ok(await page.evaluate(() => document.querySelectorAll('td').length) < 5000, 'the page holds no 512 × 512 table');

    // The link keeps all 512 tokens (and the selected query) through a reload.
    await page.waitForFunction((n) => (new URL(location.href).searchParams.get('text') ?? '').split(/\s+/).length === n, 512);
    assert.equal(new URL(page.url()).searchParams.get('text'), text, 'the text as pasted, line breaks included');
    await page.reload();
    await waitForApp(page);
    await page.locator('[data-testid=sentence]').waitFor();
    await page.waitForFunction(() => document.querySelector('.token-editor .token-count')?.textContent === '512 tokens (limit 512)');
    assert.equal(await page.locator('[data-testid=sentence]').inputValue(), text);
    await page.waitForFunction(() => /^512 × 512/.test(document.querySelector('figure[data-testid=hm-weights] .shape')?.textContent ?? ''));
    assert.equal(await page.locator('button.token-pick[aria-pressed="true"]').textContent(), 'word512');
    assert.equal(await page.locator('main b').count(), 0, 'HTML in a token stays text');
    await waitForPaintsToSettle(page);
  });
});

test('a paste of more than 512 tokens is cut after token 512, with a message', async () => {
  await withPage(async ({ page }) => {
    await gotoQkv(page);
    await paste(page, paragraph(600));
    const note = page.locator('.token-editor ul.notes');
    await note.waitFor({ timeout: 20000 });
    assert.match(await note.textContent(),
      /Your text had 600 tokens and this page takes at most 512: it was cut after token 512 \(“word512”\)\./);
    await page.waitForFunction(() => document.querySelector('.token-editor .token-count')?.textContent === '512 tokens (limit 512)');
    const kept = await page.locator('[data-testid=sentence]').inputValue();
    assert.ok(kept.endsWith('word511 word512 '), `the box holds the first 512 tokens: …${kept.slice(-30)}`);
    assert.equal(kept, paragraph(600).slice(0, kept.length), 'what is kept is as pasted');
    // Typing one more word is cut too (letter by letter: the last token
    // never grows), and the message stays.
    await page.locator('[data-testid=sentence]').press('Control+End');
    await page.keyboard.type('extra');
    await page.waitForFunction(() => /had 513 tokens/.test(document.querySelector('.token-editor ul.notes')?.textContent ?? ''));
    assert.ok((await page.locator('[data-testid=sentence]').inputValue()).endsWith('word511 word512 '));
    // Chips page through all 512.
    const pager = page.locator('.token-editor .pager');
    for (let i = 0; i < 15; i++) await pager.getByRole('button', { name: 'Next →' }).click();
    assert.equal(await pager.locator('.page-shown').textContent(), 'Tokens 481–512 of 512');
    const chips = await page.locator('ul.chips li.chip:not(.chip-add) input.chip-text').evaluateAll((els) => els.map((e) => e.value));
    assert.equal(chips.at(-1), 'word512');
    // Removing a chip on a later page removes that token.
    await page.getByRole('button', { name: 'Remove token 512 (word512)' }).click();
    await page.waitForFunction(() => document.querySelector('.token-editor .token-count')?.textContent === '511 tokens (limit 512)');
    assert.equal(await countText(page), '511 tokens (limit 512)');
    await waitForPaintsToSettle(page);
  });
});

test('empty, odd and garbage long links stay safe', async () => {
  await withPage(async ({ page }) => {
    const many = Array.from({ length: 700 }, (_, i) => `t${i}`).join(' ');
    await gotoQkv(page, `?text=${encodeURIComponent(many)}&q=9999&step=3`);
    const notes = (await page.locator('ul.notes').allTextContents()).join('\n');
    assert.match(notes, /You typed 700 tokens; the limit is 512, so only the first 512 are used\./);
    assert.match(notes, /selected token = 9999 is above the maximum 512; using 512\./);
    await page.waitForFunction(() => /^512 × 512/.test(document.querySelector('figure[data-testid=hm-scores] .shape')?.textContent ?? ''));
    await gotoQkv(page, '?text=%E0%A4%A&q=abc&dm=xyz');
    await gotoQkv(page, '?text=', { needPaint: false });
    await page.locator('p.error[role=alert]').waitFor();
    await paste(page, '   \n\t  ');
    assert.equal(await countText(page), '0 tokens (limit 512)');
  });
});
