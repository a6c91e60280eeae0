// End-to-end tests of chapter 8 (Position) in headless Chromium.
// Every test fails on any console error or uncaught page error.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { start, withPage as withPageOf, waitForApp, waitForPaintsToSettle, openNumbers, readTable } from './helpers.mjs';

let env;
before(async () => { env = await start(); });
after(async () => { if (env) await env.stop(); });

const withPage = (fn, opts) => withPageOf(env.browser, fn, opts);

async function open(page, query = '') {
  await page.goto(`${env.base}/position${query}`);
  await waitForApp(page);
  await page.locator('[data-testid=perm-verdict]').waitFor();
  await waitForPaintsToSettle(page);
}

/** The output rows of a heatmap's Numbers table, keyed by label. */
async function outputRows(page, testId) {
  const { rows } = await readTable(await openNumbers(page, testId));
  return rows.map((r) => ({ label: r.label, key: r.cells.join(' ') }));
}

const asSet = (rows) => rows.map((r) => `${r.label}: ${r.key}`).sort();

test('reordering with position off keeps the set of output rows; turning position on changes it', async () => {
  await withPage(async ({ page }) => {
    await open(page, '?text=dog+bites+man&perm=3,2,1&pos=none');
    const verdict = () => page.locator('[data-testid=perm-verdict]').textContent();
    assert.match(await verdict(), /position off/);
    assert.match(await verdict(), /original rows, moved/);
    const before = await outputRows(page, 'perm-original');
    const after = await outputRows(page, 'perm-reordered');
    assert.deepEqual(after.map((r) => r.label), ['man', 'bites', 'dog']);
    assert.deepEqual(asSet(after), asSet(before), 'same rows, new order');
    // The mapping table says where each row came from, with differences ~0.
    const { rows: map } = await readTable(page.locator('table[data-testid=perm-mapping]'));
    assert.deepEqual(map.map((r) => r.cells[2]), ['3', '2', '1']);
    for (const r of map) assert.ok(Number(r.cells[3]) < 1e-9 || r.cells[3] === '0 exactly', r.cells.join(' '));

    // Position on (sinusoidal): the rows themselves change.
    const old = await verdict();
    await page.locator('[data-testid=pos-sin]').click();
    await page.waitForFunction((t) => document.querySelector('[data-testid=perm-verdict]').textContent !== t, old);
    assert.match(await verdict(), /position on/);
    assert.match(await verdict(), /changed, not only their order/);
    await waitForPaintsToSettle(page);
    const onBefore = await outputRows(page, 'perm-original');
    const onAfter = await outputRows(page, 'perm-reordered');
    assert.notDeepEqual(asSet(onAfter), asSet(onBefore));
    await page.waitForFunction(() => new URL(location.href).searchParams.get('pos') === 'sin');
  });
});

test('the learner swaps two words by pressing them, and ALiBi sees the change a reversal hides', async () => {
  await withPage(async ({ page }) => {
    await open(page, '?text=dog+bites+man&pos=alibi');
    // A reversal keeps every distance: ALiBi cannot see it.
    assert.match(await page.locator('[data-testid=perm-verdict]').textContent(), /keeps every distance/);
    const old = await page.locator('[data-testid=perm-verdict]').textContent();
    await page.locator('[data-testid=order-1]').click();
    await page.locator('[data-testid=order-2]').click();
    await page.waitForFunction(() => new URL(location.href).searchParams.get('perm') === '2,3,1');
    await page.waitForFunction((t) => document.querySelector('[data-testid=perm-verdict]').textContent !== t, old);
    assert.match(await page.locator('[data-testid=perm-verdict]').textContent(), /changed, not only their order/);
    assert.deepEqual(
      await page.locator('[data-testid=order] button').allTextContents(),
      ['bites', 'man', 'dog'],
    );
  });
});

