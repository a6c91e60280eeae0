// The export menu under every chart and heatmap (src/widgets/export.rs):
// SVG (parses, text as <text>, the link in <desc>), PNG at 2x and 3x (decoded
// size from the IHDR chunk) and CSV (the numbers the page's table shows),
// on a heatmap of /qkv and a line chart of /scaling.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import {
  start, withPage as withPageOf, waitForApp, waitForPaintsToSettle, readTable, readWeights,
} from './helpers.mjs';

let env;
before(async () => { env = await start(); });
after(async () => { if (env) await env.stop(); });
const withPage = (fn, opts) => withPageOf(env.browser, fn, opts);

/** Clicks the export button `which` (svg, png2, png3, csv) of figure `testId`; returns the download. */
async function exportFile(page, testId, which) {
  const fig = page.locator(`figure[data-testid="${testId}"]`);
  const menu = fig.locator('details.export');
  if (!(await menu.evaluate((d) => d.open))) await menu.locator('summary').click();
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    menu.locator(`[data-export=${which}]`).click(),
  ]);
  const body = fs.readFileSync(await download.path());
  return { name: download.suggestedFilename(), body };
}

/** Parses `svg` with the page's DOMParser: parse error, title, desc, texts. */
async function parseSvg(page, svg) {
  return page.evaluate((s) => {
    const doc = new DOMParser().parseFromString(s, 'image/svg+xml');
    return {
      error: doc.querySelector('parsererror')?.textContent ?? null,
      root: doc.documentElement.nodeName,
      title: doc.querySelector('svg > title')?.textContent ?? null,
      desc: doc.querySelector('svg > desc')?.textContent ?? null,
      texts: [...doc.querySelectorAll('text')].map((t) => t.textContent.trim()),
    };
  }, svg);
}

/** Width and height from a PNG's IHDR chunk (after checking the signature). */
function pngSize(buf) {
  assert.deepEqual([...buf.subarray(0, 8)], [137, 80, 78, 71, 13, 10, 26, 10], 'PNG signature');
  assert.equal(buf.subarray(12, 16).toString('latin1'), 'IHDR');
  return { width: buf.readUInt32BE(16), height: buf.readUInt32BE(20) };
}

/** A small CSV reader (quoted fields, doubled quotes); `#` lines are kept apart. */
function parseCsv(text) {
  const comments = [];
  const rows = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    if (line.startsWith('#')) { comments.push(line); continue; }
    const cells = [];
    let cur = '';
    let quoted = false;
    for (let i = 0; i < line.length; i++) {
      const ch = line[i];
      if (quoted) {
        if (ch === '"' && line[i + 1] === '"') { cur += '"'; i++; } else if (ch === '"') quoted = false; else cur += ch;
      } else if (ch === '"') quoted = true;
      else if (ch === ',') { cells.push(cur); cur = ''; } else cur += ch;
    }
    cells.push(cur);
    rows.push(cells);
  }
  return { comments, rows };
}

/** CSS size of the figure's canvas, from its style. */
async function cssSize(page, testId) {
  return page.locator(`figure[data-testid="${testId}"] canvas`).evaluate((c) => ({
    width: parseFloat(c.style.width), height: parseFloat(c.style.height),
  }));
}

test('a heatmap of /qkv exports SVG, PNG 2x and 3x and CSV with the numbers shown', async () => {
  await withPage(async ({ page }) => {
    await page.goto(`${env.base}/qkv?step=5&text=the+cat+sat+on+the+mat&dk=4`);
    await waitForApp(page);
    await page.locator('[data-testid=sentence]').waitFor();
    await waitForPaintsToSettle(page);
    const href = page.url();
    const shown = await readWeights(page);
    assert.deepEqual(shown.labels, ['the', 'cat', 'sat', 'on', 'the', 'mat']);

    // The menu works from the keyboard: Enter opens it, Tab reaches SVG.
    const fig = page.locator('figure[data-testid=hm-weights]');
    await fig.locator('details.export summary').focus();
    await page.keyboard.press('Enter');
    assert.ok(await fig.locator('details.export').evaluate((d) => d.open), 'Enter opens the menu');
    await page.keyboard.press('Tab');
    const focused = await page.evaluate(() => document.activeElement?.dataset.export);
    assert.equal(focused, 'svg');
    const [download] = await Promise.all([page.waitForEvent('download'), page.keyboard.press('Enter')]);
    assert.equal(download.suggestedFilename(), 'qkv-weights.svg');
    const svg = fs.readFileSync(await download.path(), 'utf8');
    const parsed = await parseSvg(page, svg);
    assert.equal(parsed.error, null, 'the SVG parses');
    assert.equal(parsed.root, 'svg');
    assert.match(parsed.title, /^Attention weights/);
    assert.ok(parsed.desc.includes(href), `desc links the view: ${parsed.desc}`);
    for (const token of ['the', 'cat', 'sat', 'on', 'mat']) {
      const n = parsed.texts.filter((t) => t === token).length;
      assert.ok(n >= 2, `"${token}" labels a row and a column as <text> (${n})`);
    }

    const size = await cssSize(page, 'hm-weights');
    for (const k of [2, 3]) {
      const png = await exportFile(page, 'hm-weights', `png${k}`);
      assert.equal(png.name, `qkv-weights-${k}x.png`);
      const got = pngSize(png.body);
      assert.equal(got.width, Math.round(size.width * k), `PNG ${k}x width`);
      assert.equal(got.height, Math.round(size.height * k), `PNG ${k}x height`);
      // The file carries its title and the view's link (iTXt chunks).
      assert.ok(png.body.includes(Buffer.from(`Description\0\0\0\0\0`)), 'a Description chunk');
      assert.ok(png.body.includes(Buffer.from(href)), `the link ${href} is in the PNG`);
    }
    // The PNG decodes in the browser at that size too.
    const png2 = await exportFile(page, 'hm-weights', 'png2');
    const natural = await page.evaluate(async (b64) => {
      const img = new Image();
      img.src = `data:image/png;base64,${b64}`;
      await img.decode();
      return img.naturalWidth;
    }, png2.body.toString('base64'));
    assert.equal(natural, Math.round(size.width * 2));

    const csv = await exportFile(page, 'hm-weights', 'csv');
    assert.equal(csv.name, 'qkv-weights.csv');
    const { comments, rows } = parseCsv(csv.body.toString('utf8'));
    assert.equal(comments.length, 1);
    assert.ok(comments[0].includes(href), `first line links the view: ${comments[0]}`);
    assert.deepEqual(rows[0], ['', ...shown.labels]);
    assert.equal(rows.length - 1, shown.weights.length);
    rows.slice(1).forEach((row, i) => {
      assert.equal(row[0], shown.labels[i]);
      row.slice(1).forEach((cell, j) => {
        const v = Number(cell);
        assert.ok(Math.abs(v - shown.weights[i][j]) <= 5e-7, `cell ${i},${j}: ${v} vs shown ${shown.weights[i][j]}`);
      });
    });
  });
});

