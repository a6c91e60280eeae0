// End-to-end tests of Attention Lab in headless Chromium, driven like a learner.
// Run: `node --test tests/e2e/` from the repo root, or `npm test` in tests/e2e.
// Needs a release build in dist/ (or DIST_DIR) and Chromium at /usr/bin/chromium.
// Every test fails on any console error or uncaught page error.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  start, withPage as withPageOf, waitForApp, waitForPaintsToSettle, paintCount, openNumbers, readTable,
  readWeights,
} from './helpers.mjs';

let env;
before(async () => { env = await start(); });
after(async () => { if (env) await env.stop(); });

/** Runs `fn` with a fresh page; asserts no console/page errors afterwards. */
const withPage = (fn, opts) => withPageOf(env.browser, fn, opts);

async function gotoQkv(page, query = '') {
  await page.goto(`${env.base}/qkv${query}`);
  await waitForApp(page);
  await page.locator('[data-testid=sentence]').waitFor();
  await waitForPaintsToSettle(page);
}

// The app writes state changes to the address bar at most every 200 ms (the
// latest always lands), so URL checks wait for the address to settle.
async function settledUrl(page) {
  await page.waitForFunction(() => {
    const w = window;
    const now = performance.now();
    if (w.__lastHref !== location.href) { w.__lastHref = location.href; w.__hrefSince = now; }
    return now - w.__hrefSince >= 300;
  }, undefined, { polling: 50, timeout: 5000 });
  return page.url();
}
const param = async (page, key) => new URL(await settledUrl(page)).searchParams.get(key);

/** Displayed values have 6 decimals: each is within 5e-7 of the true value. */
function assertRowsSumToOne(w, label = '') {
  assert.ok(w.weights.length > 0, 'weights table has rows');
  w.weights.forEach((row, i) => {
    assert.equal(row.length, w.weights.length, `row ${i} has one weight per token ${label}`);
    for (const v of row) {
      assert.ok(Number.isFinite(v) && v >= 0 && v <= 1, `weight ${v} in [0, 1] (row ${i}) ${label}`);
    }
    const sum = row.reduce((a, b) => a + b, 0);
    const tol = row.length * 1e-6;
    assert.ok(Math.abs(sum - 1) <= tol, `row ${i} sums to ${sum}, not 1 ± ${tol} ${label}`);
    assert.ok(Math.abs(w.shownSums[i] - 1) <= 1e-6, `shown row sum ${w.shownSums[i]} (row ${i}) ${label}`);
  });
}

/** Waits until the weights table's text differs from `before` and returns the new reading. */
async function waitForWeightsChange(page, before) {
  const table = page.locator('figure[data-testid=hm-weights] details.numbers table');
  const beforeText = JSON.stringify(before.raw);
  await page.waitForFunction(
    ({ t }) => {
      const el = document.querySelector('figure[data-testid=hm-weights] details.numbers table');
      if (!el) return false;
      const rows = [...el.querySelectorAll('tbody tr')].map((tr) =>
        [...tr.querySelectorAll('td')].map((td) => td.textContent.trim()));
      return JSON.stringify(rows) !== t;
    },
    { t: beforeText },
    { polling: 50, timeout: 10000 },
  );
  await table.waitFor();
  await waitForPaintsToSettle(page);
  return readWeights(page);
}

async function typeSentence(page, sentence) {
  const input = page.locator('[data-testid=sentence]');
  await input.click();
  await page.keyboard.press('Control+A');
  await page.keyboard.press('Backspace');
  await input.pressSequentially(sentence, { delay: 5 });
}

async function tokenCount(page) {
  const t = await page.locator('.token-count').textContent();
  const m = t.match(/(\d+) tokens?/);
  return m ? Number(m[1]) : NaN;
}

const SENTENCE = 'the quick brown fox jumps over a lazy dog';

