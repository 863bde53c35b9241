/**
 * Property-based fuzzing of every public function, both backends and the raw native addon with
 * wrong inputs (fast-check, fixed seeds, so every run generates the same cases). Each group runs
 * in a child Node (driver.ts) under a 4 GiB address-space limit: a segfault, an abort or a hang
 * fails that group's test with the case that was running, and an attempt to allocate gigabytes
 * fails inside the child instead of taking memory from the machine.
 *
 * Cases per run (groups.ts states them per property): native 15,550; native-backend 7,900;
 * js-backend 6,200; specs 12,000; public 6,600; io 7,400: 55,650 in all, about 20 s.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadNative } from '../../src/binding.js';
import type { PropertyOutcome } from './driver.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const driver = path.join(here, 'driver.js');

/** Address space of a child: room for Node, the addon and BLAS threads, not for gigabytes. */
const ADDRESS_SPACE_KIB = 4 * 1024 * 1024;
/** A whole group far beyond its usual few seconds is hung. */
const GROUP_TIMEOUT_MS = 120_000;

const SPAWN_OPTIONS = {
  encoding: 'utf8',
  timeout: GROUP_TIMEOUT_MS,
  maxBuffer: 256 * 2 ** 20,
} as const;

/**
 * `withoutAddon` runs the group as a JS-only installation would: MFL_ADDON names a file that does
 * not exist, so the addon fails to load and the public functions meet that case as users do.
 */
const GROUPS: { name: string; seed: number; native: boolean; withoutAddon?: boolean }[] = [
  { name: 'native', seed: 0x5eed_0001, native: true },
  { name: 'native-backend', seed: 0x5eed_0100, native: true },
  { name: 'js-backend', seed: 0x5eed_0200, native: false },
  { name: 'specs', seed: 0x5eed_0300, native: false },
  { name: 'public', seed: 0x5eed_0400, native: false },
  { name: 'public', seed: 0x5eed_0400, native: false, withoutAddon: true },
  { name: 'io', seed: 0x5eed_0500, native: false },
];

const MISSING_ADDON = path.join(here, 'no-such-addon', 'mfl.node');

/** Whether a child Node with `env` loads the addon. */
function addonLoadsWith(env: NodeJS.ProcessEnv): boolean {
  const binding = path.join(here, '..', '..', 'src', 'binding.js');
  const script = `import(${JSON.stringify(binding)}).then((b) => console.log(b.loadNative().addon !== null))`;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', env });
  return r.stdout.trim() === 'true';
}

/** The last `case NAME ...` line the child wrote before it died. */
function lastCase(stderr: string): string {
  const lines = stderr.split('\n').filter((l) => l.startsWith('case '));
  return lines[lines.length - 1] ?? '(none: it died before the first case)';
}

/** How a child that did not finish ended, the case it was running and its other output. */
function deathReport(
  group: { name: string; seed: number },
  r: { error?: Error; signal: string | null; status: number | null; stderr: string },
): string {
  const how = r.signal ? `died of ${r.signal}` : `exited with ${r.status}`;
  const error = r.error ? ` (${r.error.message})` : '';
  const other = (r.stderr ?? '')
    .split('\n')
    .filter((l) => !l.startsWith('case '))
    .join('\n')
    .slice(-3000);
  return (
    `the ${group.name} child ${how}${error} during\n  ${lastCase(r.stderr ?? '')}\n` +
    `seed ${group.seed}; stderr:\n${other}`
  );
}

function describeFailure(group: string, o: PropertyOutcome): string {
  return [
    `${o.name}: ${o.problem}`,
    `  counterexample: ${o.counterexample}`,
    `  replay: node --expose-gc dist/test/fuzz/driver.js ${group} ${o.seed} --only '${o.name}'` +
      ` --path '${o.path}'`,
  ].join('\n');
}

for (const group of GROUPS) {
  const skip = group.native && !loadNative().addon ? `native addon unavailable` : false;
  test(
    `fuzz ${group.name}${group.withoutAddon ? ' (addon absent)' : ''}: wrong inputs throw ` +
      'named, coded errors; none crash or hang',
    { skip },
    () => {
      const env = group.withoutAddon ? { ...process.env, MFL_ADDON: MISSING_ADDON } : process.env;
      if (group.withoutAddon) assert.equal(addonLoadsWith(env), false, 'the addon still loads');
      // The address-space limit needs a POSIX shell; elsewhere the child runs without it.
      const args = [process.execPath, '--expose-gc', driver, group.name, String(group.seed)];
      const limited = `ulimit -v ${ADDRESS_SPACE_KIB} 2>/dev/null; exec "$0" "$@"`;
      const r =
        process.platform === 'win32'
          ? spawnSync(args[0]!, args.slice(1), { ...SPAWN_OPTIONS, env })
          : spawnSync('/bin/sh', ['-c', limited, ...args], { ...SPAWN_OPTIONS, env });
      const died = r.error || r.signal || r.status !== 0 ? deathReport(group, r) : null;
      assert.equal(died, null);
      const lines = r.stdout.trim().split('\n');
      const outcomes = JSON.parse(lines[lines.length - 1] ?? '[]') as PropertyOutcome[];
      assert.ok(outcomes.length > 0, `no properties ran in ${group.name}`);
      const failures = outcomes.filter((o) => o.failed).map((o) => describeFailure(group.name, o));
      assert.deepEqual(failures, []);
    },
  );
}
