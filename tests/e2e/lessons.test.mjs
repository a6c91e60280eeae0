// End-to-end tests of lessons (issue 14, part 2): views captured from the
// chapters, edited on the lesson page, kept over a reload, carried whole
// by one link and by a JSON file, played in presenter mode; damaged links
// load what they can with a note; the three ready lessons play through.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { start, withPage as withPageOf, openPage, waitForApp } from './helpers.mjs';

let env;
before(async () => { env = await start(); });
after(async () => { if (env) await env.stop(); });

const withPage = (fn, opts) => withPageOf(env.browser, fn, opts);
const param = (page, key) => new URL(page.url()).searchParams.get(key);
const current = (page) => page.evaluate(() =>
  (document.querySelector('main [data-slide].slide-current')?.querySelector('h1, h2')?.textContent ?? '').trim());
/** Waits until the slide shown is headed `want` (slides are painted a moment after a page renders). */
const currentIs = (page, want) => page.waitForFunction((w) =>
  (document.querySelector('main [data-slide].slide-current')?.querySelector('h1, h2')?.textContent ?? '').trim() === w, want);
/** The lesson's view titles, once the lesson page shows its views (its code arrives a moment after the shell's header). */
const titles = async (page) => {
  await page.locator('[data-testid=lesson-view] input.view-title').first().waitFor({ timeout: 15000 }).catch(() => {});
  return page.locator('[data-testid=lesson-view] input.view-title').evaluateAll((es) => es.map((e) => e.value));
};
const notes = (page) => page.locator('ul.notes li').allTextContents();
const b64url = (s) => Buffer.from(s, 'utf8').toString('base64url');

async function addView(page) {
  await page.locator('[data-testid=add-to-lesson]:visible').click();
  const toast = page.locator('[data-testid=lesson-toast]');
  await toast.waitFor();
  return (await toast.textContent()).trim();
}