test('a. type a sentence, step 5, weights table rows sum to 1', async () => {
  await withPage(async ({ page }) => {
    await gotoQkv(page);
    await typeSentence(page, SENTENCE);
    const words = SENTENCE.split(' ');
    await page.waitForFunction((n) => document.querySelector('.token-count')?.textContent.startsWith(`${n} tokens`), words.length);
    assert.equal(await page.locator('[data-testid=sentence]').inputValue(), SENTENCE, 'input keeps what was typed (spaces included)');
    assert.equal(await param(page, 'text'), SENTENCE, 'URL carries the sentence');
    const chips = await page.locator('ul.chips li.chip:not(.chip-add) input.chip-text').evaluateAll((els) => els.map((e) => e.value));
    assert.deepEqual(chips, words, 'one chip per word');

    await page.locator('button.step[data-step="5"]').click();
    await page.waitForFunction(() => new URL(location.href).searchParams.get('step') === '5');
    assert.equal(await page.locator('button.step[data-step="5"]').getAttribute('aria-pressed'), 'true');
    await page.locator('figure[data-testid=hm-weights] canvas').waitFor();
    await waitForPaintsToSettle(page);
    const shape = await page.locator('figure[data-testid=hm-weights] .shape').textContent();
    assert.match(shape, new RegExp(`^${words.length} × ${words.length}`));

    const w = await readWeights(page);
    assert.equal(w.weights.length, words.length, 'one row per token');
    assert.deepEqual(w.labels, words, 'row labels are the tokens');
    assert.equal(w.header.at(-1), 'row sum', 'extra column is "row sum"');
    assert.deepEqual(w.header.slice(1, -1), words, 'column labels are the tokens');
    for (const row of w.raw) for (const cell of row) assert.match(cell, /^\d\.\d{6}$/, 'six decimals');
    assertRowsSumToOne(w);
  });
});

test('b. d_k by keyboard and scaling toggle change the weights, rows still sum to 1', async () => {
  await withPage(async ({ page }) => {
    await gotoQkv(page, `?step=5&text=${encodeURIComponent(SENTENCE)}`);
    const w0 = await readWeights(page);
    assertRowsSumToOne(w0, '(initial)');
    const dk0 = Number(await page.locator('[data-testid=d-k]').inputValue());
    assert.equal(dk0, 4, 'default d_k');

    const slider = page.locator('input[data-testid=d-k]');
    await slider.focus();
    for (let i = 0; i < 3; i++) await page.keyboard.press('ArrowRight');
    await page.waitForFunction(() => new URL(location.href).searchParams.get('dk') === '7');
    assert.equal(await slider.inputValue(), '7');
    assert.equal((await slider.locator('xpath=following-sibling::output').textContent()).trim(), '7');
    const w1 = await waitForWeightsChange(page, w0);
    assertRowsSumToOne(w1, '(d_k = 7)');
    assert.notDeepEqual(w1.raw, w0.raw);

    const scale = page.locator('input[data-testid=scale]');
    assert.equal(await scale.isChecked(), true);
    await scale.click();
    await page.waitForFunction(() => new URL(location.href).searchParams.get('scale') === '0');
    assert.equal(await scale.isChecked(), false);
    const w2 = await waitForWeightsChange(page, w1);
    assertRowsSumToOne(w2, '(unscaled)');
    assert.equal(await param(page, 'dk'), '7');
    assert.equal(await param(page, 'scale'), '0');
    // Without 1/sqrt(d_k) the logits are sqrt(7) times larger, so softmax is
    // sharper: every row's largest weight grows (or stays at 1).
    w2.weights.forEach((row, i) => {
      assert.ok(Math.max(...row) >= Math.max(...w1.weights[i]) - 1e-6, `row ${i} sharper without scaling`);
    });
    const logits = await page.locator('button.step[data-step="4"]').click().then(() =>
      page.locator('figure[data-testid=hm-logits] .shape').textContent());
    assert.match(logits, /not scaled/);
  });
});

