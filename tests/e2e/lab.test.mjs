// End-to-end tests of the lab (/lab), section 2 "Open a GPT-2 checkpoint":
// the fixture checkpoint (tests/fixtures/gpt2/trained/ + tokenizer.json) is
// given through the file input and through a synthetic drop, the attention
// view and the predictions appear, the shown loss and one attention weight
// match the transformers reference (tests/fixtures/gpt2/trained.json,
// written by tests/reference/make_gpt2_fixtures.py), switching a head off
// changes the loss as the reference's ablated run says, and bad files and
// bad links give their messages while the page keeps working. Every test
// fails on any console error or uncaught page error.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { start, withPage as withPageOf, waitForApp, openNumbers, readTable, repoRoot } from './helpers.mjs';

let env;
before(async () => { env = await start(); });
after(async () => { if (env) await env.stop(); });
const withPage = (fn, opts) => withPageOf(env.browser, fn, opts);

const fixtures = path.join(repoRoot, 'tests/fixtures/gpt2');
const reference = JSON.parse(fs.readFileSync(path.join(fixtures, 'trained.json'), 'utf8'));
const REF = reference.texts[0];
const file = (name, rel = name) => ({
  name, mimeType: 'application/octet-stream', buffer: fs.readFileSync(path.join(fixtures, rel)),
});
const CHECKPOINT = () => [
  file('config.json', 'trained/config.json'),
  file('model.safetensors', 'trained/model.safetensors'),
  file('tokenizer.json'),
];

async function open(page, query = '') {
  await page.goto(`${env.base}/lab${query}`);
  await waitForApp(page);
  await page.locator('[data-testid=open-drop]').waitFor();
}

/** The losses in "Loss of the text: 2.5999 nats … ; with 1 head off: 2.7494 (+0.1495)." */
async function losses(page) {
  const t = await page.locator('[data-testid=open-loss]').textContent();
  const m = t.match(/Loss of the text: ([\d.]+) nats per token with every head on(?:; with (\d+) heads? off: ([\d.]+))?/);
  assert.ok(m, t);
  return { on: Number(m[1]), nOff: m[2] ? Number(m[2]) : 0, off: m[3] ? Number(m[3]) : null, text: t };
}

async function loaded(page) {
  await page.locator('[data-testid=open-status]').filter({ hasText: 'Loaded:' }).waitFor({ timeout: 20000 });
  await page.locator('[data-testid=open-loss]').filter({ hasText: 'Loss of the text' }).waitFor();
}

const q = (text) => `?text=${encodeURIComponent(text)}`;

test('files from the picker: attention, predictions, the reference loss and weight, ablation', async () => {
  await withPage(async ({ page }) => {
    await open(page, q(REF.text));
    assert.match(await page.locator('[data-testid=open-privacy]').textContent(), /never uploaded/);
    // One file at a time: the checklist says what is still missing.
    await page.locator('[data-testid=open-files]').setInputFiles([file('tokenizer.json')]);
    await page.locator('[data-testid=open-status]').filter({ hasText: 'Still needed: config.json; model.safetensors.' }).waitFor();
    await page.locator('[data-testid=open-files]').setInputFiles(CHECKPOINT().slice(0, 2));
    await loaded(page);
    const chips = await page.locator('[data-testid=open-chips] button').count();
    assert.equal(chips, REF.ids.length, 'one chip per token of the reference tokenization');
    const base = await losses(page);
    assert.ok(Math.abs(base.on - REF.loss) < 2e-4, `${base.on} vs transformers ${REF.loss}`);
    // One attention weight against transformers: layer 1, head 1, query 6, key 1.
    const { rows } = await readTable(await openNumbers(page, 'open-map'));
    assert.equal(rows.length, REF.ids.length);
    const shown = Number(rows[5].cells[0]);
    const want = REF.attentions[0][0][5][0];
    assert.ok(Math.abs(shown - want) < 1e-5, `${shown} vs ${want}`);
    // The line view and the predictions at the last token.
    await page.locator('figure[data-testid=open-lines] canvas').waitFor();
    const preds = await readTable(page.locator('table[data-testid=open-predictions]'));
    assert.equal(preds.rows.length, 5);
    const probs = preds.rows.map((r) => Number(r.cells[2].replace('%', '')));
    assert.ok(probs.every((p, i) => p > 0 && (i === 0 || p <= probs[i - 1])), probs.join(' '));
    // Every head has a measured label.
    const heads = await readTable(page.locator('table[data-testid=open-heads]'));
    assert.equal(heads.rows.length, 8);
    assert.ok(heads.rows.every((r) => /induction|previous token|first token|local|long range|mixed/.test(r.cells[4])));
    // Switching off layer 2 head 3 (the reference's ablated head) changes the loss.
    await page.locator('[data-testid=open-head-2-3] button.head-switch').click();
    await page.locator('[data-testid=open-loss]').filter({ hasText: 'with 1 head off' }).waitFor();
    const ab = await losses(page);
    assert.equal(ab.on, base.on);
    assert.ok(Math.abs(ab.off - REF.ablated.loss) < 2e-4, `${ab.off} vs transformers ${REF.ablated.loss}`);
    assert.equal((await readTable(page.locator('table[data-testid=open-predictions]'))).header.length, 5);
    await page.waitForFunction(() => new URL(location.href).searchParams.get('off') === '2.3');
    // Choosing a query token and a head goes to the link too.
    await page.locator('[data-testid=open-chips] button').nth(2).click();
    await page.locator('[data-testid=open-head]').selectOption({ label: '3' });
    await page.waitForFunction(() => {
      const p = new URL(location.href).searchParams;
      return p.get('pos') === '3' && p.get('head') === '3';
    });
    assert.equal(await page.locator('[data-testid=open-chips] button').nth(2).getAttribute('aria-pressed'), 'true');
    await page.locator('[data-testid=open-all-on]').click();
    await page.locator('[data-testid=open-loss]').filter({ hasNotText: 'off' }).waitFor();
  });
});

