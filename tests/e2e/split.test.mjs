// End-to-end tests of the split build (issue 16, part 1): each chapter's
// code is a chunk loaded when the chapter opens (dist/split-manifest.json
// lists the shell's files and each chapter's chunks). A cold deep link
// fetches the shell and that chapter's chunks (in one pack, the first
// page of a visit), not the others; a chunk that cannot be fetched gives a
// message and a working retry.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { start, openPage, distDir, waitForApp } from './helpers.mjs';

let env;
let manifest;
before(async () => {
  env = await start();
  manifest = JSON.parse(fs.readFileSync(path.join(distDir, 'split-manifest.json'), 'utf8'));
});
after(async () => { if (env) await env.stop(); });

const CHAPTERS = {
  bottleneck: 'The bottleneck',
  alignment: 'Attention as alignment',
  qkv: 'Query, key, value',
  scaling: 'Why divide by √d_k',
  'self-attention': 'Self-attention',
  cost: 'The cost of the n × n matrix',
  'multi-head': 'Multi-head attention and head pruning',
  position: 'Position: order, sinusoids, RoPE and ALiBi',
  rnn: 'Why attention replaced RNNs',
};
const ORDER = Object.keys(CHAPTERS);
const splitOf = (slug) => `chapter_${slug.replace(/-/g, '_')}`;
const fileOf = (url) => new URL(url).pathname.replace(/^\//, '');

/** Refuses every request whose URL matches `pattern` (as when the network
 * is down or a deploy removed the file) until `unblock()` is called. */
async function blockUntil(page, pattern) {
  let blocked = true;
  await page.route(pattern, (route) => (blocked ? route.abort() : route.continue()));
  return { unblock: () => { blocked = false; } };
}

/** The modules of a pack (crates/split-wasm/src/pack.rs), read here on its
 * own terms: an empty wasm module with an index (each module's sections:
 * id and length) and a body (the sections grouped by kind: by id, the data
 * and then the code last; the code as every module's head, then all the
 * function bodies sorted by signature, size and place). */
function unpack(bytes) {
  assert.deepEqual([...bytes.subarray(0, 8)], [0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]);
  const reader = (buf, at) => {
    const r = {
      at,
      byte: () => { assert.ok(r.at < buf.length, 'past the end'); return buf[r.at++]; },
      leb: () => {
        let n = 0;
        for (let shift = 0; ; shift += 7) {
          const x = r.byte();
          n += (x & 0x7f) * 2 ** shift;
          if (x < 0x80) return n;
        }
      },
    };
    return r;
  };
  const top = reader(bytes, 8);
  const custom = (want) => {
    assert.equal(top.byte(), 0, 'a custom section');
    const size = top.leb();
    const end = top.at + size;
    const n = top.leb();
    assert.equal(bytes.subarray(top.at, top.at + n).toString('utf8'), want);
    const payload = bytes.subarray(top.at + n, end);
    top.at = end;
    return payload;
  };
  const index = JSON.parse(custom('pack-index').toString('utf8'));
  const body = custom('pack-body');
  assert.equal(top.at, bytes.length);
  // Every section of a kind, module after module; the kinds in order.
  const rank = (id) => ({ 10: 1001, 11: 1000 })[id] ?? id;
  const pieces = index.flatMap(([, s], m) => s.map(([id, len], j) => ({ id, len, m, j })));
  pieces.sort((a, b) => rank(a.id) - rank(b.id) || a.m - b.m || a.j - b.j);
  let at = 0;
  for (const p of pieces) { p.bytes = body.subarray(at, at + p.len); at += p.len; }
  assert.equal(at, body.length);
  // The code: heads first, then the bodies in the order of their keys.
  const code = pieces.filter((p) => p.id === 10);
  if (code.length > 0) {
    const r = reader(body, body.length - code.reduce((t, p) => t + p.len, 0));
    const fns = [];
    for (const p of code) {
      const section = (id) => pieces.find((q) => q.m === p.m && q.id === id)?.bytes;
      // Function i's signature: the bytes of its type's entry.
      const types = [];
      const t = section(1);
      if (t) {
        const tr = reader(t, 1);
        tr.leb();
        for (let n = tr.leb(); n > 0; n--) {
          const start = tr.at;
          assert.equal(tr.byte(), 0x60, 'a function type');
          // Parameters, then results: one byte each (no typed references here).
          for (const _ of [0, 1]) for (let v = tr.leb(); v > 0; v--) assert.ok(![0x63, 0x64].includes(tr.byte()));
          types.push(Buffer.from(t.subarray(start, tr.at)));
        }
      }
      const fr = reader(section(3), 1);
      fr.leb();
      const sigs = Array.from({ length: fr.leb() }, () => types[fr.leb()]);
      const start = r.at;
      assert.equal(r.byte(), 10);
      r.leb();
      const n = r.leb();
      assert.equal(n, sigs.length, 'one body per function');
      p.top = body.subarray(start, r.at);
      p.head = [];
      for (let k = 0; k < n; k++) {
        const s0 = r.at;
        const len = r.leb();
        p.head.push(body.subarray(s0, r.at));
        fns.push({ p, k, sig: sigs[k], len });
      }
    }
    const order = fns.map((f, i) => ({ f, i }));
    order.sort((x, y) => Buffer.compare(x.f.sig, y.f.sig) || x.f.len - y.f.len || x.i - y.i);
    for (const { f } of order) { f.bytes = body.subarray(r.at, r.at + f.len); r.at += f.len; }
    assert.equal(r.at, body.length);
    for (const p of code) {
      const own = fns.filter((f) => f.p === p);
      p.bytes = Buffer.concat([p.top, ...own.flatMap((f) => [p.head[f.k], f.bytes])]);
    }
  }
  const out = new Map();
  index.forEach(([name], m) => {
    const own = pieces.filter((p) => p.m === m).sort((a, b) => a.j - b.j);
    out.set(name, Buffer.concat([bytes.subarray(0, 8), ...own.map((p) => p.bytes)]));
  });
  return out;
}

test('the manifest lists a shell and a split point for every chapter', () => {
  assert.equal(manifest.shell.length, 3, JSON.stringify(manifest.shell));
  for (const f of manifest.shell) assert.ok(fs.existsSync(path.join(distDir, f)), f);
  for (const slug of ORDER) {
    const files = manifest.splits[splitOf(slug)];
    assert.ok(files?.length >= 1, slug);
    assert.ok(files.some((f) => f.startsWith(`split_${splitOf(slug)}-`)), `${slug}: ${files}`);
    for (const f of files) assert.ok(fs.existsSync(path.join(distDir, f)), f);
  }
  assert.ok(manifest.splits.lesson_page && manifest.splits.speaker_view);
});

test('every page has a pack that holds exactly its first screen\'s modules, byte for byte', () => {
  const pages = Object.keys(manifest.splits).filter((s) => s.startsWith('chapter_') || s === 'lesson_page');
  assert.deepEqual(Object.keys(manifest.packs).sort(), pages.sort());
  for (const [split, file] of Object.entries(manifest.packs)) {
    assert.match(file, new RegExp(`^pack_${split}-[0-9a-f]{10}\\.wasm$`));
    const modules = unpack(fs.readFileSync(path.join(distDir, file)));
    assert.deepEqual([...modules.keys()], manifest.splits[split], split);
    for (const [name, bytes] of modules) {
      assert.ok(bytes.equals(fs.readFileSync(path.join(distDir, name))), `${split}: ${name}`);
    }
  }
  // The service worker caches the modules, not the packs.
  const sw = fs.readFileSync(path.join(distDir, 'sw.js'), 'utf8');
  assert.ok(!sw.includes('pack_'), 'sw.js lists a pack');
  assert.ok(manifest.splits.chapter_qkv.every((f) => sw.includes(`"/${f}"`)));
});

test('the link module\'s own reader rebuilds every pack\'s modules byte for byte, and refuses a damaged pack', () => {
  const linkFile = manifest.shell.find((f) => f.startsWith('__wasm_split.'));
  const link = fs.readFileSync(path.join(distDir, linkFile), 'utf8');
  const start = link.indexOf('function __wasm_split_unpack(');
  const end = link.indexOf('\nfunction __wasm_split_first(', start);
  assert.ok(start >= 0 && end > start, 'the link module has its pack reader');
  const read = new Function(`${link.slice(start, end)}\nreturn __wasm_split_unpack;`)();
  const arrayBuffer = (buf) => buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length);
  for (const [split, file] of Object.entries(manifest.packs)) {
    const buf = fs.readFileSync(path.join(distDir, file));
    const files = read(arrayBuffer(buf));
    assert.deepEqual([...files.keys()], manifest.splits[split].map((f) => `./${f}`), split);
    for (const [name, bytes] of files) {
      assert.ok(Buffer.from(bytes).equals(fs.readFileSync(path.join(distDir, name.slice(2)))), `${split}: ${name}`);
    }
  }
  const good = fs.readFileSync(path.join(distDir, manifest.packs.chapter_qkv));
  assert.throws(() => read(arrayBuffer(good.subarray(0, good.length - 1))), 'cut short by one byte');
  assert.throws(() => read(arrayBuffer(good.subarray(0, good.length >> 1))), 'cut in half');
});

