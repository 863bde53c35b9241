/**
 * Temporary directories for IO tests, removed when the test file ends.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after } from 'node:test';

/** A fresh directory under the system temp dir, deleted after the calling test file. */
export function tempDir(prefix = 'mfl-test-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}