test('c. selecting a query shows a breakdown matching the weights row', async () => {
  await withPage(async ({ page }) => {
    await gotoQkv(page, `?step=5&dk=6&text=${encodeURIComponent(SENTENCE)}`);
    const w = await readWeights(page);
    const words = SENTENCE.split(' ');
    const pick = page.locator('button.token-pick');
    assert.equal(await pick.count(), words.length);
    assert.equal(await page.locator('[data-testid=breakdown]').count(), 0, 'no breakdown before a query is selected');

    const qi = 3; // "fox"
    await pick.nth(qi).click();
    await page.waitForFunction((q) => new URL(location.href).searchParams.get('q') === String(q), qi + 1);
    assert.equal(await pick.nth(qi).getAttribute('aria-pressed'), 'true');
    assert.equal(await page.locator('button.token-pick[aria-pressed="true"]').count(), 1);

    const table = page.locator('section[data-testid=query-focus] table[data-testid=breakdown]');
    await table.waitFor();
    const { header, rows } = await readTable(table);
    assert.deepEqual(header.map((h) => h.split(' ')[0]), ['Key', 'Score', 'Logit', 'Weight']);
    assert.equal(rows.length, words.length, 'one breakdown row per token');
    assert.deepEqual(rows.map((r) => r.label), words);
    // Cells: Score, Logit, Weight (the Key is the row header).
    const bw = rows.map((r) => Number(r.cells[2]));
    const decimals = (rows[0].cells[2].split('.')[1] || '').length;
    assert.ok(decimals >= 2, `weight shown with ${decimals} decimals`);
    const tol = 0.5 * 10 ** -decimals + 1e-6;
    bw.forEach((v, j) => {
      assert.ok(Math.abs(v - w.weights[qi][j]) <= tol,
        `breakdown weight ${v} vs table ${w.weights[qi][j]} (key ${j})`);
    });
    assert.match(await page.locator('section[data-testid=query-focus]').textContent(), /“fox”/);

    // The weights table is unchanged by selecting a query.
    const again = await readWeights(page);
    assert.deepEqual(again.raw, w.raw);

    // Clicking the same token again deselects it.
    await pick.nth(qi).click();
    await page.waitForFunction(() => !new URL(location.href).searchParams.has('q'));
    await table.waitFor({ state: 'detached' });
  });
});

test('d. reload and a fresh page from the copied URL show the same numbers and controls', async () => {
  await withPage(async ({ page, context }) => {
    await gotoQkv(page);
    await typeSentence(page, 'attention is all you need');
    await page.waitForFunction(() => document.querySelector('.token-count')?.textContent.startsWith('5 tokens'));
    await page.locator('button.step[data-step="5"]').click();
    const dk = page.locator('input[data-testid=d-k]');
    await dk.focus();
    await page.keyboard.press('ArrowRight');
    await page.waitForFunction(() => new URL(location.href).searchParams.get('dk') === '5');
    await page.locator('input[data-testid=causal]').click();
    await page.waitForFunction(() => new URL(location.href).searchParams.get('mask') === 'causal');
    const seed = page.locator('input[data-testid=seed]');
    await seed.fill('42');
    await seed.press('Enter');
    await page.waitForFunction(() => new URL(location.href).searchParams.get('seed') === '42');
    await page.locator('button.token-pick').nth(2).click();
    await page.waitForFunction(() => new URL(location.href).searchParams.get('q') === '3');
    await waitForPaintsToSettle(page);

    const snapshot = async (p) => ({
      weights: (await readWeights(p)).raw,
      breakdown: (await readTable(p.locator('table[data-testid=breakdown]'))).rows,
      sentence: await p.locator('[data-testid=sentence]').inputValue(),
      dm: await p.locator('[data-testid=d-model]').inputValue(),
      dk: await p.locator('[data-testid=d-k]').inputValue(),
      heads: await p.locator('[data-testid=heads]').inputValue(),
      temperature: await p.locator('[data-testid=temperature]').inputValue(),
      seed: await p.locator('[data-testid=seed]').inputValue(),
      scale: await p.locator('[data-testid=scale]').isChecked(),
      causal: await p.locator('[data-testid=causal]').isChecked(),
      step: await p.locator('button.step[aria-pressed="true"]').getAttribute('data-step'),
      query: await p.locator('button.token-pick[aria-pressed="true"]').textContent(),
    });
    const original = await snapshot(page);
    assert.equal(original.dk, '5');
    assert.equal(original.seed, '42');
    assert.equal(original.causal, true);
    assert.equal(original.step, '5');
    assert.equal(original.query, 'all');
    // Causal mask: the first token can only attend to itself.
    assert.equal(original.weights[0][0], '1.000000');
    const url = await settledUrl(page);

    await page.reload();
    await waitForApp(page);
    await page.locator('figure[data-testid=hm-weights]').waitFor();
    await waitForPaintsToSettle(page);
    assert.deepEqual(await snapshot(page), original, 'same after reload');

    const fresh = await context.browser().newContext({ viewport: { width: 1280, height: 900 } });
    try {
      const p2 = await fresh.newPage();
      const errs = [];
      p2.on('pageerror', (e) => errs.push(e.message));
      await p2.goto(url);
      await waitForApp(p2);
      await p2.locator('figure[data-testid=hm-weights]').waitFor();
      await waitForPaintsToSettle(p2);
      assert.deepEqual(await snapshot(p2), original, 'same in a fresh browser context');
      assert.deepEqual(errs, []);
    } finally {
      await fresh.close();
    }
  });
});