test('a cold deep link to each chapter fetches the shell and that chapter\'s pack only, and works', async () => {
  for (const [i, slug] of ORDER.entries()) {
    const { page, context, errors } = await openPage(env.browser);
    const fetched = new Set();
    page.on('request', (r) => { if (/\.(wasm|js)$/.test(r.url())) fetched.add(fileOf(r.url())); });
    await page.goto(`${env.base}/${slug}`);
    await waitForApp(page);
    await page.waitForSelector('.chapter-head h1', { timeout: 30000 });
    assert.equal((await page.textContent('.chapter-head h1')).trim(), CHAPTERS[slug]);
    // A control of the chapter answers (the page is live, not a picture).
    assert.ok(await page.locator('main input, main button, main select').count() > 0, slug);
    for (const f of [...manifest.shell, manifest.packs[splitOf(slug)]]) {
      assert.ok(fetched.has(f), `${slug}: ${f} was not fetched`);
    }
    // Every module of the first screen came out of the pack.
    for (const f of manifest.splits[splitOf(slug)]) {
      assert.ok(!fetched.has(f), `${slug}: ${f} was fetched on its own`);
    }
    // The only other chapter whose code may arrive is the next one (fetched
    // when the browser is idle).
    const next = ORDER[i + 1];
    for (const other of ORDER) {
      if (other === slug) continue;
      assert.ok(!fetched.has(manifest.packs[splitOf(other)]), `${slug} fetched ${other}'s pack`);
      if (other === next) continue;
      const own = `split_${splitOf(other)}-`;
      assert.ok(![...fetched].some((f) => f.startsWith(own)), `${slug} fetched ${other}'s code`);
    }
    assert.deepEqual(errors, [], slug);
    await context.close();
  }
});

