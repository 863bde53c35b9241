/**
 * The package version, read once from package.json (the single source of truth).
 */
import fs from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../binding.js';

let cached: string | undefined;

/** The version field of mfl's package.json. */
export function packageVersion(): string {
  if (cached === undefined) {
    const text = fs.readFileSync(path.join(packageRoot, 'package.json'), 'utf8');
    cached = String((JSON.parse(text) as { version?: unknown }).version ?? 'unknown');
  }
  return cached;
}
