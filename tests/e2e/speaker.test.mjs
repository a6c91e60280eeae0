// End-to-end tests of the speaker view (issue 14): a second window with
// the next slide and the notes, kept in step with the projector window
// both ways (slides, controls, chapters, blanking, leaving); and a walk
// through the whole course with the keyboard alone, every slide with its
// note.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { start, openPage, waitForApp } from './helpers.mjs';

let env;
before(async () => { env = await start(); });
after(async () => { if (env) await env.stop(); });

const param = (page, key) => new URL(page.url()).searchParams.get(key);
const current = (page) => page.evaluate(() =>
  (document.querySelector('main [data-slide].slide-current')?.querySelector('h1, h2')?.textContent ?? '').trim());
/** Waits until the slide shown is headed `want` (slides are painted a moment after a page renders). */
const currentIs = (page, want) => page.waitForFunction((w) =>
  (document.querySelector('main [data-slide].slide-current')?.querySelector('h1, h2')?.textContent ?? '').trim() === w, want);
/** Waits until the element `id` reads `want`. */
const shows = (page, id, want) => page.waitForFunction(([i, w]) =>
  document.querySelector(`[data-testid=${i}]`)?.textContent.trim() === w, [id, want]);
const waitFor = (page, key, value) => page.waitForFunction(([k, v]) => new URL(location.href).searchParams.get(k) === v, [key, value]);
const text = (page, id) => page.locator(`[data-testid=${id}]`).textContent();

/** Errors of a page opened by the app (a popup), recorded like openPage's. */
function recordErrors(page, errors) {
  page.on('console', (m) => { if (m.type() === 'error') errors.push(`popup console.error: ${m.text()}`); });
  page.on('pageerror', (e) => errors.push(`popup pageerror: ${e.message}`));
}