test('the landing page needs no chapter code to show', async () => {
  const { page, context, errors } = await openPage(env.browser);
  const fetched = [];
  page.on('request', (r) => { if (/\.wasm$/.test(r.url())) fetched.push(fileOf(r.url())); });
  await page.goto(`${env.base}/`);
  await waitForApp(page);
  await page.waitForSelector('.landing h1');
  const own = (slug) => `split_${splitOf(slug)}-`;
  for (const slug of ORDER.slice(1)) {
    assert.ok(!fetched.some((f) => f.startsWith(own(slug))), `the landing page fetched ${slug}`);
  }
  assert.deepEqual(errors, []);
  await context.close();
});

test('a chapter whose code cannot be fetched says so, and Try again loads it', async () => {
  const { page, context, errors } = await openPage(env.browser);
  // The qkv chapter's own module fails (as after a deploy removed it), and
  // so does the pack that holds it.
  const gate = await blockUntil(page, /(split|pack)_chapter_qkv-[0-9a-f]+\.wasm$/);
  await page.goto(`${env.base}/qkv?dk=16`);
  await waitForApp(page);
  const failed = page.locator('[data-testid=load-failed]');
  await failed.waitFor({ timeout: 30000 });
  assert.match(await failed.textContent(), /Chapter 3 could not be loaded/);
  assert.equal(await failed.getAttribute('role'), 'alert');
  // The rest of the app still works: the header, the theme switch.
  await page.getByRole('button', { name: 'Dark theme' }).click();
  assert.equal(await page.evaluate(() => document.documentElement.classList.contains('dark')), true);
  gate.unblock();
  await page.getByRole('button', { name: 'Try again' }).click();
  await page.waitForSelector('.chapter-head h1', { timeout: 30000 });
  assert.equal((await page.textContent('.chapter-head h1')).trim(), 'Query, key, value');
  assert.equal(await failed.count(), 0);
  assert.match(page.url(), /dk=16/, 'the view kept its state');
  // The only errors are the split loader's report of the refused fetch.
  for (const e of errors) assert.match(e, /Failed to fetch|ERR_FAILED|failed to load/i, e);
  await context.close();
});

