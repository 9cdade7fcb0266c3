// A tiny sequential test runner for the browser tests: named steps, timing, screenshots, one summary.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export const ARTIFACTS = process.env.ARTIFACTS_DIR ?? join(process.cwd(), "test-artifacts");
mkdirSync(ARTIFACTS, { recursive: true });

const tests = [];
export function test(name, fn) {
  tests.push({ name, fn });
}

export class AssertionError extends Error {}
export function assert(condition, message) {
  if (!condition) throw new AssertionError(message);
}

/** Runs every test in order; a failure does not stop the rest. Returns the counts. */
export async function run({ onFailure } = {}) {
  const results = [];
  for (const t of tests) {
    const started = Date.now();
    try {
      await t.fn();
      results.push({ name: t.name, ok: true, ms: Date.now() - started });
      console.log(`  ✓ ${t.name} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    } catch (e) {
      results.push({ name: t.name, ok: false, ms: Date.now() - started, error: String(e?.stack ?? e) });
      console.log(`  ✗ ${t.name}\n      ${String(e?.message ?? e).split("\n").join("\n      ")}`);
      if (onFailure) await onFailure(t.name).catch(() => {});
    }
  }
  const passed = results.filter((r) => r.ok).length;
  const failed = results.length - passed;
  writeFileSync(join(ARTIFACTS, "e2e-results.json"), JSON.stringify({ passed, failed, results }, null, 2));
  return { passed, failed };
}

export function slug(name) {
  return name.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");
}
