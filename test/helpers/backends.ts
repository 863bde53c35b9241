/**
 * The backends a backend-generic test runs on: every one that loads here (js always, native once
 * the addon is built), so one test file covers both.
 */
import assert from 'node:assert/strict';
import { availableBackends, nativeUnavailableReason } from '../../src/backend/index.js';
import { jsBackend } from '../../src/backend/js/index.js';
import type { Backend } from '../../src/backend/types.js';

export const backends: Backend[] = availableBackends();

export { jsBackend };

/** The native backend, or undefined when the addon does not load. */
export function nativeBackend(): Backend | undefined {
  return backends.find((backend) => backend.name === 'native');
}

/**
 * `skip` option of a test that needs the native backend: false when it loads, else the reason,
 * so node's runner reports the test as skipped instead of letting it pass vacuously.
 */
export function skipUnlessNative(): string | false {
  if (nativeBackend()) return false;
  return `native backend unavailable: ${nativeUnavailableReason() ?? 'not built'}`;
}

/** The native backend, in a test that `skipUnlessNative` already let run. */
export function requireNative(): Backend {
  const backend = nativeBackend();
  assert.ok(backend, 'native backend vanished');
  return backend;
}