test('a pack that cannot be fetched: the page fetches its modules one by one, and works', async () => {
  const { page, context, errors } = await openPage(env.browser);
  const fetched = new Set();
  page.on('request', (r) => { if (/\.wasm$/.test(r.url())) fetched.add(fileOf(r.url())); });
  await page.route(/pack_chapter_scaling-[0-9a-f]+\.wasm$/, (route) => route.abort());
  await page.goto(`${env.base}/scaling?dk=32`);
  await waitForApp(page);
  await page.waitForSelector('.chapter-head h1', { timeout: 30000 });
  assert.equal((await page.textContent('.chapter-head h1')).trim(), CHAPTERS.scaling);
  assert.ok(fetched.has(manifest.packs.chapter_scaling), 'the pack was tried');
  for (const f of manifest.splits.chapter_scaling) assert.ok(fetched.has(f), `${f} was not fetched`);
  assert.equal(await page.locator('[data-testid=load-failed]').count(), 0);
  // The only error is the browser's report of the refused pack.
  for (const e of errors) assert.match(e, /Failed to load resource|ERR_FAILED/i, e);
  await context.close();
});

test('a damaged pack (cut short, or with bytes changed): the page fetches its modules one by one, and works', async () => {
  const good = fs.readFileSync(path.join(distDir, manifest.packs.chapter_scaling));
  const damages = {
    'cut short': good.subarray(0, Math.floor(good.length / 2)),
    // Same length, so the index still adds up: every module after the
    // first tenth of the body fails to compile.
    'bytes changed': Buffer.from(good.map((b, i) => (i > good.length / 10 && i % 7 === 0 ? b ^ 0x5a : b))),
  };
  for (const [what, body] of Object.entries(damages)) {
    const { page, context, errors } = await openPage(env.browser);
    const fetched = new Set();
    page.on('request', (r) => { if (/\.wasm$/.test(r.url())) fetched.add(fileOf(r.url())); });
    await page.route(/pack_chapter_scaling-[0-9a-f]+\.wasm$/, (route) => route.fulfill({ status: 200, contentType: 'application/wasm', body }));
    await page.goto(`${env.base}/scaling`);
    await waitForApp(page);
    await page.waitForSelector('.chapter-head h1', { timeout: 30000 });
    assert.equal((await page.textContent('.chapter-head h1')).trim(), CHAPTERS.scaling, what);
    await page.locator('main input').first().waitFor({ timeout: 30000 });
    assert.equal(await page.locator('[data-testid=load-failed]').count(), 0, what);
    const own = manifest.splits.chapter_scaling.find((f) => f.startsWith('split_chapter_scaling-'));
    assert.ok(fetched.has(own), `${what}: the chapter's module came from its own file`);
    assert.deepEqual(errors, [], what);
    await context.close();
  }
});

test('a page opened after the first fetches its modules one by one, not a pack', async () => {
  const { page, context, errors } = await openPage(env.browser);
  const fetched = new Set();
  page.on('request', (r) => { if (/\.wasm$/.test(r.url())) fetched.add(fileOf(r.url())); });
  await page.goto(`${env.base}/scaling`);
  await waitForApp(page);
  await page.waitForSelector('.chapter-head h1', { timeout: 30000 });
  await page.locator('.chapters-nav a', { hasText: 'Position' }).click();
  await page.waitForFunction(() => document.querySelector('.chapter-head h1')?.textContent.includes('Position'), null, { timeout: 30000 });
  assert.ok(fetched.has(manifest.packs.chapter_scaling));
  assert.ok(!fetched.has(manifest.packs.chapter_position), 'the second page fetched a pack');
  assert.ok(fetched.has(manifest.splits.chapter_position.find((f) => f.startsWith('split_chapter_position-'))));
  // What the two pages share came once, with the first.
  const shared = manifest.splits.chapter_position.filter((f) => manifest.splits.chapter_scaling.includes(f));
  assert.ok(shared.length > 0);
  for (const f of shared) assert.ok(!fetched.has(f), `${f} was fetched again`);
  assert.deepEqual(errors, []);
  await context.close();
});

