// End-to-end tests of presenter mode (issue 14, part 1) in headless Chromium:
// keys a clicker sends, one slide per screen, live controls, the slide in the
// URL, chapter to chapter, blanking and leaving.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { start, withPage as withPageOf, waitForApp } from './helpers.mjs';

let env;
before(async () => { env = await start(); });
after(async () => { if (env) await env.stop(); });

const withPage = (fn, opts) => withPageOf(env.browser, fn, opts);

const present = (page) => page.evaluate(() => new URL(location.href).searchParams.get('present'));
const visibleSlides = (page) => page.evaluate(() =>
  [...document.querySelectorAll('main [data-slide]')].filter((e) => e.offsetParent !== null).map((e) => (e.querySelector('h1, h2')?.textContent ?? '').trim()));
const where = (page) => page.locator('[data-testid=present-where]').textContent();

async function waitForSlide(page, n) {
  await page.waitForFunction((n) => new URL(location.href).searchParams.get('present') === String(n), n);
  await page.waitForFunction(() => document.querySelectorAll('main [data-slide].slide-current').length === 1);
}

test('P presents a chapter one section per screen; the keys page through it and the controls stay live', async () => {
  await withPage(async ({ page }) => {
    await page.goto(`${env.base}/scaling?dk=512`);
    await waitForApp(page);
    await page.locator('main h1').click();
    await page.keyboard.press('p');
    await waitForSlide(page, 1);
    assert.equal(await page.locator('.site-head').isVisible(), false, 'the site header is hidden');
    assert.deepEqual(await visibleSlides(page), ['Why divide by √d_k']);
    assert.match(await where(page), /^4 · Why divide by √d_k\s· slide 1 of \d+$/);
    const count = Number((await where(page)).match(/of (\d+)$/)[1]);
    assert.ok(count >= 5, `slides: ${count}`);

    for (const [key, n] of [['ArrowRight', 2], ['PageDown', 3], ['PageUp', 2], ['Space', 3], ['Shift+Space', 2]]) {
      await page.keyboard.press(key);
      await waitForSlide(page, n);
      assert.equal((await visibleSlides(page)).length, 1, `one slide after ${key}`);
    }
    const second = (await visibleSlides(page))[0];
    assert.match(second, /^1 · /, `the second slide is section 1: ${second}`);

    // The shared controls stay on screen and stay live; the slide survives an edit.
    const toggle = page.locator('input[data-testid=scale]');
    assert.ok(await toggle.isVisible());
    await toggle.click();
    await page.waitForFunction(() => new URL(location.href).searchParams.get('scale') === '0');
    assert.equal(await present(page), '2');
    assert.equal(new URL(page.url()).searchParams.get('dk'), '512');

    // Home / End.
    await page.locator('main h2').first().click();
    await page.keyboard.press('End');
    await waitForSlide(page, count);
    assert.deepEqual(await visibleSlides(page), ['Check yourself']);
    await page.keyboard.press('Home');
    await waitForSlide(page, 1);

    // A reload resumes at the slide in the link.
    await page.goto(`${env.base}/scaling?present=3`);
    await waitForApp(page);
    await waitForSlide(page, 3);
    assert.match(await where(page), /slide 3 of /);
  });
});

test('past the last slide the next chapter starts; before the first, the previous one ends', async () => {
  await withPage(async ({ page }) => {
    await page.goto(`${env.base}/scaling?present=999`);
    await waitForApp(page);
    await page.waitForFunction(() => document.querySelectorAll('main [data-slide].slide-current').length === 1);
    assert.deepEqual(await visibleSlides(page), ['Check yourself'], 'a slide past the end shows the last');
    await page.keyboard.press('ArrowRight');
    await page.waitForFunction(() => location.pathname === '/self-attention');
    await waitForSlide(page, 1);
    assert.deepEqual(await visibleSlides(page), ['Self-attention']);
    await page.keyboard.press('ArrowLeft');
    await page.waitForFunction(() => location.pathname === '/scaling');
    await page.waitForFunction(() => document.querySelectorAll('main [data-slide].slide-current').length === 1);
    assert.deepEqual(await visibleSlides(page), ['Check yourself']);
  });
});

test('B blanks the screen, Esc leaves, and the bar works with a mouse', async () => {
  await withPage(async ({ page }) => {
    await page.goto(`${env.base}/qkv?present=1`);
    await waitForApp(page);
    await waitForSlide(page, 1);
    await page.locator('[data-testid=present-next]').click();
    await waitForSlide(page, 2);
    // With the bar's button focused, the arrows still page (Space would press it).
    await page.keyboard.press('ArrowRight');
    await waitForSlide(page, 3);
    await page.keyboard.press('ArrowLeft');
    await waitForSlide(page, 2);
    await page.locator('main h2').first().click().catch(() => {});
    await page.keyboard.press('b');
    await page.locator('[data-testid=blank]').waitFor();
    await page.keyboard.press('b');
    await page.locator('[data-testid=blank]').waitFor({ state: 'detached' });
    await page.keyboard.press('Escape');
    await page.waitForFunction(() => !new URL(location.href).searchParams.has('present'));
    assert.ok(await page.locator('.site-head').isVisible(), 'the header is back');
    const all = await page.evaluate(() => [...document.querySelectorAll('main [data-slide]')].filter((e) => e.offsetParent !== null).length);
    assert.ok(all > 1, 'every section shows again');
    // The header button enters too; a garbage slide starts at slide 1.
    await page.locator('[data-testid=present]').click();
    await waitForSlide(page, 1);
    await page.goto(`${env.base}/qkv?present=%3Cb%3E`);
    await waitForApp(page);
    await page.waitForFunction(() => document.querySelectorAll('main [data-slide].slide-current').length === 1);
    assert.match(await where(page), /slide 1 of /);
  });
});