test('the speaker window shows the next slide and the notes, and both windows follow each other', async () => {
  const { context, page: audience, errors } = await openPage(env.browser, { viewport: { width: 1280, height: 800 } });
  try {
    await audience.goto(`${env.base}/scaling?dk=512&present=2`);
    await waitForApp(audience);
    await audience.locator('main [data-slide].slide-current').waitFor();
    const [speaker] = await Promise.all([
      context.waitForEvent('page'),
      audience.locator('[data-testid=present-speaker]').click(),
    ]);
    recordErrors(speaker, errors);
    await speaker.waitForLoadState();
    await speaker.locator('[data-testid=speaker-panel]').waitFor();
    assert.equal(param(speaker, 'speaker'), '1');
    assert.equal(param(speaker, 'present'), '2');
    assert.equal(param(speaker, 'dk'), '512');
    assert.equal(param(audience, 'speaker'), null, 'the projector is not the speaker view');
    assert.equal(await audience.locator('[data-testid=speaker-panel]').count(), 0);

    await shows(speaker, 'speaker-now', '1 · The spread of the scores');
    assert.match(await text(speaker, 'speaker-note'), /histogram/i, 'the note of section 1');
    assert.equal((await text(speaker, 'speaker-next')).trim(), '2 · One query, sixteen keys');
    // The next slide is previewed in the speaker window (and only there), inert.
    const preview = await speaker.evaluate(() => {
      const n = document.querySelector('main [data-slide].slide-next');
      return n && { heading: n.querySelector('h2').textContent.trim(), inert: n.inert, shown: n.offsetParent !== null };
    });
    assert.deepEqual(preview, { heading: '2 · One query, sixteen keys', inert: true, shown: true });
    assert.equal(await audience.locator('main [data-slide].slide-next').count(), 0);
    assert.match(await text(speaker, 'speaker-clock'), /^\d+:\d\d$/);

    // Paging in the speaker window moves the projector, and the other way.
    await speaker.locator('main .slide-current :is(h1, h2)').first().click();
    await speaker.keyboard.press('ArrowRight');
    await waitFor(audience, 'present', '3');
    await currentIs(audience, '2 · One query, sixteen keys');
    await audience.locator('main .slide-current :is(h1, h2)').first().click();
    await audience.keyboard.press('PageDown');
    await waitFor(speaker, 'present', '4');
    await shows(speaker, 'speaker-now', '3 · Against d_k');
    assert.equal(param(speaker, 'speaker'), '1', 'the speaker keeps its flag');

    // A control changed in either window shows in both.
    await speaker.locator('input[data-testid=scale]').click();
    await waitFor(audience, 'scale', '0');
    const dk = audience.locator('input[data-testid=d-k]');
    await dk.focus();
    await audience.keyboard.press('Home');
    await waitFor(speaker, 'dk', '1');
    assert.equal(param(audience, 'present'), '4');

    // B in the speaker window blanks the projector, not itself.
    await speaker.locator('main .slide-current :is(h1, h2)').first().click();
    await speaker.keyboard.press('b');
    await audience.locator('[data-testid=blank]').waitFor();
    await speaker.locator('[data-testid=speaker-blank]').waitFor();
    assert.equal(await speaker.locator('[data-testid=blank]').count(), 0);
    await speaker.locator('[data-testid=present-blank]').click();
    await audience.locator('[data-testid=blank]').waitFor({ state: 'detached' });

    // Past the last slide, both go to the next chapter.
    await speaker.keyboard.press('End');
    await waitFor(audience, 'present', '6');
    assert.match(await text(speaker, 'speaker-next'), /^Next chapter: Chapter 5 · Self-attention/);
    await speaker.keyboard.press('ArrowRight');
    await audience.waitForFunction(() => location.pathname === '/self-attention');
    await speaker.waitForFunction(() => location.pathname === '/self-attention');
    await waitFor(audience, 'present', '1');
    assert.equal(param(speaker, 'speaker'), '1');
    // The panel follows once the new chapter's slides are painted.
    await speaker.waitForFunction(() => document.querySelector('[data-testid=speaker-now]')?.textContent.trim() === 'Self-attention');

    // Leaving in the projector window ends the talk in both.
    await audience.locator('main .slide-current :is(h1, h2)').first().click();
    await audience.keyboard.press('Escape');
    await speaker.waitForFunction(() => !new URL(location.href).searchParams.has('present'));
    assert.equal(await speaker.locator('[data-testid=speaker-panel]').count(), 0);
    assert.deepEqual(errors, [], errors.join('\n'));
  } finally {
    await context.close();
  }
});

test('keyboard alone walks every slide of the course, and every slide has its speaker note', async () => {
  const { context, page, errors } = await openPage(env.browser, { viewport: { width: 1280, height: 800 } });
  try {
    await page.goto(`${env.base}/bottleneck?present=1&speaker=1`);
    await waitForApp(page);
    await page.locator('[data-testid=speaker-panel]').waitFor();
    const seen = [];
    let last = '';
    for (let i = 0; i < 120; i += 1) {
      await page.waitForFunction(() => document.querySelectorAll('main [data-slide].slide-current').length === 1);
      const where = `${new URL(page.url()).pathname} ${param(page, 'present')}`;
      const heading = await current(page);
      await page.waitForFunction((h) => document.querySelector('[data-testid=speaker-now]')?.textContent.trim() === h, heading);
      const note = (await text(page, 'speaker-note')).trim();
      assert.ok(note.length > 40 && note !== 'No notes for this slide.', `${where} “${heading}”: ${note}`);
      seen.push(`${where} ${heading}`);
      if (/^\/rnn /.test(where) && heading === 'Check yourself') break;
      last = page.url();
      await page.keyboard.press('ArrowRight');
      await page.waitForFunction((u) => location.href !== u, last);
    }
    const paths = [...new Set(seen.map((s) => s.split(' ')[0]))];
    assert.deepEqual(paths, ['/bottleneck', '/alignment', '/qkv', '/scaling', '/self-attention', '/cost', '/multi-head', '/position', '/rnn'], seen.join('\n'));
    assert.ok(seen.length >= 50, `${seen.length} slides`);
    assert.deepEqual(errors, [], errors.join('\n'));
  } finally {
    await context.close();
  }
});