test('opening a chapter with the network off says so; back online, it opens', async () => {
  const { page, context } = await openPage(env.browser);
  await page.goto(`${env.base}/`);
  await waitForApp(page);
  await page.waitForSelector('.landing h1');
  await context.setOffline(true);
  await page.locator('.chapters-nav a', { hasText: 'Multi-head' }).click();
  const failed = page.locator('[data-testid=load-failed]');
  await failed.waitFor({ timeout: 30000 });
  assert.match(await failed.textContent(), /Chapter 7 could not be loaded/);
  await context.setOffline(false);
  await page.getByRole('button', { name: 'Try again' }).click();
  await page.waitForSelector('.chapter-head h1', { timeout: 30000 });
  assert.equal((await page.textContent('.chapter-head h1')).trim(), CHAPTERS['multi-head']);
  await context.close();
});

test('a chapter\'s later sections load after its first screen; one that cannot be fetched says so in place, and Try again loads it', async () => {
  // Later sections are split points of their own, named after the chapter.
  const later = Object.keys(manifest.splits).filter((s) => s.startsWith('multi_head_'));
  assert.ok(later.length >= 3, JSON.stringify(later));
  const first = new Set(manifest.splits.chapter_multi_head);
  for (const s of later) {
    assert.ok(!first.has(manifest.splits[s].find((f) => f.startsWith(`split_${s}-`))), `${s} is in the first screen`);
  }
  const { page, context, errors } = await openPage(env.browser);
  const gate = await blockUntil(page, /split_multi_head_race-[0-9a-f]+\.wasm$/);
  await page.goto(`${env.base}/multi-head`);
  await waitForApp(page);
  await page.waitForSelector('.chapter-head h1', { timeout: 30000 });
  // The other sections arrive by themselves.
  await page.waitForSelector('#rank-title', { timeout: 30000 });
  await page.waitForSelector('#apart-title', { timeout: 30000 });
  await page.waitForSelector('#self-check-title', { timeout: 30000 });
  // The failed one keeps its place and heading, with a message and a retry.
  const failed = page.locator('section.lazy-section [data-testid=load-failed]');
  await failed.waitFor({ timeout: 30000 });
  const slot = page.locator('section.lazy-section', { has: page.locator('[data-testid=load-failed]') });
  assert.match(await slot.locator('h2').textContent(), /Several heads or one wide head/);
  assert.match(await failed.textContent(), /This section could not be loaded/);
  // Sections before and after it are in document order around it.
  const order = await page.evaluate(() => [...document.querySelectorAll('main [data-slide] h2')].map((h) => h.textContent));
  const at = order.findIndex((t) => /Several heads/.test(t));
  assert.ok(at > order.findIndex((t) => /Inside one layer/.test(t)), order.join(' | '));
  assert.ok(at < order.findIndex((t) => /Check yourself/.test(t)), order.join(' | '));
  gate.unblock();
  await slot.getByRole('button', { name: 'Try again' }).click();
  await page.waitForSelector('#race-title', { timeout: 30000 });
  assert.equal(await page.locator('[data-testid=load-failed]').count(), 0);
  for (const e of errors) assert.match(e, /Failed to fetch|ERR_FAILED|failed to load/i, e);
  await context.close();
});

