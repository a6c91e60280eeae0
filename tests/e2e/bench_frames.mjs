// Frame times during the page's long runs (not a test: timings are reported,
// never asserted).
//
// Usage: node tests/e2e/bench_frames.mjs [--seconds 10] [--throttle 1,4] [--only scaling,rnn-race]
//
// For every run the page does through `training::Runner` it opens the
// chapter, waits for the page to settle, scrolls the run's start button into
// view and clicks it (as a learner would), then records for `--seconds`
// every requestAnimationFrame delta in the page, and the long tasks (over
// 50 ms) a PerformanceObserver sees. Runs that start by themselves
// (`Runner::auto`: the translators' length measurement, the head study, the
// sparse and KV timings) are recorded from the page load instead.
// Printed per run: frames, p50 / p95 / max frame time, the share of frames
// under 20 ms, long tasks, and the run's units per second as the runner
// counted them (`window.__attnRun`, written by src/training.rs: units done
// and milliseconds worked, summed over every runner of the page) together
// with the longest slice of work one frame did.
//
// `--throttle 1,4` repeats everything at each CPU throttling rate (CDP
// `Emulation.setCPUThrottlingRate`; 1 = not throttled).
import { start, openPage, waitForApp, waitForPaintsToSettle } from './helpers.mjs';

const args = process.argv.slice(2);
const arg = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const SECONDS = Number(arg('--seconds', '10'));
const THROTTLES = arg('--throttle', '1').split(',').map(Number);
const ONLY = arg('--only', '').split(',').filter(Boolean);
const json = args.includes('--json');

// name, path, start button (null: starts by itself on load), what a unit is.
const RUNS = [
  { name: 'bottleneck-retrain', path: '/bottleneck', button: 'retrain-toggle', unit: 'steps' },
  { name: 'bottleneck-length', path: '/bottleneck', button: null, unit: 'sentences' },
  { name: 'alignment-learn', path: '/alignment', button: 'learn-toggle', unit: 'steps' },
  { name: 'scaling', path: '/scaling', button: 'train-toggle', unit: 'steps' },
  { name: 'self-attention-retrain', path: '/self-attention', button: 'retrain-toggle', unit: 'steps' },
  { name: 'cost-timing', path: '/cost', button: 'time-toggle', unit: 'slices' },
  { name: 'cost-load', path: '/cost', button: null, unit: 'units' },
  { name: 'multi-head-study', path: '/multi-head', button: null, unit: 'units' },
  { name: 'multi-head-race', path: '/multi-head', button: 'race-toggle', unit: 'steps' },
  { name: 'position', path: '/position', button: 'exp-toggle', unit: 'units' },
  { name: 'rnn-race', path: '/rnn', button: 'race-toggle', unit: 'steps' },
  { name: 'rnn-timing', path: '/rnn', button: 'time-toggle', unit: 'calls' },
].filter((r) => !ONLY.length || ONLY.includes(r.name));

function stats(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p) => (s.length ? s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))] : NaN);
  return {
    frames: s.length,
    p50: q(0.5),
    p95: q(0.95),
    max: s.length ? s[s.length - 1] : NaN,
    under20: s.length ? (100 * s.filter((x) => x < 20).length) / s.length : NaN,
  };
}

/** Starts recording in the page: rAF deltas, long tasks, the runner counters. */
async function record(page) {
  await page.evaluate(() => {
    const r = { deltas: [], long: [], stop: false };
    window.__frames = r;
    const run = window.__attnRun || { units: 0, workMs: 0, frames: 0, maxSliceMs: 0 };
    r.run0 = { units: run.units, workMs: run.workMs, frames: run.frames };
    if (window.__attnRun) window.__attnRun.maxSliceMs = 0;
    r.t0 = performance.now();
    let last = null;
    const tick = (t) => {
      if (r.stop) return;
      if (last !== null) r.deltas.push(t - last);
      last = t;
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
    try {
      r.obs = new PerformanceObserver((list) => {
        for (const e of list.getEntries()) r.long.push(e.duration);
      });
      r.obs.observe({ type: 'longtask' });
    } catch (_) {
      r.long = null;
    }
  });
}

async function finish(page) {
  return page.evaluate(() => {
    const r = window.__frames;
    r.stop = true;
    r.obs?.disconnect();
    const secs = (performance.now() - r.t0) / 1000;
    const run = window.__attnRun || { units: 0, workMs: 0, frames: 0, maxSliceMs: 0 };
    return {
      deltas: r.deltas,
      long: r.long,
      secs,
      units: run.units - r.run0.units,
      workMs: run.workMs - r.run0.workMs,
      runFrames: run.frames - r.run0.frames,
      maxSliceMs: run.maxSliceMs,
    };
  });
}

const fmt = (v, d = 1) => (Number.isFinite(v) ? v.toFixed(d) : '-');
const results = [];
const { base, browser, stop } = await start();
try {
  for (const rate of THROTTLES) {
    if (!json) {
      console.log(`\nCPU throttling ${rate}x, ${SECONDS} s per run`);
      console.log('run                      frames   p50    p95    max   <20ms  long  units/s  work/frame max');
    }
    for (const run of RUNS) {
      const { page, context, errors } = await openPage(browser);
      const cdp = await context.newCDPSession(page);
      await cdp.send('Emulation.setCPUThrottlingRate', { rate });
      let res;
      if (run.button) {
        await page.goto(`${base}${run.path}`);
        await waitForApp(page);
        // Let what starts by itself (models loading, automatic measurements) finish.
        await page.waitForTimeout(3000 * rate);
        await waitForPaintsToSettle(page, { needPaint: false, quietMs: 500, timeout: 60000 * rate }).catch(() => {});
        const button = page.locator(`[data-testid=${run.button}]`);
        await button.scrollIntoViewIfNeeded();
        await page.waitForFunction((id) => !document.querySelector(`[data-testid=${id}]`).disabled,
          run.button, { timeout: 60000 * rate }).catch(() => {});
        await page.waitForTimeout(500);
        await record(page);
        await button.click();
      } else {
        // Automatic runs: record from the load.
        await page.goto(`${base}${run.path}`);
        await waitForApp(page);
        await record(page);
      }
      await page.waitForTimeout(SECONDS * 1000);
      res = await finish(page);
      const s = stats(res.deltas);
      const unitsPerS = res.workMs > 0 ? res.units / res.secs : NaN;
      const row = {
        run: run.name, throttle: rate, ...s, longTasks: res.long ? res.long.length : null,
        longMax: res.long && res.long.length ? Math.max(...res.long) : 0,
        unitsPerS, unit: run.unit, maxSliceMs: res.maxSliceMs, runFrames: res.runFrames,
        errors,
      };
      results.push(row);
      if (!json) {
        console.log(`${run.name.padEnd(24)} ${String(s.frames).padStart(6)} ${fmt(s.p50).padStart(5)} ${fmt(s.p95).padStart(6)} ${fmt(s.max).padStart(6)} ${fmt(s.under20, 0).padStart(5)}% ${String(row.longTasks ?? '-').padStart(5)} ${fmt(unitsPerS).padStart(8)} ${run.unit.padEnd(9)} ${fmt(res.maxSliceMs).padStart(6)}${errors.length ? `  ERRORS: ${errors.join('; ')}` : ''}`);
      }
      await context.close();
    }
  }
} finally {
  await stop();
}
if (json) console.log(JSON.stringify(results, null, 2));