test('e. deep link with bad values and HTML in the text', async () => {
  await withPage(async ({ page }) => {
    await gotoQkv(page, '?dk=9999&t=abc&text=<b>hi</b> there');
    const notes = page.locator('section.controls ul.notes[role=status]');
    await notes.first().waitFor();
    const text = (await notes.allTextContents()).join('\n');
    assert.match(text, /d_k = 9999 is above the maximum 64; using 64/);
    assert.match(text, /temperature/i);
    assert.match(text, /abc/);
    assert.equal(await page.locator('input[data-testid=d-k]').inputValue(), '64');
    assert.equal(await page.locator('input[data-testid=temperature]').getAttribute('aria-valuetext'), '1');

    const chips = await page.locator('ul.chips li.chip:not(.chip-add) input.chip-text').evaluateAll((els) => els.map((e) => e.value));
    assert.deepEqual(chips, ['<b>hi</b>', 'there']);
    assert.equal(await page.locator('button.token-pick').first().textContent(), '<b>hi</b>');
    assert.equal(await page.locator('main b, body b').count(), 0, 'no <b> element was created');
    assert.equal(await page.locator('[data-testid=sentence]').inputValue(), '<b>hi</b> there');
    // X is drawn for the two tokens.
    assert.match(await page.locator('figure[data-testid=hm-x] .shape').textContent(), /^2 × 8/);
  });
});

test('f. more than 512 tokens: limit message, page stays responsive', async () => {
  await withPage(async ({ page }) => {
    await gotoQkv(page);
    const words = Array.from({ length: 520 }, (_, i) => `w${i + 1}`);
    const input = page.locator('[data-testid=sentence]');
    await input.click();
    await page.keyboard.press('Control+A');
    // Typing the whole text replaces the selection (one insertText per call).
    await input.fill(words.join(' '));
    const limit = page.locator('.token-editor ul.notes');
    await limit.waitFor({ state: 'visible' });
    assert.match(await limit.textContent(), /Your text had 520 tokens and this page takes at most 512/);
    await page.waitForFunction(() => document.querySelector('.token-count')?.textContent.startsWith('512 tokens'));
    // Type a few more characters one by one: still live, still cut.
    await input.press('Control+End');
    await input.pressSequentially('more', { delay: 5 });
    await page.waitForFunction(() => /had 513 tokens/.test(document.querySelector('.token-editor ul.notes')?.textContent ?? ''));
    await waitForPaintsToSettle(page);
    assert.match(await page.locator('figure[data-testid=hm-x] .shape').textContent(), /^512 × 8/);

    const before = await paintCount(page);
    await page.locator('input[data-testid=d-model]').focus();
    await page.keyboard.press('ArrowRight');
    await page.waitForFunction(() => new URL(location.href).searchParams.get('dm') === '9');
    // The long text pushes X below the fold, and charts off screen repaint only when
    // they scroll in: bring it into view and expect a fresh paint.
    await page.locator('figure[data-testid=hm-x] canvas').scrollIntoViewIfNeeded();
    await page.waitForFunction((n) => window.__attnPaint.count > n, before, { timeout: 5000 });
    await waitForPaintsToSettle(page);
    assert.match(await page.locator('figure[data-testid=hm-x] .shape').textContent(), /^512 × 9/);
  });
});

test('g. landing page links to the chapter; unknown paths say "Page not found"', async () => {
  await withPage(async ({ page }) => {
    await page.goto(`${env.base}/`);
    await waitForApp(page);
    await page.locator('article.landing').waitFor();
    const link = page.locator('ol.chapter-list a', { hasText: 'Query, key, value' });
    assert.equal(await link.count(), 1);
    await link.click();
    await page.waitForURL((u) => u.pathname === '/qkv');
    await page.locator('h1', { hasText: 'Query, key, value' }).waitFor();
    await waitForPaintsToSettle(page);
    // The header nav marks the current chapter.
    assert.equal(await page.locator('nav.chapters-nav a[aria-current=page]').textContent(), '3. Query, key, value');
    // Brand link goes back home without a reload.
    await page.locator('a.brand').click();
    await page.locator('article.landing').waitFor();

    for (const bad of ['/no-such-chapter', '/qkv/extra', '/a/b/c?x=1']) {
      await page.goto(`${env.base}${bad}`);
      await waitForApp(page);
      const h1 = page.locator('main h1');
      await h1.waitFor();
      assert.equal(await h1.textContent(), 'Page not found', bad);
      const back = page.locator('article.not-found a', { hasText: 'Query, key, value' });
      assert.equal(await back.count(), 1, `${bad}: a link back to the chapter`);
    }
    await page.locator('article.not-found a', { hasText: 'Query, key, value' }).click();
    await page.waitForURL((u) => u.pathname === '/qkv');
    await waitForPaintsToSettle(page);
  });
});