test('/qkv fetches steps 2-6 and the close-up while step 1 is shown; a step whose code cannot be fetched says so, and Try again shows it', async () => {
  const first = new Set(manifest.splits.chapter_qkv);
  for (const s of ['qkv_steps', 'qkv_focus']) {
    const own = manifest.splits[s]?.find((f) => f.startsWith(`split_${s}-`));
    assert.ok(own && !first.has(own), `${s} is in the first screen`);
  }
  const { page, context, errors } = await openPage(env.browser);
  const fetched = new Set();
  page.on('request', (r) => { if (/\.wasm$/.test(r.url())) fetched.add(fileOf(r.url())); });
  const gate = await blockUntil(page, /split_qkv_steps-[0-9a-f]+\.wasm$/);
  await page.goto(`${env.base}/qkv`);
  await waitForApp(page);
  await page.locator('[data-testid=hm-x]').waitFor({ timeout: 30000 });
  // Both were asked for while step 1 was on screen (the close-up arrives).
  await page.waitForFunction(() => performance.getEntriesByType('resource').some((e) => /split_qkv_focus-/.test(e.name)), null, { timeout: 30000 });
  assert.ok([...fetched].some((f) => f.startsWith('split_qkv_steps-')), 'steps 2-6 were not asked for');
  await page.click('button.step[data-step="2"]');
  const failed = page.locator('.steps [data-testid=load-failed]');
  await failed.waitFor({ timeout: 30000 });
  assert.match(await failed.textContent(), /These steps could not be loaded/);
  // Step 1's matrix is gone (the stepper moved on); the controls still work.
  assert.equal(await page.locator('[data-testid=hm-x]').count(), 0);
  gate.unblock();
  await failed.getByRole('button', { name: 'Try again' }).click();
  await page.locator('[data-testid=hm-q]').waitFor({ timeout: 30000 });
  // A query picked: its close-up (already fetched) shows.
  await page.locator('button.token-pick').first().click();
  await page.locator('[data-testid=breakdown]').waitFor({ timeout: 30000 });
  // The only errors are the browser's reports of the refused fetches.
  for (const e of errors) assert.match(e, /Failed to fetch|ERR_FAILED|failed to load/i, e);
  await context.close();
});

test('the code that writes exported files loads when an export menu opens; if it cannot, the menu says so and a second try works', async () => {
  const { page, context } = await openPage(env.browser);
  const own = manifest.splits.export_files.find((f) => f.startsWith('split_export_files-'));
  assert.ok(own, 'the export code is a split point of its own');
  assert.ok(!manifest.splits.chapter_scaling.includes(own), 'not in the first screen of /scaling');
  const fetched = [];
  page.on('request', (r) => fetched.push(fileOf(r.url())));
  const gate = await blockUntil(page, /split_export_files-[0-9a-f]+\.wasm$/);
  await page.goto(`${env.base}/scaling?dk=16`);
  await waitForApp(page);
  const menu = page.locator('figure[data-testid="hist-raw"] details.export');
  await menu.waitFor({ timeout: 30000 });
  await page.waitForTimeout(500);
  assert.ok(!fetched.includes(own), 'fetched before any menu opened');
  await menu.locator('summary').click();
  await menu.locator('[data-export=csv]').click();
  const said = menu.locator('.error');
  await said.waitFor({ timeout: 15000 });
  assert.match(await said.textContent(), /did not arrive.*try again/i);
  assert.ok(fetched.includes(own), 'opening the menu asked for the export code');
  gate.unblock();
  const [download] = await Promise.all([
    page.waitForEvent('download', { timeout: 30000 }),
    menu.locator('[data-export=csv]').click(),
  ]);
  assert.match(download.suggestedFilename(), /^scaling-.*\.csv$/);
  assert.equal(await said.count(), 0, 'the message went once the file was saved');
  await context.close();
});

test('/rnn loads its training code only when "Train them now" is pressed; if it cannot, it says so and a second press trains', async () => {
  const { page, context } = await openPage(env.browser);
  const own = manifest.splits.rnn_race_start?.find((f) => f.startsWith('split_rnn_race_start-'));
  assert.ok(own, 'starting the race is a split point of its own');
  assert.ok(!manifest.splits.chapter_rnn.includes(own), 'not in the first screen of /rnn');
  const fetched = [];
  page.on('request', (r) => fetched.push(fileOf(r.url())));
  const gate = await blockUntil(page, /split_rnn_race_start-[0-9a-f]+\.wasm$/);
  await page.goto(`${env.base}/rnn?steps=40&dmax=4&at=trained`);
  await waitForApp(page);
  const note = page.locator('[data-testid=reach-untrained]');
  await note.waitFor({ timeout: 30000 });
  await page.waitForTimeout(500);
  assert.ok(!fetched.includes(own), 'fetched before the button was pressed');
  await page.locator('[data-testid=reach-train]').click();
  const said = page.locator('[data-testid=reach-train-error]');
  await said.waitFor({ timeout: 15000 });
  assert.match(await said.textContent(), /did not arrive.*press the button again/i);
  assert.ok(fetched.includes(own), 'the press asked for the training code');
  gate.unblock();
  await page.locator('[data-testid=reach-train]').click();
  // Training runs: section 1 measures the models as soon as a step is done.
  await note.waitFor({ state: 'detached', timeout: 30000 });
  await page.locator('table[data-testid=reach-rates]').waitFor();
  assert.match(await page.locator('[data-testid=reach-what]').textContent(), /after \d+ training steps/);
  await context.close();
});