test('views captured from the chapters make a lesson that is edited, kept, shared by link and by file, and played', async () => {
  await withPage(async ({ page, context }) => {
    // 1. The section on screen, with the chapter's state.
    await page.goto(`${env.base}/scaling?dk=256`);
    await waitForApp(page);
    // (The section's own heading: until its code is there, a stand-in holds its place.)
    await page.locator('#one-title').scrollIntoViewIfNeeded();
    await page.evaluate(() => {
      const h = [...document.querySelectorAll('main h2')].find((e) => e.textContent.startsWith('2 · One query'));
      window.scrollTo(0, h.getBoundingClientRect().top + window.scrollY - 10);
    });
    assert.match(await addView(page), /^Added “Why √d_k · 2 · One query, sixteen keys” to your lesson \(1 view\)\./);
    // 2. A presented slide of another chapter.
    await page.goto(`${env.base}/position?text=dog%20bites%20man&pos=none&present=2`);
    await waitForApp(page);
    await page.locator('main [data-slide].slide-current').waitFor();
    assert.match(await addView(page), /^Added “Position · 1 · Shuffle the sentence” to your lesson \(2 views\)\./);
    // 3. A chapter's opening.
    await page.goto(`${env.base}/rnn`);
    await waitForApp(page);
    assert.match(await addView(page), /^Added “Why attention replaced RNNs” .*\(3 views\)/);

    // The lesson page lists them, with where each one is.
    await page.locator('[data-testid=lesson-toast] a').click();
    await page.waitForFunction(() => location.pathname === '/lesson');
    assert.deepEqual(await titles(page), [
      'Why √d_k · 2 · One query, sixteen keys',
      'Position · 1 · Shuffle the sentence',
      'Why attention replaced RNNs',
    ]);
    assert.match(await page.locator('[data-testid=lesson-view]').nth(0).textContent(), /Chapter 4 · Why divide by √d_k, slide 3/);

    // Rename, reorder, remove.
    await page.locator('[data-testid=lesson-title]').fill('Scaling & order <b>1</b>');
    await page.locator('[data-testid=lesson-title]').press('Enter');
    const second = page.locator('[data-testid=lesson-view] input.view-title').nth(1);
    await second.fill('No position: the shuffle changes nothing');
    await second.press('Tab');
    await page.waitForFunction(() => new URL(location.href).searchParams.has('lesson'));
    await page.getByRole('button', { name: 'Move view 2 up' }).click();
    await page.getByRole('button', { name: 'Remove view 3' }).click();
    const want = ['No position: the shuffle changes nothing', 'Why √d_k · 2 · One query, sixteen keys'];
    await page.waitForFunction((n) => document.querySelectorAll('[data-testid=lesson-view]').length === n, 2);
    assert.deepEqual(await titles(page), want);
    assert.equal(await page.locator('[data-testid=lesson-title]').inputValue(), 'Scaling & order <b>1</b>', 'a title is text');

    // A reload keeps it (link), and so does local storage (plain /lesson).
    // (The address bar is written at most every 200 ms: wait for it.)
    const settled = await page.locator('[data-testid=lesson-link]').inputValue();
    await page.waitForFunction((u) => location.href === u, settled);
    await page.reload();
    await waitForApp(page);
    assert.deepEqual(await titles(page), want);
    await page.goto(`${env.base}/lesson`);
    await waitForApp(page);
    assert.deepEqual(await titles(page), want);

    // The link alone carries it to a browser that has never seen it.
    const link = await page.locator('[data-testid=lesson-link]').inputValue();
    assert.match(link, /^http:\/\/127\.0\.0\.1:\d+\/lesson\?lesson=[tz][A-Za-z0-9_-]+$/);
    const other = await openPage(env.browser);
    try {
      await other.page.goto(link);
      await waitForApp(other.page);
      assert.deepEqual(await titles(other.page), want);
      assert.equal(await other.page.locator('[data-testid=lesson-title]').inputValue(), 'Scaling & order <b>1</b>');
      assert.deepEqual(other.errors, []);
    } finally {
      await other.context.close();
    }

    // The file: saved, then loaded into another browser.
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.locator('[data-testid=lesson-save]').click(),
    ]);
    assert.equal(download.suggestedFilename(), 'scaling-order-b-1-b.lesson.json');
    const file = await download.path();
    const json = JSON.parse(fs.readFileSync(file, 'utf8'));
    assert.equal(json.format, 'attention-lab-lesson');
    assert.deepEqual(json.views.map((v) => [v.title, v.path, v.slide]), [
      [want[0], '/position', 2],
      [want[1], '/scaling', 3],
    ]);
    assert.equal(json.views[1].query, 'dk=256');
    const fresh = await openPage(env.browser);
    try {
      await fresh.page.goto(`${env.base}/lesson`);
      await waitForApp(fresh.page);
      await fresh.page.locator('[data-testid=lesson-empty]').waitFor();
      await fresh.page.locator('[data-testid=lesson-load]').setInputFiles(file);
      await fresh.page.waitForFunction(() => document.querySelectorAll('[data-testid=lesson-view]').length === 2);
      assert.deepEqual(await titles(fresh.page), want);
      assert.match((await notes(fresh.page)).join(' '), /^Loaded “Scaling & order <b>1<\/b>” \(2 views\) from /);
      // Not a lesson: refused with a reason, the lesson kept.
      const junk = `${file}.txt`;
      fs.writeFileSync(junk, '{"format": "something else"}');
      await fresh.page.locator('[data-testid=lesson-load]').setInputFiles(junk);
      await fresh.page.locator('ul.notes li', { hasText: 'not an Attention Lab lesson' }).waitFor();
      assert.deepEqual(await titles(fresh.page), want);
      assert.deepEqual(fresh.errors, []);
    } finally {
      await fresh.context.close();
    }

    // Play: one view per screen, in the lesson's order, with its state.
    await page.locator('[data-testid=lesson-play]').click();
    await page.waitForFunction(() => location.pathname === '/position');
    await page.locator('main [data-slide].slide-current').waitFor();
    assert.equal(param(page, 'present'), '2');
    assert.equal(param(page, 'pos'), 'none');
    assert.equal(param(page, 'lv'), '1');
    await currentIs(page, '1 · Shuffle the sentence');
    assert.match(await page.locator('[data-testid=present-where]').textContent(), /^Scaling & order <b>1<\/b>\s· view 1 of 2: No position/);
    await page.locator('main .slide-current :is(h1, h2)').first().click();
    await page.keyboard.press('ArrowRight');
    await page.waitForFunction(() => location.pathname === '/scaling');
    await page.waitForFunction(() => new URL(location.href).searchParams.get('present') === '3');
    assert.equal(param(page, 'dk'), '256');
    // The new chapter's slides are painted a moment after it renders.
    await page.waitForFunction(() => document.querySelector('main [data-slide].slide-current h2')?.textContent.trim() === '2 · One query, sixteen keys');
    // The last view stays the last; Esc goes back to the lesson.
    await page.keyboard.press('ArrowRight');
    await page.waitForTimeout(300);
    assert.equal(param(page, 'lv'), '2');
    await page.keyboard.press('Escape');
    await page.waitForFunction(() => location.pathname === '/lesson');
    assert.deepEqual(await titles(page), want);

    // Clear asks first.
    await page.locator('[data-testid=lesson-clear]').click();
    await page.locator('[data-testid=lesson-clear-yes]').click();
    await page.locator('[data-testid=lesson-empty]').waitFor();
    assert.equal(await page.locator('[data-testid=lesson-play]').isDisabled(), true);
    assert.ok(context);
  });
});

