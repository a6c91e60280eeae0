// End-to-end tests of the offline app (issue 15, part 2): the manifest makes
// it installable; after one visit the service worker has cached the build,
// so with the network off every route loads and works (a slider, a trained
// model, training in the page); a new build is picked up after the update
// prompt; dist/ works from `python3 -m http.server` too.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { start, distDir, waitForApp } from './helpers.mjs';
import { serve } from './serve.mjs';

let env;
before(async () => { env = await start(); });
after(async () => { if (env) await env.stop(); });

const ROUTES = {
  '/': 'Learn attention by changing it',
  '/lesson': 'Your lesson',
  '/bottleneck': 'The bottleneck',
  '/alignment': 'Attention as alignment',
  '/qkv': 'Query, key, value',
  '/scaling': 'Why divide by √d_k',
  '/self-attention': 'Self-attention',
  '/cost': 'The cost of the n × n matrix',
  '/multi-head': 'Multi-head attention and head pruning',
  '/position': 'Position: order, sinusoids, RoPE and ALiBi',
  '/rnn': 'Why attention replaced RNNs',
};

/** A context that lets the service worker run, recording errors. */
async function swPage(browser) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, serviceWorkers: 'allow' });
  const page = await context.newPage();
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(`console.error: ${m.text()}`); });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  return { context, page, errors };
}

/** Waits until a service worker controls the page and has cached the build. */
async function waitForCache(page) {
  await page.waitForFunction(() => navigator.serviceWorker && navigator.serviceWorker.controller !== null, null, { timeout: 30000 });
  return page.evaluate(async () => {
    const keys = (await caches.keys()).filter((k) => k.startsWith('attention-lab-'));
    const cache = await caches.open(keys[0]);
    return { keys, files: (await cache.keys()).map((r) => new URL(r.url).pathname) };
  });
}