test('typing a longer sentence with HTML keeps it text and resets the order to reversed', async () => {
  await withPage(async ({ page }) => {
    await open(page);
    const input = page.locator('input[data-testid=sentence]');
    await input.fill('the <b>cat</b> sat on 猫');
    await page.waitForFunction(() => new URL(location.href).searchParams.get('perm') === '5,4,3,2,1');
    assert.deepEqual(
      await page.locator('[data-testid=order] button').allTextContents(),
      ['猫', 'on', 'sat', '<b>cat</b>', 'the'],
    );
    assert.equal(await page.locator('b').count(), 0, 'no HTML was injected');
    // An empty sentence is a message, not a crash.
    await input.fill('   ');
    await page.waitForFunction(() => document.querySelector('[data-testid=perm-verdict]').textContent.includes('at least one token'));
  });
});

test('garbage in the link is clamped with notes and the page still works', async () => {
  await withPage(async ({ page }) => {
    await open(page, '?perm=9,9&pos=%3Cimg%3E&sn=100000&sd=7&rd=99&ah=-4&steps=1&k=abc');
    const notes = await page.locator('.notes li').allTextContents();
    assert.ok(notes.length >= 6, notes.join('\n'));
    assert.ok(notes.some((n) => n.includes('not a rearrangement')));
    assert.match(await page.locator('[data-testid=perm-verdict]').textContent(), /position off/);
  });
});

test('sinusoidal: 512 × 512 paints, and the dot product depends only on the offset', async () => {
  await withPage(async ({ page }) => {
    await open(page, '?sn=512&sd=512&p=100');
    const fig = page.locator('figure[data-testid=sin-image]');
    await fig.scrollIntoViewIfNeeded();
    await waitForPaintsToSettle(page);
    const note = await page.locator('[data-testid=sin-offset-note]').textContent();
    const m = note.match(/starts at ([\d.]+) .* differ by at most (\S+)/);
    assert.ok(m, note);
    assert.equal(Number(m[1]), 256);
    assert.ok(m[2] === '0' || Number(m[2].replace(/:$/, '')) < 1e-6, note);
    // Wavelengths: pair 0 turns every 2π positions.
    await page.locator('details:has([data-testid=wavelengths]) summary').click();
    const { rows } = await readTable(page.locator('table[data-testid=wavelengths]'));
    assert.equal(rows.length, 256);
    assert.equal(rows[0].cells[2], '6.28');
    // The numbers under the image match the formula: PE(1, 0) = sin 1.
    const vals = await readTable(await openNumbers(page, 'sin-image'));
    assert.equal(vals.rows[1].cells[1], Math.sin(1).toFixed(4));
  });
});

test('RoPE: moving both positions keeps the score, changing the offset changes it', async () => {
  await withPage(async ({ page }) => {
    await open(page, '?rm=7&rn=3&shift=0');
    const score = async () => {
      const t = await page.locator('[data-testid=rope-score]').textContent();
      const m = t.match(/Score at query (\d+), key (\d+): (-?[\d.]+)\. Both moved by (\d+) \(query \d+, key \d+\): (-?[\d.]+)\./);
      assert.ok(m, t);
      return { text: t, at: Number(m[3]), shifted: Number(m[5]) };
    };
    const a = await score();
    assert.equal(a.at, a.shifted);
    const slider = page.locator('input[data-testid=rope-shift]');
    await slider.focus();
    for (let i = 0; i < 25; i++) await page.keyboard.press('ArrowRight');
    await page.waitForFunction(() => new URL(location.href).searchParams.get('shift') === '25');
    const b = await score();
    assert.match(b.text, /Both moved by 25 \(query 32, key 28\)/);
    assert.equal(b.shifted, a.at, 'same offset, same score');
    // Change the offset: the key moves one place.
    await page.locator('input[data-testid=rope-n]').focus();
    await page.keyboard.press('ArrowRight');
    await page.waitForFunction(() => new URL(location.href).searchParams.get('rn') === '4');
    const c = await score();
    assert.notEqual(c.at, a.at);
    assert.equal(c.at, c.shifted);
    // Animate the shift: it keeps growing, and the score never moves.
    await page.locator('[data-testid=rope-animate]').click();
    await page.waitForFunction(() => Number(new URL(location.href).searchParams.get('shift')) >= 40, null, { timeout: 20000 });
    await page.locator('[data-testid=rope-animate]').click();
    const d = await score();
    assert.equal(d.shifted, c.at);
    const pairs = await readTable(await openNumbers(page, 'rope-pairs-chart'));
    assert.equal(pairs.rows.length, 4);
    const sum = pairs.rows.reduce((acc, r) => acc + Number(r.cells[4]), 0);
    assert.ok(Math.abs(sum - d.shifted) < 1e-5, `pair shares add up to the score: ${sum} vs ${d.shifted}`);
  });
});