test('a line chart of /scaling exports its series, and its bar chart its sixteen weights', async () => {
  await withPage(async ({ page }) => {
    await page.goto(`${env.base}/scaling?dk=64`);
    await waitForApp(page);
    const fig = page.locator('figure[data-testid=sweep-0]');
    await fig.scrollIntoViewIfNeeded();
    await waitForPaintsToSettle(page);
    const href = page.url();

    const svg = await exportFile(page, 'sweep-0', 'svg');
    assert.equal(svg.name, 'scaling-sweep-0.svg');
    const parsed = await parseSvg(page, svg.body.toString('utf8'));
    assert.equal(parsed.error, null, 'the SVG parses');
    assert.ok(parsed.desc.includes(href));
    assert.ok(parsed.texts.includes('● scaled') && parsed.texts.includes('■ unscaled'), `legend as text: ${parsed.texts}`);
    assert.ok(parsed.texts.includes('1k') && parsed.texts.includes('d_k (log scale)'), `ticks and axis as text: ${parsed.texts}`);

    const size = await cssSize(page, 'sweep-0');
    const png = pngSize((await exportFile(page, 'sweep-0', 'png3')).body);
    assert.deepEqual(png, { width: Math.round(size.width * 3), height: Math.round(size.height * 3) });

    await fig.locator('details.numbers summary').click();
    const table = await readTable(fig.locator('details.numbers table'));
    const { comments, rows } = parseCsv((await exportFile(page, 'sweep-0', 'csv')).body.toString('utf8'));
    assert.ok(comments[0].includes(href));
    assert.equal(rows[0][0], 'series');
    assert.equal(rows[0][1], 'd_k');
    const points = rows.slice(1);
    assert.equal(points.length, 2 * table.rows.length, 'every point of both series');
    for (const r of table.rows) {
      const [dk, scaled, unscaled] = r.cells.map(Number);
      for (const [series, shownValue] of [['scaled', scaled], ['unscaled', unscaled]]) {
        const p = points.find((q) => q[0] === series && Number(q[1]) === dk);
        assert.ok(p, `${series} at d_k = ${dk}`);
        assert.ok(Math.abs(Number(p[2]) - shownValue) <= 5e-5, `${series} at ${dk}: ${p[2]} vs ${shownValue}`);
      }
    }

    // The bar chart: one weight per key, summing to 1, as in its Numbers table.
    const barFig = page.locator('figure[data-testid=bars]');
    await barFig.scrollIntoViewIfNeeded();
    const bars = parseCsv((await exportFile(page, 'bars', 'csv')).body.toString('utf8'));
    assert.deepEqual(bars.rows[0], ['key', 'weight']);
    const weights = bars.rows.slice(1);
    assert.equal(weights.length, 16);
    assert.deepEqual(weights.map((r) => r[0]), Array.from({ length: 16 }, (_, i) => `k${i + 1}`));
    const sum = weights.reduce((a, r) => a + Number(r[1]), 0);
    assert.ok(Math.abs(sum - 1) < 1e-9, `weights sum to ${sum}`);
    await barFig.locator('details.numbers summary').click();
    const shownBars = await readTable(barFig.locator('details.numbers table'));
    assert.equal(shownBars.rows.length, 16);
    shownBars.rows.forEach((r, i) => {
      const shownWeight = Number(r.cells[r.cells.length - 1]);
      assert.ok(Math.abs(Number(weights[i][1]) - shownWeight) < 5e-4, `k${i + 1}: ${weights[i][1]} vs ${shownWeight}`);
    });
  });
});
