#!/usr/bin/env node
// `npm test`: compile the TypeScript (sources and tests), then run the whole suite once with
// node's built-in runner. Backend-generic tests loop over every available backend themselves, so
// one run covers native and js and prints one summary.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function run(args) {
  const r = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

// A clean output folder, so a deleted test never runs from a stale compiled copy.
fs.rmSync(path.join(root, 'dist'), { recursive: true, force: true });
run([path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json']);
// Only *.test.js files are tests: node's default patterns would also run every helper under a
// test/ folder as if it were one.
function testFiles(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return testFiles(p);
    return e.name.endsWith('.test.js') ? [path.relative(root, p)] : [];
  });
}

const requested = process.argv.slice(2);
run([
  '--test',
  ...(requested.length > 0 ? requested : testFiles(path.join(root, 'dist', 'test')).sort()),
]);
