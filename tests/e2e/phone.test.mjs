// Phones and tablets (issue 15, part 4): no page-level sideways scrolling on
// any route at 390 x 844 and 768 x 1024 (wide matrices, tables and charts
// scroll inside their own box), controls large enough to touch, a slider
// dragged and a heatmap cell tapped with a finger.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { start, withPage as withPageOf, settle, markShown, openNumbers, readTable, waitForPaintsToSettle, ROUTES, THEMES } from './helpers.mjs';

let env;
before(async () => { env = await start(); });
after(async () => { if (env) await env.stop(); });

const withPage = (fn, opts) => withPageOf(env.browser, fn, opts);
const PHONE = { width: 390, height: 844 };
const TABLET = { width: 768, height: 1024 };
const touch = { hasTouch: true, isMobile: true, deviceScaleFactor: 2 };

/** The page's sideways overflow and the elements that stick out furthest. */
// On a phone a page wider than the screen is zoomed out (innerWidth grows
// with it), so the screen's width is passed in.
function overflow(vw) {
  const culprits = [];
  for (const el of document.querySelectorAll('main *, header *, footer *')) {
    const r = el.getBoundingClientRect();
    if (r.right > vw + 1 && r.width > 0) {
      // Report the outermost element that sticks out (not its children).
      if (!culprits.some((c) => c.el.contains(el))) culprits.push({ el, right: Math.round(r.right) });
    }
  }
  return {
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
    screen: vw,
    culprits: culprits.slice(0, 6).map((c) => `${c.el.tagName.toLowerCase()}.${String(c.el.className).split(' ')[0]}${c.el.dataset.testid ? `[${c.el.dataset.testid}]` : ''} → ${c.right}px`),
  };
}

for (const viewport of [PHONE, TABLET]) {
  test(`no page-level horizontal scrolling on any route at ${viewport.width} x ${viewport.height}`, async () => {
    const failures = [];
    const measured = [];
    await withPage(async ({ page }) => {
      for (const route of ROUTES) {
        await settle(page, `${env.base}${route}`);
        const o = await page.evaluate(overflow, viewport.width);
        measured.push(`${route} ${o.scrollWidth}`);
        if (o.scrollWidth > viewport.width + 1 || o.innerWidth > viewport.width + 1) {
          failures.push(`${route}: scrollWidth ${o.scrollWidth}, innerWidth ${o.innerWidth} > ${viewport.width}: ${o.culprits.join(', ')}`);
        }
      }
    }, { viewport, context: touch });
    console.log(`# ${viewport.width}px: ${measured.join(', ')}`);
    assert.deepEqual(failures, [], failures.join('\n'));
  });
}

/** Buttons and form controls smaller than 24 x 24 CSS pixels. */
function smallTargets() {
  const out = [];
  for (const el of document.querySelectorAll('[data-shown]')) {
    const r = el.getBoundingClientRect();
    if (r.width < 24 || r.height < 24) {
      const name = (el.getAttribute('aria-label') || el.textContent || el.type || '').trim().slice(0, 30);
      out.push(`${el.tagName.toLowerCase()}.${String(el.className).split(' ')[0]} "${name}" ${r.width.toFixed(0)}x${r.height.toFixed(0)}`);
    }
  }
  return out;
}

test('at 390 px every button and form control is at least 24 x 24 CSS px', async () => {
  const failures = [];
  await withPage(async ({ page }) => {
    for (const route of ROUTES) {
      await settle(page, `${env.base}${route}`, 800);
      await markShown(page, 'button, input, select, textarea, summary, [role=button]');
      const small = await page.evaluate(smallTargets);
      if (small.length) failures.push(`${route} (${small.length}): ${[...new Set(small)].slice(0, 10).join('; ')}`);
    }
  }, { viewport: PHONE, context: touch });
  assert.deepEqual(failures, [], failures.join('\n'));
});

/** Drags from one point to another with one finger (CDP touch events). */
async function touchDrag(page, from, to, steps = 8) {
  const cdp = await page.context().newCDPSession(page);
  const point = (p) => [{ x: p.x, y: p.y, id: 1, radiusX: 4, radiusY: 4, force: 1 }];
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: point(from) });
  for (let i = 1; i <= steps; i++) {
    const p = { x: from.x + ((to.x - from.x) * i) / steps, y: from.y + ((to.y - from.y) * i) / steps };
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchMove', touchPoints: point(p) });
  }
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
  await cdp.detach();
}

test('at 390 px "Add to lesson" is a bar along the bottom edge, and the end of the page scrolls clear of it', async () => {
  await withPage(async ({ page }) => {
    await settle(page, `${env.base}/scaling?dk=4`, 500);
    const bar = page.locator('.lesson-fab');
    const box = await bar.boundingBox();
    assert.ok(box.x <= 1 && box.width >= PHONE.width - 2, `it spans the screen: ${JSON.stringify(box)}`);
    assert.ok(Math.abs(box.y + box.height - PHONE.height) <= 1, `it sits on the bottom edge: ${JSON.stringify(box)}`);
    const bg = await bar.evaluate((el) => getComputedStyle(el).backgroundColor);
    assert.ok(!/rgba\(0, 0, 0, 0\)|transparent/.test(bg), `it has a background, so text does not show through: ${bg}`);
    await page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
    await page.waitForTimeout(200);
    const last = await page.locator('.site-foot p').boundingBox();
    const barNow = await bar.boundingBox();
    assert.ok(last.y + last.height <= barNow.y, `the footer's text ends above the bar: ${JSON.stringify({ last, barNow })}`);
    await bar.getByRole('button', { name: 'Add to lesson' }).click();
    await page.locator('[data-testid=lesson-toast]').waitFor({ timeout: 15000 });
  }, { viewport: PHONE, context: touch });
});

