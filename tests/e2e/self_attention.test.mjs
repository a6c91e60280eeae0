// End-to-end tests of chapter 5 (Self-attention) in headless Chromium, on the
// shipped trained model. Every test fails on any console error or uncaught
// page error.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { start, withPage as withPageOf, waitForApp, waitForPaintsToSettle, openNumbers, readTable } from './helpers.mjs';

let env;
before(async () => { env = await start(); });
after(async () => { if (env) await env.stop(); });
const withPage = (fn, opts) => withPageOf(env.browser, fn, opts);

async function open(page, query = '') {
  await page.goto(`${env.base}/self-attention${query}`);
  await waitForApp(page);
  await page.locator('[data-testid=sentence]').waitFor();
}

/** The first answer on screen: { word, confidence } (waits for the model). */
async function answer(page) {
  const li = page.locator('[data-testid=answer]').first();
  await li.waitFor();
  return {
    word: (await li.locator('.best').textContent()).trim(),
    confidence: Number((await li.locator('.confidence').textContent()).match(/([\d.]+)%/)[1]),
  };
}

/** "layer 2: “animal” (0.53)" from the most-attended line. */
async function mostAttended(page, layer) {
  const t = await page.locator('[data-testid=most-attended]').textContent();
  const m = t.match(new RegExp(`layer ${layer}: “([^”]+)” \\(([\\d.]+)\\)`));
  assert.ok(m, t);
  return { word: m[1], weight: Number(m[2]) };
}

test('swapping “tired” for “wide” flips the answer and where “it” looks', async () => {
  await withPage(async ({ page }) => {
    await open(page);
    const tired = await answer(page);
    assert.equal(tired.word, 'animal');
    assert.ok(tired.confidence > 90, `confidence ${tired.confidence}`);
    assert.equal((await mostAttended(page, 2)).word, 'animal');
    await page.locator('[data-testid=swap]').click();
    await page.waitForFunction(() => document.querySelector('[data-testid=answer] .best')?.textContent.trim() === 'street');
    assert.equal((await mostAttended(page, 2)).word, 'street');
    await page.waitForFunction(() => (new URL(location.href).searchParams.get('text') || '').endsWith('too wide'));
    // The line diagrams' numbers: "it"'s row in every head sums to 1 and the
    // largest weight of the most focused layer-2 head is on "street".
    await waitForPaintsToSettle(page);
    let best = { weight: 0, word: '' };
    for (let h = 1; h <= 4; h++) {
      const { rows } = await readTable(await openNumbers(page, `lines-2-${h}`));
      assert.equal(rows.length, 11);
      const ws = rows.map((r) => Number(r.cells[1]));
      const sum = ws.reduce((a, b) => a + b, 0);
      assert.ok(Math.abs(sum - 1) < 11 * 5e-5, `head ${h} row sums to ${sum}`);
      const j = ws.indexOf(Math.max(...ws));
      if (ws[j] > best.weight) best = { weight: ws[j], word: rows[j].cells[0] };
    }
    assert.equal(best.word, 'street');
  });
});

test('typing an agreement sentence asks for the verb; unknown words are flagged; reload restores', async () => {
  await withPage(async ({ page }) => {
    await open(page);
    await answer(page);
    const input = page.locator('input[data-testid=sentence]');
    await input.fill('The keys to the <b>cabinet</b> are on the shelf');
    await page.waitForFunction(() => document.querySelector('[data-testid=answer] .best')?.textContent.trim() === 'are');
    const unknown = page.locator('[data-testid=words] button.unknown');
    assert.equal(await unknown.count(), 1);
    assert.equal((await unknown.textContent()).trim(), '<b>cabinet</b> (unknown)');
    assert.equal(await page.locator('[data-testid=words] b').count(), 0, 'HTML is shown as text');
    // Select "keys" (word 2): the URL records it, and a reload shows the same view.
    await page.locator('[data-testid=words] button', { hasText: /^keys$/ }).click();
    await page.waitForFunction(() => new URL(location.href).searchParams.get('w') === '2');
    await page.locator('[data-testid=layer-1]').click();
    await page.waitForFunction(() => new URL(location.href).searchParams.get('layer') === '1');
    await page.waitForTimeout(300); // URL writes are throttled
    const url = page.url();
    const before = await page.locator('[data-testid=most-attended]').textContent();
    await page.goto(url);
    await waitForApp(page);
    await page.locator('[data-testid=answer]').first().waitFor();
    assert.equal(await page.locator('[data-testid=most-attended]').textContent(), before);
    assert.ok(before.startsWith('“keys” attends most to'), before);
    assert.equal(await page.locator('[data-testid=layer-1]').getAttribute('aria-pressed'), 'true');
  });
});

test('a bad link is clamped with notes, and an empty sentence asks for words', async () => {
  await withPage(async ({ page }) => {
    await open(page, '?w=99&layer=%3Cscript%3E');
    const notes = await page.locator('.notes').allTextContents();
    assert.ok(notes.some((n) => n.includes('selected word = 99')), notes.join('|'));
    assert.ok(notes.some((n) => n.includes('layer')), notes.join('|'));
    await answer(page);
    await page.locator('input[data-testid=sentence]').fill('   ');
    await page.locator('text=Type a sentence: the model needs at least one word').waitFor();
    assert.equal(await page.locator('[data-testid=answer]').count(), 0);
  });
});

test('retraining in the browser measures progress and can go back to the shipped weights', async () => {
  await withPage(async ({ page }) => {
    await open(page);
    await answer(page);
    await page.locator('[data-testid=retrain-toggle]').click();
    // Random weights first: the answer is no longer the shipped model's.
    await page.waitForFunction(() => /Step [1-9]\d* of 1500/.test(document.querySelector('[data-testid=retrain-progress]').textContent), null, { timeout: 60000 });
    const text = await page.locator('[data-testid=retrain-progress]').textContent();
    const m = text.match(/held-out accuracy (\d+)%.*training loss ([\d.]+).* (\d+) steps\/s/);
    assert.ok(m, text);
    assert.ok(Number(m[2]) > 0, text);
    await page.locator('[data-testid=retrain-toggle]').click(); // pause
    const { rows } = await readTable(await openNumbers(page, 'retrain-chart'));
    assert.ok(rows.length >= 2 && rows[0].cells[0] === '0', JSON.stringify(rows));
    await page.locator('[data-testid=retrain-reset]').click();
    await page.waitForFunction(() => document.querySelector('[data-testid=answer] .best')?.textContent.trim() === 'animal');
    assert.equal((await answer(page)).confidence > 90, true);
  });
});