test('h. keyboard on a heatmap canvas reads out values', async () => {
  await withPage(async ({ page }) => {
    await gotoQkv(page, `?step=5&text=${encodeURIComponent(SENTENCE)}`);
    const w = await readWeights(page);
    const fig = page.locator('figure[data-testid=hm-weights]');
    const readout = fig.locator('p.readout');
    assert.match(await readout.textContent(), /Point at a cell/);
    await fig.locator('canvas').focus();
    await page.waitForFunction(() => /query 1/.test(document.querySelector('figure[data-testid=hm-weights] p.readout').textContent));
    await page.keyboard.press('ArrowRight');
    await page.waitForFunction(() => /key 2/.test(document.querySelector('figure[data-testid=hm-weights] p.readout').textContent));
    const text = await readout.textContent();
    const m = text.match(/^query 1 “the”, key 2 “quick”: (\d\.\d{6})$/);
    assert.ok(m, `readout: ${text}`);
    assert.equal(m[1], w.raw[0][1], 'readout matches the table');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('End');
    await page.waitForFunction(() => /query 2 “quick”, key 9 “dog”/.test(document.querySelector('figure[data-testid=hm-weights] p.readout').textContent));
    assert.ok((await readout.textContent()).endsWith(w.raw[1][8]));
    // Enter selects the focused row as the query.
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => new URL(location.href).searchParams.get('q') === '2');
    // Leaving the chart restores the hint.
    await page.keyboard.press('Tab');
    await page.waitForFunction(() => /Point at a cell/.test(document.querySelector('figure[data-testid=hm-weights] p.readout').textContent));
    await waitForPaintsToSettle(page);
  });
});

test('h2. Tab reaches a heatmap canvas from the step buttons', async () => {
  await withPage(async ({ page }) => {
    await gotoQkv(page, '?step=3');
    await page.locator('button.step[data-step="3"]').focus();
    // Tab through the stepper and the query picker until the canvas has focus.
    let reached = false;
    for (let i = 0; i < 40 && !reached; i++) {
      await page.keyboard.press('Tab');
      reached = await page.evaluate(() => document.activeElement?.closest('figure[data-testid=hm-scores]') != null
        && document.activeElement.tagName === 'CANVAS');
    }
    assert.ok(reached, 'Tab reaches the scores canvas');
    await page.keyboard.press('ArrowRight');
    const readout = page.locator('figure[data-testid=hm-scores] p.readout');
    await page.waitForFunction(() => /: -?\d+\.\d{6}$/.test(document.querySelector('figure[data-testid=hm-scores] p.readout').textContent));
    assert.match(await readout.textContent(), /^query 1 “The”, key 2 “animal”: -?\d+\.\d{6}$/);
    await waitForPaintsToSettle(page);
  });
});

test('i. theme buttons toggle classes on <html> and persist', async () => {
  await withPage(async ({ page }) => {
    await gotoQkv(page, '?step=5');
    const html = page.locator('html');
    const classes = async () => (await html.getAttribute('class')) ?? '';
    assert.doesNotMatch(await classes(), /\bdark\b/);
    assert.doesNotMatch(await classes(), /\blarge\b/);
    const dark = page.getByRole('button', { name: 'Dark theme' });
    const large = page.getByRole('button', { name: 'Large type' });

    await dark.click();
    await page.waitForFunction(() => document.documentElement.classList.contains('dark'));
    assert.equal(await dark.getAttribute('aria-pressed'), 'true');
    assert.doesNotMatch(await classes(), /\blarge\b/);
    const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    assert.notEqual(bg, 'rgb(255, 255, 255)', 'page background is dark');

    const before = await paintCount(page);
    await large.click();
    await page.waitForFunction(() => document.documentElement.classList.contains('large'));
    assert.equal(await large.getAttribute('aria-pressed'), 'true');
    assert.match(await classes(), /\bdark\b/);
    await page.waitForFunction((n) => window.__attnPaint.count > n, before);
    await waitForPaintsToSettle(page);

    // Preferences survive a reload (localStorage).
    await page.reload();
    await waitForApp(page);
    await page.waitForFunction(() => document.documentElement.classList.contains('dark')
      && document.documentElement.classList.contains('large'));
    await waitForPaintsToSettle(page);

    await dark.click();
    await page.waitForFunction(() => !document.documentElement.classList.contains('dark'));
    assert.equal(await dark.getAttribute('aria-pressed'), 'false');
    await large.click();
    await page.waitForFunction(() => !document.documentElement.classList.contains('large'));
    assert.equal(await large.getAttribute('aria-pressed'), 'false');
    await waitForPaintsToSettle(page);
  });
});

