/**
 * What a user hears when mfl runs without its native addon: once, before any long work, that the
 * TypeScript backend is in use, how much slower it is, why, and the one command that fixes it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { getBackend, nativeUnavailableReason } from '../backend/index.js';
import { packageRoot } from '../binding.js';
import type { CliIo } from './io.js';

/**
 * The command that gives this installation its native addon: `npm run setup` in a checkout (it
 * installs OpenBLAS, cmake and g++ and rebuilds), else the system packages and a rebuild.
 */
export function nativeFixCommand(root = packageRoot): string {
  if (
    fs.existsSync(path.join(root, '.git')) &&
    fs.existsSync(path.join(root, 'scripts', 'setup.mjs'))
  )
    return 'npm run setup';
  return (
    'install OpenBLAS, cmake and a C++ compiler (Debian/Ubuntu: apt-get install libopenblas-dev ' +
    'cmake g++ pkg-config; macOS: brew install openblas cmake), then npm rebuild mfl'
  );
}

/** The notice, or null when the native backend runs or the js one was asked for. */
export function slowBackendNotice(env: NodeJS.ProcessEnv = process.env): string | null {
  if (env.MFL_BACKEND === 'js') return null;
  const reason = nativeUnavailableReason();
  if (reason === null || getBackend().name !== 'js') return null;
  return (
    `mfl: running on the TypeScript backend, because the native addon is unavailable (${reason}).\n` +
    'mfl: it is 15-30x slower (one SGLD step, npm run bench); long runs take that much longer.\n' +
    `mfl: to fix it: ${nativeFixCommand()}\n`
  );
}

/** Prints the notice to stderr once per process, before a long command starts its work. */
let told = false;
export function warnIfSlowBackend(io: CliIo): void {
  if (told) return;
  const notice = slowBackendNotice();
  if (notice === null) return;
  told = true;
  io.stderr(notice);
}
