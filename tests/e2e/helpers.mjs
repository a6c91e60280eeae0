// Shared helpers for the Attention Lab end-to-end tests, benchmark and screenshots.
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fs from 'node:fs';
import { chromium } from 'playwright-core';
import { serve } from './serve.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
export const distDir = process.env.DIST_DIR
  ? path.resolve(process.env.DIST_DIR)
  : path.resolve(here, '../../dist');
export const repoRoot = path.resolve(here, '../..');

export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run',
];

/** Starts the static server on a random port and launches Chromium. */
export async function start() {
  if (!fs.existsSync(path.join(distDir, 'index.html'))) {
    throw new Error(`no build in ${distDir}: run trunk build --release first (or set DIST_DIR)`);
  }
  const server = await serve(distDir, 0);
  const base = `http://127.0.0.1:${server.address().port}`;
  const browser = await chromium.launch({
    executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS,
  });
  const stop = async () => {
    await browser.close().catch(() => {});
    await new Promise((r) => server.close(r));
  };
  return { server, base, browser, stop };
}

/**
 * A fresh context + page that records console errors and page errors.
 * `errors` is an array of strings; tests assert it is empty at the end.
 */
export async function openPage(browser, {
  viewport = { width: 1280, height: 900 }, colorScheme = 'light', storage = {}, context: more = {},
  serviceWorkers = 'block',
} = {}) {
  // The service worker (offline) is blocked unless a test is about it: it
  // would cache a whole build behind every page of every test.
  const context = await browser.newContext({ viewport, colorScheme, serviceWorkers, ...more });
  // Local storage entries (theme, large type) set before the app starts.
  if (Object.keys(storage).length) {
    await context.addInitScript((entries) => {
      for (const [k, v] of Object.entries(entries)) localStorage.setItem(k, v);
    }, storage);
  }
  const page = await context.newPage();
  const errors = [];
  // Deep links are served through 404.html with HTTP status 404 (exactly like
  // GitHub Pages), and Chromium logs "Failed to load resource: ... 404" for the
  // *document* itself. That one message is expected hosting behaviour, not an
  // app error, so it is set aside (in `ignored`); every other error counts.
  const notFoundDocs = new Set();
  const ignored = [];
  page.on('response', (r) => {
    if (r.status() === 404 && r.request().resourceType() === 'document') notFoundDocs.add(r.url());
  });
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    const text = m.text();
    const url = m.location()?.url ?? '';
    if (/status of 404/.test(text) && notFoundDocs.has(url)) {
      ignored.push(`${text} (${url})`);
      return;
    }
    errors.push(`console.error: ${text}${url ? ` (${url})` : ''}`);
  });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('crash', () => errors.push('page crashed'));
  return { context, page, errors, ignored };
}

/** The landing page, the lesson page and every chapter. */
export const ROUTES = [
  '/', '/lesson', '/bottleneck', '/alignment', '/qkv', '/scaling', '/self-attention',
  '/cost', '/multi-head', '/position', '/rnn', '/lab',
];

/** The themes every route is checked in: local storage entries the app reads. */
export const THEMES = {
  light: { 'attention-lab-theme': 'light' },
  dark: { 'attention-lab-theme': 'dark' },
  large: { 'attention-lab-theme': 'light', 'attention-lab-large': '1' },
};

/** Opens `route`, waits for the app and lets work and paints settle for `ms`. */
export async function settle(page, url, ms = 1500) {
  await page.goto(url);
  await waitForApp(page);
  await page.waitForSelector('main h1', { state: 'attached', timeout: 15000 });
  await sleep(ms);
  await waitForPaintsToSettle(page, { needPaint: false, timeout: 10000 }).catch(() => {});
}

/**
 * Marks with data-shown the elements matching `selector` that a user can see
 * and use: laid out, visible, not disabled or inert, and not inside a closed
 * <details> (whose summary alone is shown). Returns how many.
 */
export async function markShown(page, selector) {
  return page.evaluate((sel) => {
    let n = 0;
    for (const el of document.querySelectorAll(sel)) {
      delete el.dataset.shown;
      if (el.disabled || el.closest('[inert]') || el.type === 'hidden') continue;
      const r = el.getBoundingClientRect();
      if (r.width === 0 || r.height === 0 || !el.checkVisibility({ visibilityProperty: true })) continue;
      const closed = el.closest('details:not([open])');
      if (closed && el !== closed.querySelector(':scope > summary')) continue;
      el.dataset.shown = '1';
      n++;
    }
    return n;
  }, selector);
}

/** Waits until the app has mounted and, on /qkv, until paints have settled. */
export async function waitForApp(page) {
  // The header is in the page (hidden while presenting).
  await page.waitForSelector('header.site-head', { state: 'attached', timeout: 15000 });
}

/**
 * Waits until no canvas paint has happened for `quietMs` (and at least one
 * paint happened if `needPaint`). Uses window.__attnPaint written by the app.
 */
export async function waitForPaintsToSettle(page, { quietMs = 150, needPaint = true, timeout = 15000 } = {}) {
  await page.waitForFunction(
    ({ quietMs, needPaint }) => {
      const p = window.__attnPaint;
      if (!p) return !needPaint;
      return performance.now() - p.last >= quietMs;
    },
    { quietMs, needPaint },
    { timeout, polling: 50 },
  );
}

export async function paintCount(page) {
  return page.evaluate(() => (window.__attnPaint ? window.__attnPaint.count : 0));
}

/** Opens the Numbers <details> of a heatmap (if closed) and returns its table locator. */
export async function openNumbers(page, testId) {
  const fig = page.locator(`figure[data-testid="${testId}"]`);
  const details = fig.locator('details.numbers');
  if (!(await details.evaluate((d) => d.open))) {
    await details.locator('summary').click();
  }
  const table = details.locator('table');
  await table.waitFor({ state: 'visible' });
  return table;
}

/**
 * Reads a rendered numbers table: { header: [...], rows: [{ label, cells: [text...] }] }.
 */
export async function readTable(table) {
  return table.evaluate((t) => {
    const header = [...t.querySelectorAll('thead th')].map((th) => th.textContent.trim());
    const rows = [...t.querySelectorAll('tbody tr')].map((tr) => ({
      label: tr.querySelector('th')?.textContent ?? '',
      cells: [...tr.querySelectorAll('td')].map((td) => td.textContent.trim()),
    }));
    return { header, rows };
  });
}

/** Reads the weights table: rows of numbers (without the "row sum" column) plus the shown sums. */
export async function readWeights(page) {
  const table = await openNumbers(page, 'hm-weights');
  const { header, rows } = await readTable(table);
  return {
    header,
    labels: rows.map((r) => r.label),
    weights: rows.map((r) => r.cells.slice(0, -1).map(Number)),
    shownSums: rows.map((r) => Number(r.cells[r.cells.length - 1])),
    raw: rows.map((r) => r.cells),
  };
}

/**
 * Runs `fn({ page, errors, context })` on a fresh page of `browser` and fails
 * on any console error or uncaught page error it saw.
 */
export async function withPage(browser, fn, opts) {
  const p = await openPage(browser, opts);
  try {
    await fn(p);
    assert.deepEqual(p.errors, [], `console/page errors:\n${p.errors.join('\n')}`);
  } finally {
    await p.context.close();
  }
}

export function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

/** The end of a screenshot script: prints the files written and fails the
 * run (exit code 1) if any page logged an error. */
export function reportShots(written, problems) {
  for (const f of written) console.log(f);
  if (problems.length) {
    console.error(`console/page errors:\n${problems.join('\n')}`);
    process.exitCode = 1;
  }
}