test('the manifest makes the app installable', async () => {
  const { context, page, errors } = await swPage(env.browser);
  try {
    await page.goto(`${env.base}/`);
    await waitForApp(page);
    const cdp = await context.newCDPSession(page);
    const manifest = await cdp.send('Page.getAppManifest');
    assert.deepEqual(manifest.errors, [], JSON.stringify(manifest.errors));
    const parsed = JSON.parse(manifest.data);
    assert.equal(parsed.name, 'Attention Lab');
    assert.ok(parsed.icons.some((i) => i.sizes === '512x512'));
    for (const icon of parsed.icons) {
      const r = await page.request.get(new URL(icon.src, env.base).href);
      assert.equal(r.status(), 200, icon.src);
    }
    await waitForCache(page);
    const { installabilityErrors } = await cdp.send('Page.getInstallabilityErrors');
    // Test browsers run every context incognito, which Chromium will not
    // install from; any other reason is a defect.
    const real = installabilityErrors.filter((e) => e.errorId !== 'in-incognito');
    assert.deepEqual(real, [], JSON.stringify(installabilityErrors));
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test('after one visit every route works with the network off, training included', async () => {
  const { context, page, errors } = await swPage(env.browser);
  try {
    await page.goto(`${env.base}/qkv`);
    await waitForApp(page);
    const { keys, files } = await waitForCache(page);
    assert.equal(keys.length, 1, keys.join(' '));
    for (const want of ['/index.html', '/sw.js', '/public/models/coref.bin', '/public/manifest.webmanifest']) {
      if (want === '/sw.js') assert.ok(!files.includes(want), 'the worker does not cache itself');
      else assert.ok(files.includes(want), `${want} cached: ${files.join(' ')}`);
    }
    assert.ok(files.some((f) => f.endsWith('_bg.wasm')) && files.some((f) => f.endsWith('.css')));

    await context.setOffline(true);
    for (const [route, title] of Object.entries(ROUTES)) {
      await page.goto(`${env.base}${route}?x=offline`);
      await waitForApp(page);
      await page.locator('main h1').waitFor();
      assert.equal((await page.locator('main h1').textContent()).trim(), title, route);
      // Trained models come from the cache too.
      await page.waitForFunction(() => !document.body.textContent.includes('Loading the trained model'), null, { timeout: 20000 });
      // Its figures paint (the landing and lesson pages have none).
      if (!['/', '/lesson'].includes(route)) {
        await page.waitForFunction(() => (window.__attnPaint?.count ?? 0) > 0, null, { timeout: 20000 });
      }
      const broken = await page.locator('main .error').count();
      assert.equal(broken, 0, `${route}: ${await page.locator('main .error').allTextContents()}`);
    }
    // A control recomputes.
    await page.goto(`${env.base}/qkv?dk=4`);
    await waitForApp(page);
    const dk = page.locator('input[data-testid=d-k]');
    await dk.focus();
    await page.keyboard.press('ArrowRight');
    await page.waitForFunction(() => new URL(location.href).searchParams.get('dk') === '5');
    // Training runs in the page.
    await page.goto(`${env.base}/scaling`);
    await waitForApp(page);
    const toggle = page.locator('[data-testid=train-toggle]');
    await toggle.scrollIntoViewIfNeeded();
    await toggle.click();
    await page.waitForFunction(() => Number(document.querySelector('[data-testid=train-step]').textContent.match(/Step (\d+)/)[1]) >= 20, null, { timeout: 60000 });
    await toggle.click();
    assert.deepEqual(errors, [], errors.join('\n'));
  } finally {
    await context.close();
  }
});

test('a new build is picked up after the update prompt, and its old cache is dropped', async () => {
  // Two copies of the build; the second has a change (its index.html marks
  // the page; the CSS and wasm are integrity-checked) and its own service
  // worker, as a new deploy would.
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'attn-sw-'));
  const v1 = path.join(tmp, 'v1');
  const v2 = path.join(tmp, 'v2');
  fs.cpSync(distDir, v1, { recursive: true });
  fs.cpSync(distDir, v2, { recursive: true });
  const html = path.join(v2, 'index.html');
  fs.writeFileSync(html, fs.readFileSync(html, 'utf8').replace('<head>', '<head><meta name="build" content="v2" />'));
  const sw = fs.readFileSync(path.join(v2, 'sw.js'), 'utf8');
  fs.writeFileSync(path.join(v2, 'sw.js'), sw.replace(/const VERSION = "([0-9a-f]+)"/, 'const VERSION = "$1-v2"'));
  let root = v1;
  const server = await serve(() => root, 0);
  const base = `http://127.0.0.1:${server.address().port}`;
  const { context, page, errors } = await swPage(env.browser);
  const marker = () => page.evaluate(() => document.querySelector('meta[name=build]')?.content ?? '');
  try {
    await page.goto(`${base}/scaling?dk=64`);
    await waitForApp(page);
    const first = await waitForCache(page);
    assert.equal(await marker(), '');
    assert.equal(await page.locator('[data-testid=update-banner]').count(), 0, 'no prompt on a first visit');

    root = v2; // the deploy
    await page.reload();
    await waitForApp(page);
    await page.locator('[data-testid=update-banner]').waitFor({ timeout: 30000 });
    assert.equal(await marker(), '', 'the old version still runs until the learner says so');
    await page.locator('[data-testid=update-reload]').click();
    await page.waitForFunction(() => document.querySelector('meta[name=build]')?.content === 'v2', null, { timeout: 30000 });
    await waitForApp(page);
    await page.locator('main h1').waitFor();
    assert.equal(new URL(page.url()).searchParams.get('dk'), '64', 'the view is kept');
    const keys = await page.evaluate(async () => (await caches.keys()).filter((k) => k.startsWith('attention-lab-')));
    assert.equal(keys.length, 1, keys.join(' '));
    assert.notEqual(keys[0], first.keys[0]);
    assert.match(keys[0], /-v2$/);
    assert.deepEqual(errors, [], errors.join('\n'));
  } finally {
    await context.close();
    await new Promise((r) => server.close(r));
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

test('dist/ works from python3 -m http.server: deep links and the lesson page', async () => {
  const port = 20000 + Math.floor(Math.random() * 20000);
  const py = spawn('python3', ['-m', 'http.server', String(port), '--bind', '127.0.0.1', '--directory', distDir], { stdio: 'ignore' });
  try {
    const base = `http://127.0.0.1:${port}`;
    for (let i = 0; i < 50; i += 1) {
      try { await fetch(base); break; } catch { await new Promise((r) => setTimeout(r, 100)); }
    }
    const { context, page, errors } = await swPage(env.browser);
    try {
      for (const route of ['/qkv?dk=8', '/lesson', '/rnn']) {
        const r = await page.goto(`${base}${route}`);
        assert.equal(r.status(), 200, route);
        await waitForApp(page);
        await page.locator('main h1').waitFor();
      }
      assert.equal((await page.locator('main h1').textContent()).trim(), ROUTES['/rnn']);
      assert.deepEqual(errors, [], errors.join('\n'));
    } finally {
      await context.close();
    }
  } finally {
    py.kill();
  }
});
