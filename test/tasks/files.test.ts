/** The atomic writer's leftovers: what a process killed mid-write leaves, and their removal. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { removeLeftoverTempFiles, writeFileAtomic } from '../../src/tasks/io/files.js';
import { tempDir } from './tmp.js';

test("removeLeftoverTempFiles removes only the file's own temp files", async () => {
  const dir = tempDir('mfl-files-');
  const file = path.join(dir, 'abc.ckpt');
  await writeFileAtomic(file, ['state']);
  assert.deepEqual(fs.readdirSync(dir), ['abc.ckpt'], 'a completed write leaves no temp file');
  // As writeFileAtomic names them: .NAME.PID.RANDOM.tmp
  const leftovers = ['.abc.ckpt.123.0a1b2c3d.tmp', '.abc.ckpt.456.deadbeef.tmp'];
  const others = ['.abd.ckpt.123.0a1b2c3d.tmp', 'abc.ckpt.tmp', '.abc.ckpt.123.0a1b2c3d.tmp.keep'];
  for (const name of [...leftovers, ...others]) fs.writeFileSync(path.join(dir, name), 'x');
  removeLeftoverTempFiles(file);
  assert.deepEqual(fs.readdirSync(dir).sort(), ['abc.ckpt', ...others].sort());
  assert.equal(fs.readFileSync(file, 'utf8'), 'state');
  removeLeftoverTempFiles(path.join(dir, 'missing', 'x.ckpt')); // no folder: nothing to do
});