test('files dropped together on the drop zone load the same model', async () => {
  await withPage(async ({ page }) => {
    await open(page, q(REF.text));
    const payload = CHECKPOINT().map((f) => ({ name: f.name, b64: f.buffer.toString('base64') }));
    await page.evaluate((files) => {
      const dt = new DataTransfer();
      for (const f of files) {
        const bytes = Uint8Array.from(atob(f.b64), (c) => c.charCodeAt(0));
        dt.items.add(new File([bytes], f.name));
      }
      const zone = document.querySelector('[data-testid=open-drop]');
      zone.dispatchEvent(new DragEvent('dragenter', { dataTransfer: dt, bubbles: true, cancelable: true }));
      zone.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
      zone.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    }, payload);
    await loaded(page);
    assert.ok(Math.abs((await losses(page)).on - REF.loss) < 2e-4);
    assert.equal(await page.locator('[data-testid=open-checklist] li.present').count(), 3);
  });
});

test('a malformed weights file and a wrong config give their messages; the page keeps working', async () => {
  await withPage(async ({ page }) => {
    await open(page);
    const input = page.locator('[data-testid=open-files]');
    await input.setInputFiles([
      file('config.json', 'trained/config.json'),
      file('tokenizer.json'),
      { name: 'model.safetensors', mimeType: 'application/octet-stream', buffer: Buffer.from('this is not a safetensors file at all') },
    ]);
    await page.locator('[data-testid=open-messages] li.error').filter({ hasText: 'not a safetensors file the lab can read' }).waitFor();
    assert.match(await page.locator('[data-testid=open-status]').textContent(), /Still needed: model\.safetensors/);
    const bert = { model_type: 'bert', architectures: ['BertForMaskedLM'], hidden_size: 768 };
    await input.setInputFiles([{ name: 'config.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(bert)) }]);
    await page.locator('[data-testid=open-messages] li.error').filter({ hasText: 'not a GPT-2 configuration' }).waitFor();
    await input.setInputFiles([{ name: 'pytorch_model.bin', mimeType: 'application/octet-stream', buffer: Buffer.from('x') }]);
    await page.locator('[data-testid=open-messages] li.error').filter({ hasText: 'only model.safetensors is read here' }).waitFor();
    // The right weights still load with the configuration kept from before.
    await input.setInputFiles([file('model.safetensors', 'trained/model.safetensors')]);
    await loaded(page);
  });
});

test('garbage in the link is clamped with notes, also to the model loaded', async () => {
  await withPage(async ({ page }) => {
    await open(page, '?layer=99&head=x&pos=-5&off=zz,9.9,2.3&seed=abc&text=%3Cscript%3Ehi%3C%2Fscript%3E');
    const notes = await page.locator('.lab-open ul.notes[role=status]').textContent();
    assert.match(notes, /layer = 99 is above the maximum/);
    assert.match(notes, /“zz”/);
    await page.locator('[data-testid=open-files]').setInputFiles(CHECKPOINT());
    await loaded(page);
    const text = await page.locator('[data-testid=open-inspector]').textContent();
    assert.match(text, /This model has 2 layers: showing layer 2 instead of 48/);
    assert.equal((await losses(page)).nOff, 1, 'head 2.3 of the link is off');
    assert.equal(await page.locator('[data-testid=open-text]').inputValue(), '<script>hi</script>');
    assert.equal(await page.locator('.lab-open script').count(), 0);
    // Text that gives no tokens says so instead of a map.
    await page.locator('[data-testid=open-text]').fill('');
    await page.locator('[data-testid=open-text]').dispatchEvent('change');
    await page.locator('[data-testid=open-error]').filter({ hasText: 'gives no tokens' }).waitFor();
  });
});
