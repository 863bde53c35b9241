#!/usr/bin/env node
// Formats (or with --check, verifies) every C++ file under native/ with clang-format.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const check = process.argv.includes('--check');

function cppFiles(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return cppFiles(p);
    return /\.(cpp|hpp|h|cc)$/.test(e.name) ? [p] : [];
  });
}

const files = cppFiles(path.join(root, 'native'));
const args = check ? ['--dry-run', '--Werror', ...files] : ['-i', ...files];
const r = spawnSync('clang-format', args, { stdio: 'inherit' });
if (r.error) {
  console.error(`clang-format not available: ${r.error.message}`);
  process.exit(2);
}
process.exit(r.status ?? 1);