test('ALiBi: the steepest head looks closer, and causal masks the future', async () => {
  await withPage(async ({ page }) => {
    await open(page, '?ah=8&causal=1');
    const fig = page.locator('figure[data-testid=alibi-grid]');
    await fig.scrollIntoViewIfNeeded();
    await waitForPaintsToSettle(page);
    const { rows } = await readTable(await openNumbers(page, 'alibi-grid'));
    assert.equal(rows.length, 8);
    assert.deepEqual(rows.slice(0, 3).map((r) => r.cells[1]), ['2^-1 = 0.5', '2^-2 = 0.25', '2^-3 = 0.125']);
    const [without, withAlibi] = [Number(rows[0].cells[2]), Number(rows[0].cells[3])];
    assert.ok(withAlibi < without, `head 1: ${withAlibi} < ${without}`);
    const bias = await readTable(await openNumbers(page, 'alibi-bias'));
    assert.equal(bias.rows[0].cells[1], 'masked');
    assert.equal(bias.rows[2].cells[0], '-1.000000');
    await page.locator('input[data-testid=alibi-causal]').click();
    await page.waitForFunction(() => new URL(location.href).searchParams.get('causal') === '0');
    await waitForPaintsToSettle(page);
    const open2 = await readTable(await openNumbers(page, 'alibi-bias'));
    assert.equal(open2.rows[0].cells[1], '-0.500000');
  });
});

test('the experiment trains five models in the browser and fills the accuracy table', async () => {
  await withPage(async ({ page }) => {
    await open(page, '?steps=40&k=2');
    const button = page.locator('[data-testid=exp-toggle]');
    await button.scrollIntoViewIfNeeded();
    await button.click();
    await page.waitForFunction(
      () => document.querySelector('[data-testid=exp-summary]').textContent.startsWith('Done.'),
      null,
      { timeout: 120000 },
    );
    assert.match(await page.locator('[data-testid=exp-step]').textContent(), /Step 40 of 40/);
    const { header, rows } = await readTable(await openNumbers(page, 'exp-accuracy'));
    assert.equal(header.length, 8);
    assert.deepEqual(rows.map((r) => r.cells[0]), ['none', 'learned absolute', 'sinusoidal', 'RoPE', 'ALiBi']);
    for (const r of rows) {
      for (const c of r.cells.slice(1)) assert.match(c, /^\d+\.\d%$/, r.cells.join(' '));
    }
    // The by-position chart of section 3 filled in too.
    const bp = await readTable(await openNumbers(page, 'by-position'));
    assert.equal(bp.rows.length, 64);
    assert.equal(bp.rows[0].cells[1], '—', 'k = 2: position 0 has no target');
    assert.match(bp.rows[10].cells[1], /^\d\.\d{3}$/);
    // The learned table as used: 64 rows of 32 numbers, rows from L = 16 on repeat row 15.
    const lt = await readTable(await openNumbers(page, 'learned-table'));
    assert.equal(lt.rows.length, 64);
    assert.equal(lt.rows[0].cells.length, 33);
    assert.deepEqual(lt.rows[40].cells.slice(1), lt.rows[15].cells.slice(1));
    assert.notDeepEqual(lt.rows[14].cells.slice(1), lt.rows[15].cells.slice(1));
  });
});