test('touch: dragging the d_k slider with a finger changes the link', async () => {
  await withPage(async ({ page }) => {
    await settle(page, `${env.base}/scaling?dk=4`, 500);
    const slider = page.locator('input[data-testid=d-k]').first();
    await slider.scrollIntoViewIfNeeded();
    const before = await slider.inputValue();
    const box = await slider.boundingBox();
    assert.ok(box.x >= 0 && box.x + box.width <= PHONE.width + 1, `the slider fits the screen: ${JSON.stringify(box)}`);
    const y = box.y + box.height / 2;
    await touchDrag(page, { x: box.x + 6, y }, { x: box.x + box.width * 0.8, y });
    await page.waitForFunction(() => new URL(location.href).searchParams.get('dk') !== null
      && new URL(location.href).searchParams.get('dk') !== '4', null, { timeout: 5000 });
    const dk = Number(await page.evaluate(() => new URL(location.href).searchParams.get('dk')));
    assert.notEqual(await slider.inputValue(), before, 'the slider moved');
    assert.ok(dk > 4, `d_k grew with a drag to the right: ${dk}`);
  }, { viewport: PHONE, context: touch });
});

test('touch: on a phone, a tap on Start trains in the page', async () => {
  await withPage(async ({ page }) => {
    await settle(page, `${env.base}/scaling`, 300);
    const toggle = page.locator('[data-testid=train-toggle]');
    await toggle.scrollIntoViewIfNeeded();
    await toggle.tap();
    await page.waitForFunction(() => Number(document.querySelector('[data-testid=train-step]')?.textContent.match(/Step (\d+)/)?.[1] ?? 0) >= 20, null, { timeout: 60000 });
    await toggle.tap();
    const fits = await page.evaluate(() => document.documentElement.scrollWidth <= 391);
    assert.ok(fits, 'still no page-level overflow while training');
  }, { viewport: PHONE, context: touch });
});

test('touch: tapping a heatmap cell reads out that cell’s value', async () => {
  await withPage(async ({ page }) => {
    await settle(page, `${env.base}/qkv?step=5`, 800);
    const fig = page.locator('figure[data-testid=hm-weights]');
    const canvas = fig.locator('canvas');
    // A canvas far off screen is painted (and sized) once it comes near.
    await canvas.scrollIntoViewIfNeeded();
    await waitForPaintsToSettle(page, { needPaint: false });
    // The weights do not change when a tap selects a query row.
    const { rows } = await readTable(await openNumbers(page, 'hm-weights'));
    const seen = new Set();
    // Two taps in different cells: each reads out its own cell.
    for (const [fx, fy] of [[0.8, 0.65], [0.55, 0.4]]) {
      await canvas.scrollIntoViewIfNeeded();
      const box = await canvas.boundingBox();
      const right = Math.min(box.x + box.width, PHONE.width);
      const before = await fig.locator('.readout').textContent();
      await page.touchscreen.tap(box.x + (right - box.x) * fx, box.y + box.height * fy);
      await page.waitForFunction((b) => document.querySelector('figure[data-testid=hm-weights] .readout').textContent !== b,
        before, { timeout: 3000 }).catch(() => {});
      const text = await fig.locator('.readout').textContent();
      // The weights are an attention matrix: rows are queries, columns keys.
      const m = text.match(/^query (\d+) “(.*)”, key (\d+) “(.*)”: (-?\d+\.\d+)$/);
      assert.ok(m, `the readout names a cell after a tap: ${text}`);
      const [r, c, value] = [Number(m[1]), Number(m[3]), m[5]];
      seen.add(`${r},${c}`);
      assert.equal(rows[r - 1].cells[c - 1], value, `the readout's value is the table's row ${r}, column ${c}`);
    }
    assert.equal(seen.size, 2, 'the two taps read out two different cells');
  }, { viewport: PHONE, context: touch });
});

test('screenshots of /qkv and /scaling at 390 x 844 (light and dark)', async () => {
  const dir = '/tmp/a11y-shots';
  fs.mkdirSync(dir, { recursive: true });
  for (const theme of ['light', 'dark']) {
    await withPage(async ({ page }) => {
      for (const route of ['/qkv', '/scaling']) {
        await settle(page, `${env.base}${route}`);
        const file = `${dir}/${route.slice(1)}-${theme}.png`;
        await page.screenshot({ path: file, fullPage: true });
        assert.ok(fs.statSync(file).size > 10000, `${file} was written`);
      }
    }, { viewport: PHONE, context: touch, storage: THEMES[theme] });
  }
});