test('j. chips: remove a token, edit a token, add a token', async () => {
  await withPage(async ({ page }) => {
    await gotoQkv(page, `?step=5&text=${encodeURIComponent('one two three')}`);
    await page.locator('button.chip-remove').nth(1).click();
    await page.waitForFunction(() => new URL(location.href).searchParams.get('text') === 'one three');
    const chip = page.locator('ul.chips li.chip:not(.chip-add) input.chip-text').nth(1);
    await chip.fill('tres');
    await chip.press('Enter');
    await chip.blur();
    await page.waitForFunction(() => new URL(location.href).searchParams.get('text') === 'one tres');
    const add = page.getByRole('textbox', { name: 'New token' });
    await add.fill('four');
    await add.press('Enter');
    await page.waitForFunction(() => new URL(location.href).searchParams.get('text') === 'one tres four');
    assert.equal(await tokenCount(page), 3);
    await waitForPaintsToSettle(page);
    const w = await readWeights(page);
    assert.deepEqual(w.labels, ['one', 'tres', 'four']);
    assertRowsSumToOne(w);
  });
});

/** Colour of the top-left pixel of the weights canvas (its background). */
const canvasCorner = (page) => page.evaluate(() => {
  const c = document.querySelector('figure[data-testid=hm-weights] canvas');
  return [...c.getContext('2d').getImageData(1, 1, 1, 1).data];
});

test('i2. the dark theme repaints the canvases dark', async () => {
  await withPage(async ({ page }) => {
    await gotoQkv(page, '?step=5');
    assert.deepEqual(await canvasCorner(page), [255, 255, 255, 255]);
    await page.getByRole('button', { name: 'Dark theme' }).click();
    await page.waitForFunction(() => document.documentElement.classList.contains('dark'));
    // Give the app up to 3 s to repaint with the dark chart theme.
    await page.waitForFunction(() => {
      const c = document.querySelector('figure[data-testid=hm-weights] canvas');
      const d = c.getContext('2d').getImageData(1, 1, 1, 1).data;
      return d[0] < 128;
    }, null, { timeout: 3000, polling: 50 });
    await waitForPaintsToSettle(page);
  });
});

test('k. a new seed repaints the logits heatmap', async () => {
  await withPage(async ({ page }) => {
    await gotoQkv(page, '?step=4');
    const hash = () => page.evaluate(() => {
      const c = document.querySelector('figure[data-testid=hm-logits] canvas');
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let h = 0;
      for (let i = 0; i < d.length; i += 3) h = (h * 31 + d[i]) | 0;
      return h;
    });
    const table = await openNumbers(page, 'hm-logits');
    const before = { pixels: await hash(), numbers: (await readTable(table)).rows };
    const seed = page.locator('input[data-testid=seed]');
    await seed.fill('8');
    await seed.press('Enter');
    await page.waitForFunction(() => new URL(location.href).searchParams.get('seed') === '8');
    // The numbers change at once...
    await page.waitForFunction((t) => document.querySelector('figure[data-testid=hm-logits] table tbody').textContent !== t,
      before.numbers.map((r) => r.label + r.cells.join('')).join(''));
    // ...and so must the picture.
    await page.waitForFunction((h0) => {
      const c = document.querySelector('figure[data-testid=hm-logits] canvas');
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let h = 0;
      for (let i = 0; i < d.length; i += 3) h = (h * 31 + d[i]) | 0;
      return h !== h0;
    }, before.pixels, { timeout: 3000, polling: 50 });
  });
});