test('a damaged or hand-edited lesson link loads what it can, says what it dropped, and raises no error', async () => {
  await withPage(async ({ page }) => {
    for (const bad of ['zAAAA', 'hello', 't%%%%', `z${b64url('not deflated')}`]) {
      await page.goto(`${env.base}/lesson?lesson=${bad}`);
      await waitForApp(page);
      await page.locator('ul.notes li', { hasText: 'This lesson link could not be read' }).waitFor();
      assert.equal(await page.locator('[data-testid=lesson-view]').count(), 0, bad);
    }
    const edited = [
      'Edited by hand',
      '2 /scaling?dk=64 Good view',
      '3 /no-such-chapter?x=1 Gone',
      'two /qkv Bad slide',
      '1 /rnn?present=7&speaker=1 The opening, without the app keys',
    ].join('\n');
    await page.goto(`${env.base}/lesson?lesson=t${b64url(edited)}`);
    await waitForApp(page);
    await page.locator('ul.notes').waitFor();
    assert.deepEqual(await titles(page), ['Good view', 'The opening, without the app keys']);
    const said = await notes(page);
    assert.equal(said.length, 2, said.join('\n'));
    assert.match(said[0], /^View 2 \(“\/no-such-chapter”\) is not a chapter/);
    assert.match(said[1], /^View 3 has no slide number/);
    // Playing it uses only what was kept.
    await page.locator('[data-testid=lesson-play]').click();
    await page.waitForFunction(() => location.pathname === '/scaling');
    await page.locator('main .slide-current :is(h1, h2)').first().click();
    await page.keyboard.press('ArrowRight');
    await page.waitForFunction(() => location.pathname === '/rnn');
    assert.equal(param(page, 'present'), '1');
    assert.equal(param(page, 'speaker'), null);
    // A lesson key that is garbage while presenting is a plain slide.
    await page.goto(`${env.base}/qkv?present=2&lesson=%3Cscript%3E&lv=x`);
    await waitForApp(page);
    await page.locator('main [data-slide].slide-current').waitFor();
    assert.match(await page.locator('[data-testid=present-where]').textContent(), /^3 · Query, key, value\s· slide 2 of/);
  });
});

test('the three ready lessons play through, every view with valid settings', async () => {
  await withPage(async ({ page }) => {
    await page.goto(`${env.base}/lesson`);
    await waitForApp(page);
    // The lesson page's code arrives after the shell's header.
    await page.locator('.ready-lesson').first().waitFor({ timeout: 30000 });
    const ids = await page.locator('.ready-lesson').evaluateAll((es) => es.map((e) => e.dataset.testid));
    assert.deepEqual(ids, ['ready-scaling', 'ready-bottleneck', 'ready-position']);
    const counts = {};
    for (const id of ids) {
      await page.goto(`${env.base}/lesson`);
      await waitForApp(page);
      const listed = await page.locator(`[data-testid=${id}] ol li`).allTextContents();
      await page.locator(`[data-testid=${id}] [data-testid=ready-play]`).click();
      for (let i = 1; i <= listed.length; i += 1) {
        await page.waitForFunction((n) => new URL(location.href).searchParams.get('lv') === String(n), i);
        await page.locator('main [data-slide].slide-current').waitFor();
        await page.waitForTimeout(150);
        assert.deepEqual(await notes(page), [], `${id} view ${i}: the chapter took every setting`);
        const where = await page.locator('[data-testid=present-where]').textContent();
        assert.ok(where.endsWith(`view ${i} of ${listed.length}: ${listed[i - 1]}`), where);
        await page.locator('main .slide-current :is(h1, h2)').first().click();
        await page.keyboard.press('ArrowRight');
      }
      counts[id] = listed.length;
    }
    assert.equal(counts['ready-scaling'], 5, '“Why we scale by √d_k” has five views');
    // "Make it my lesson" copies it for editing.
    await page.goto(`${env.base}/lesson`);
    await waitForApp(page);
    await page.locator('[data-testid=ready-position] [data-testid=ready-use]').click();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=lesson-view]').length > 0);
    assert.equal(await page.locator('[data-testid=lesson-title]').inputValue(), 'Where position comes from');
  });
});