test('a section embedded in an iframe on another origin shows alone, works, and can drop its controls', async () => {
  const http = await import('node:http');
  // A course page on another port (another origin) that embeds section 1 of chapter 4.
  const src = `${env.base}/scaling?dk=512&embed=2`;
  const host = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html><title>Course</title><h1>My course</h1><iframe id="f" src="${src}" width="1000" height="900"></iframe>`);
  });
  await new Promise((ok) => host.listen(0, '127.0.0.1', ok));
  const course = `http://127.0.0.1:${host.address().port}/`;
  try {
    await withPage(async ({ page }) => {
      await page.goto(course);
      const frame = page.frameLocator('#f');
      await frame.locator('main [data-slide].slide-current').waitFor();
      const inner = page.frames().find((f) => f.url().startsWith(env.base));
      assert.ok(inner, 'the embedded frame is on the app origin');
      assert.notEqual(new URL(inner.url()).origin, new URL(course).origin, 'cross-origin');
      const shown = () => inner.evaluate(() => ({
        slides: [...document.querySelectorAll('main [data-slide]')].filter((e) => e.offsetParent !== null).map((e) => e.querySelector('h2')?.textContent.trim()),
        header: document.querySelector('.site-head').offsetParent !== null,
        bar: !!document.querySelector('.present-bar'),
      }));
      const s = await shown();
      assert.deepEqual(s.slides, ['1 · The spread of the scores']);
      assert.equal(s.header, false);
      assert.equal(s.bar, false, 'no presenter bar in an embed');
      // Its own figure is live: the variance line follows d_k, and the
      // chapter's shared controls are there and work inside the iframe.
      const measured = () => frame.locator('main p', { hasText: 'Measured over' }).textContent();
      assert.match(await measured(), /at d_k = 512:/);
      const dk = frame.locator('input[data-testid=d-k]');
      await dk.focus();
      await page.keyboard.press('Home');
      await inner.waitForFunction(() => new URL(location.href).searchParams.get('dk') === '1');
      assert.match(await measured(), /at d_k = 1:/);
      assert.equal(new URL(inner.url()).searchParams.get('embed'), '2', 'the embed survives the edit');
      // Keys do not page an embed.
      await frame.locator('main h2').first().click();
      await page.keyboard.press('ArrowRight');
      await page.waitForTimeout(300);
      assert.equal(new URL(inner.url()).searchParams.get('embed'), '2');
      // A read-only figure: no controls.
      await inner.goto(`${env.base}/scaling?dk=512&embed=2&controls=0`);
      await frame.locator('main [data-slide].slide-current').waitFor();
      assert.equal(await inner.evaluate(() => [...document.querySelectorAll('main .control')].some((e) => e.offsetParent !== null)), false);
      // One chart of the section alone: the second histogram, nothing else of it.
      await inner.goto(`${env.base}/scaling?dk=512&embed=2&figure=2&controls=0`);
      await frame.locator('main [data-slide].slide-current').waitFor();
      await inner.waitForFunction(() => document.querySelectorAll('main figure').length >= 2 && document.querySelector('.embed-hidden'));
      const alone = await inner.evaluate(() => ({
        figures: [...document.querySelectorAll('main figure')].filter((e) => e.offsetParent !== null).map((f) => f.querySelector('canvas').getAttribute('aria-label')),
        heading: [...document.querySelectorAll('main h2')].some((e) => e.offsetParent !== null),
      }));
      assert.equal(alone.figures.length, 1, JSON.stringify(alone));
      assert.match(alone.figures[0], /scaled/i);
      assert.equal(alone.heading, false, 'only the figure');
    });
  } finally {
    host.close();
  }
});

test('the presenter bar gives the embed code of the slide shown', async () => {
  await withPage(async ({ page }) => {
    await page.goto(`${env.base}/scaling?dk=128&present=3`);
    await waitForApp(page);
    await waitForSlide(page, 3);
    await page.locator('[data-testid=present-embed]').click();
    const code = page.locator('[data-testid=embed-code]');
    let value = await code.inputValue();
    assert.match(value, /^<iframe src="http:\/\/127\.0\.0\.1:\d+\/scaling\?dk=128&amp;embed=3" title="4 · Why divide by √d_k" /);
    await page.locator('[data-testid=embed-no-controls]').check();
    value = await code.inputValue();
    assert.match(value, /embed=3&amp;controls=0"/);
    assert.doesNotMatch(value, /present=/);
    // One figure of a slide: its label is offered, its number goes in the link.
    await page.goto(`${env.base}/scaling?dk=128&present=4`);
    await waitForApp(page);
    await waitForSlide(page, 4);
    // The slide's figures are listed once they are there (its section's
    // code may arrive after the slide's heading).
    await page.waitForFunction(() => document.querySelectorAll('main [data-slide].slide-current figure canvas').length >= 2);
    await page.locator('[data-testid=present-embed]').click();
    await page.locator('[data-testid=embed-no-controls]').check();
    const options = await page.locator('[data-testid=embed-what] option').allTextContents();
    assert.ok(options.length >= 3, options.join(' | '));
    assert.equal(options[0], 'The whole section');
    assert.match(options[1], /^Figure 1: /);
    await page.locator('[data-testid=embed-what]').selectOption({ index: 2 });
    value = await code.inputValue();
    assert.match(value, /embed=4&amp;figure=2&amp;controls=0"/);
  });
});
