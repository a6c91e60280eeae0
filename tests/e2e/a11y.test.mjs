// Accessibility, audited (issue 15, part 3): axe-core on every route in the
// light, dark and large-type themes (and presenter mode once per theme), the
// keyboard reaching every control with a visible focus ring, reduced motion,
// and a text label on every canvas.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { start, withPage as withPageOf, settle, markShown, ROUTES, THEMES } from './helpers.mjs';

const require = createRequire(import.meta.url);
const AXE = require.resolve('axe-core/axe.min.js');

let env;
before(async () => { env = await start(); });
after(async () => { if (env) await env.stop(); });

const withPage = (fn, opts) => withPageOf(env.browser, fn, opts);

/** Runs axe on the page; returns the serious and critical violations. */
async function axeViolations(page) {
  await page.addScriptTag({ path: AXE });
  const all = await page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      nodes: v.nodes.map((n) => `${n.target.join(' ')}${n.failureSummary ? ` (${n.failureSummary.split('\n').slice(1, 2).join('').trim()})` : ''}`),
    }));
  });
  return all.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

const report = (vs) => vs.map((v) => `  ${v.id} [${v.impact}] x${v.nodes.length}\n${v.nodes.map((n) => `    ${n}`).join('\n')}`).join('\n');

for (const [theme, storage] of Object.entries(THEMES)) {
  test(`axe: no serious or critical violations on any route (${theme})`, async () => {
    const failures = [];
    await withPage(async ({ page }) => {
      for (const route of ROUTES) {
        await settle(page, `${env.base}${route}`);
        const vs = await axeViolations(page);
        if (vs.length) failures.push(`${route} (${theme}):\n${report(vs)}`);
      }
      // Presenter mode once per theme, on a chapter with charts and controls.
      await settle(page, `${env.base}/scaling?present=2`);
      const vs = await axeViolations(page);
      if (vs.length) failures.push(`/scaling?present=2 (${theme}):\n${report(vs)}`);
    }, { storage });
    assert.deepEqual(failures, [], `axe violations:\n${failures.join('\n')}`);
  });
}

/**
 * Marks every visible, enabled control with data-kb (its index) and returns
 * the marks, with one entry per radio group (Tab stops at one radio of a
 * group; the arrow keys move within it).
 */
function markControls() {
  const seenRadio = new Set();
  const out = [];
  let i = 0;
  for (const el of document.querySelectorAll('[data-shown]')) {
    if (el.tabIndex < 0 && el.getAttribute('tabindex') !== '0') continue;
    let key = String(i++);
    if (el.type === 'radio' && el.name) {
      key = `radio:${el.name}`;
      if (seenRadio.has(key)) continue;
      seenRadio.add(key);
    }
    el.dataset.kb = key;
    const name = (el.getAttribute('aria-label') || el.textContent || el.value || el.name || '').trim().slice(0, 40);
    out.push({ key, what: `${el.tagName.toLowerCase()}${el.className ? `.${String(el.className).split(' ')[0]}` : ''} "${name}"` });
  }
  // Radios carry the group key on every member.
  for (const el of document.querySelectorAll('input[type=radio][name]')) el.dataset.kb = `radio:${el.name}`;
  return out;
}

/** What the focused element is and whether its focus ring is visible. */
function focusedState() {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const cs = getComputedStyle(el);
  const outline = cs.outlineStyle !== 'none' && parseFloat(cs.outlineWidth) >= 2;
  const shadow = cs.boxShadow && cs.boxShadow !== 'none';
  return {
    key: el.dataset.kb ?? null,
    what: `${el.tagName.toLowerCase()}${el.className ? `.${String(el.className).split(' ')[0]}` : ''}`,
    visible: outline || shadow,
    ring: `${cs.outlineStyle} ${cs.outlineWidth} / ${cs.boxShadow}`,
  };
}

test('keyboard: Tab reaches every visible control on every route, always with a visible focus ring', async () => {
  const failures = [];
  await withPage(async ({ page }) => {
    for (const route of ROUTES) {
      await settle(page, `${env.base}${route}`, 1000);
      await markShown(page, 'button, input, select, textarea, a[href], [tabindex="0"], summary');
      const controls = await page.evaluate(markControls);
      await page.evaluate(() => { document.activeElement?.blur(); window.scrollTo(0, 0); });
      const reached = new Set();
      const noRing = new Map();
      let first = null;
      for (let n = 0; n < 600 && reached.size < controls.length; n++) {
        await page.keyboard.press('Tab');
        const f = await page.evaluate(focusedState);
        if (!f) continue;
        const id = f.key ?? f.what;
        if (n > 0 && id === first) break; // wrapped around
        if (first === null) first = id;
        if (f.key !== null) reached.add(f.key);
        if (!f.visible) noRing.set(f.what, f.ring);
      }
      console.log(`# ${route}: ${controls.length} controls, ${reached.size} reached`);
      const missed = controls.filter((c) => !reached.has(c.key)).map((c) => c.what);
      if (missed.length) failures.push(`${route}: not reached by Tab (${missed.length} of ${controls.length}): ${missed.slice(0, 12).join(', ')}`);
      if (noRing.size) failures.push(`${route}: focus ring not visible on ${[...noRing].map(([w, r]) => `${w} (${r})`).join(', ')}`);
    }
  });
  assert.deepEqual(failures, [], failures.join('\n'));
});