test('/multi-head loads its head study\'s code after the model; if it cannot, the status says so and Try again runs the study', async () => {
  const { page, context } = await openPage(env.browser);
  const own = manifest.splits.multi_head_study_start?.find((f) => f.startsWith('split_multi_head_study_start-'));
  assert.ok(own, 'starting the study is a split point of its own');
  assert.ok(!manifest.splits.chapter_multi_head.includes(own), 'not in the first screen of /multi-head');
  const gate = await blockUntil(page, /split_multi_head_study_start-[0-9a-f]+\.wasm$/);
  await page.goto(`${env.base}/multi-head`);
  await waitForApp(page);
  const status = page.locator('[data-testid=study-status]');
  await status.filter({ hasText: 'did not arrive' }).waitFor({ timeout: 60000 });
  // The rest of the first screen works without it; the heads are not
  // said to be measuring.
  await page.locator('[data-testid=live-accuracy]').filter({ hasText: 'held-out accuracy' }).waitFor();
  assert.equal(await page.locator('[data-testid=head-1-1] .head-label').textContent(), 'not measured');
  gate.unblock();
  await page.locator('[data-testid=study-retry]').click();
  await status.filter({ hasText: 'Each head was measured' }).waitFor({ timeout: 90000 });
  assert.equal(await page.locator('[data-testid=study-retry]').count(), 0);
  await context.close();
});

test('the presenter\'s bar loads when presenting starts, not with a page; if it cannot, it says so and Try again shows it', async () => {
  const own = manifest.splits.presenter_bar?.find((f) => f.startsWith('split_presenter_bar-'));
  assert.ok(own, 'the bar is a split point of its own');
  assert.ok(!manifest.shell.includes(own) && !manifest.splits.chapter_qkv.includes(own), 'not in the shell or a first screen');
  const { page, context, errors } = await openPage(env.browser);
  const fetched = [];
  page.on('request', (r) => fetched.push(fileOf(r.url())));
  const gate = await blockUntil(page, /split_presenter_bar-[0-9a-f]+\.wasm$/);
  await page.goto(`${env.base}/qkv`);
  await waitForApp(page);
  await page.waitForSelector('.chapter-head h1', { timeout: 30000 });
  await page.waitForTimeout(500);
  assert.ok(!fetched.includes(own), 'fetched before presenting');
  // Keys need no bar: P starts presenting at once, and the bar's code is asked for.
  await page.keyboard.press('p');
  await page.waitForFunction(() => /present=1/.test(location.search));
  const failed = page.locator('[data-testid=load-failed]');
  await failed.waitFor({ timeout: 30000 });
  assert.match(await failed.textContent(), /presenter's controls could not be loaded/);
  assert.ok(fetched.includes(own));
  // Paging by key still works without it.
  await page.keyboard.press('ArrowRight');
  await page.waitForFunction(() => /present=2/.test(location.search));
  gate.unblock();
  await page.getByRole('button', { name: 'Try again' }).click();
  const where = page.locator('[data-testid=present-where]');
  await where.waitFor({ timeout: 30000 });
  assert.match(await where.textContent(), /slide 2 of/);
  assert.equal(await failed.count(), 0);
  await page.locator('[data-testid=present-exit]').click();
  await page.waitForFunction(() => !/present=/.test(location.search));
  assert.equal(await where.count(), 0);
  for (const e of errors) assert.match(e, /Failed to fetch|ERR_FAILED|failed to load/i, e);
  await context.close();
});