test('keyboard: the skip link is the first stop and moves focus to the main content', async () => {
  await withPage(async ({ page }) => {
    await settle(page, `${env.base}/qkv`, 500);
    await page.keyboard.press('Tab');
    const skip = await page.evaluate(() => {
      const el = document.activeElement;
      const r = el.getBoundingClientRect();
      return { cls: el.className, text: el.textContent, onScreen: r.left >= 0 && r.top >= 0 && r.right <= innerWidth };
    });
    assert.equal(skip.cls, 'skip');
    assert.ok(skip.onScreen, 'the focused skip link is on screen');
    await page.keyboard.press('Enter');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'main');
    // The next Tab goes to the first control inside main, not back to the header.
    await page.keyboard.press('Tab');
    assert.ok(await page.evaluate(() => document.querySelector('main').contains(document.activeElement)),
      'Tab after the skip link lands inside main');
  });
});

/** Longest animation and transition duration (ms) over the page's elements. */
function longestMotion() {
  const ms = (list) => Math.max(0, ...list.split(',').map((s) => parseFloat(s) * (s.trim().endsWith('ms') ? 1 : 1000)));
  let worst = { ms: 0, what: '' };
  for (const el of document.querySelectorAll('*')) {
    for (const pseudo of [null, '::before', '::after']) {
      const cs = getComputedStyle(el, pseudo);
      const hasAnimation = cs.animationName !== 'none';
      const t = Math.max(hasAnimation ? ms(cs.animationDuration) : 0, ms(cs.transitionDuration));
      if (t > worst.ms) worst = { ms: t, what: `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}.${el.className}${pseudo ?? ''}` };
    }
  }
  return worst;
}

test('prefers-reduced-motion: reduce stops CSS animations and transitions', async () => {
  // A probe that animates and transitions shows that the rule is what stops
  // them: with motion allowed it moves, with reduce it does not.
  const probe = () => {
    const style = document.createElement('style');
    style.textContent = '@keyframes probe-spin { to { transform: rotate(1turn); } } '
      + '.motion-probe { animation: probe-spin 2s infinite; transition: opacity 1.5s; }';
    document.head.append(style);
    const el = document.createElement('div');
    el.className = 'motion-probe';
    el.textContent = 'probe';
    document.querySelector('main').append(el);
  };
  await withPage(async ({ page }) => {
    await settle(page, `${env.base}/position`, 500);
    await page.evaluate(probe);
    assert.ok((await page.evaluate(longestMotion)).ms >= 1500, 'the probe moves when motion is allowed');
  });
  await withPage(async ({ page }) => {
    await page.emulateMedia({ reducedMotion: 'reduce' });
    for (const route of ['/position', '/scaling?present=2']) {
      await settle(page, `${env.base}${route}`, 500);
      await page.evaluate(probe);
      const worst = await page.evaluate(longestMotion);
      assert.ok(worst.ms < 1, `${route}: ${worst.what} still moves for ${worst.ms} ms`);
      assert.equal(await page.evaluate(() => getComputedStyle(document.documentElement).scrollBehavior), 'auto');
    }
  });
});

test('with reduced motion, the RoPE animation moves one step per press instead of running', async () => {
  await withPage(async ({ page }) => {
    await page.emulateMedia({ reducedMotion: 'reduce' });
    await settle(page, `${env.base}/position?shift=0`, 300);
    const button = page.locator('[data-testid=rope-animate]');
    await button.scrollIntoViewIfNeeded();
    assert.equal((await button.textContent()).trim(), '▶ Move both one step');
    const shift = () => Number(new URL(page.url()).searchParams.get('shift') ?? '0');
    await button.click();
    await page.waitForFunction(() => new URL(location.href).searchParams.get('shift') !== null);
    const once = shift();
    assert.ok(once > 0, `one step: ${once}`);
    await page.waitForTimeout(1000);
    assert.equal(shift(), once, 'and nothing more by itself');
    await button.click();
    await page.waitForFunction((n) => Number(new URL(location.href).searchParams.get('shift')) > n, once);
  });
});

test('every canvas on every route is an image with a label that says what it shows', async () => {
  const failures = [];
  let total = 0;
  await withPage(async ({ page }) => {
    for (const route of ROUTES) {
      await settle(page, `${env.base}${route}`, 800);
      const canvases = await page.evaluate(() => [...document.querySelectorAll('canvas')].map((c) => ({
        role: c.getAttribute('role'),
        label: (c.getAttribute('aria-label') ?? '').trim(),
        where: c.closest('figure')?.dataset.testid ?? c.closest('section, figure')?.querySelector('h2, h3, figcaption')?.textContent?.trim() ?? '?',
        numbers: !!c.closest('figure')?.querySelector('details.numbers'),
      })));
      total += canvases.length;
      for (const c of canvases) {
        const bad = [];
        if (c.role !== 'img') bad.push(`role=${c.role}`);
        // A summary: at least a few words, not just a title.
        if (c.label.split(/\s+/).filter(Boolean).length < 3) bad.push(`label "${c.label}"`);
        if (!c.numbers) bad.push('no Numbers block');
        if (bad.length) failures.push(`${route} canvas in ${c.where}: ${bad.join(', ')}`);
      }
    }
  });
  assert.ok(total >= 20, `canvases seen: ${total}`);
  assert.deepEqual(failures, [], failures.join('\n'));
});
