/**
 * Runs one group of fuzz properties in this (child) process, so a crash ends only this process
 * and the parent reports it. Usage:
 *
 *   node --expose-gc dist/test/fuzz/driver.js GROUP SEED [--only NAME] [--runs N] [--path PATH]
 *     [--survey]
 *
 * Before each case it writes `case NAME <case>` to stderr, so the last such line names the case
 * that crashed or hung. At the end it prints one JSON line with each property's outcome. With
 * --survey it runs the same cases without stopping at the first failure and prints every
 * distinct problem instead (for exploring; the suite never uses it).
 */
import fs from 'node:fs';
import fc from 'fast-check';
import { GROUPS } from './groups.js';
import { caseArb, runCase, tally, type Case, type Tally } from './model.js';

export interface PropertyOutcome {
  name: string;
  numRuns: number;
  seed: number;
  failed: boolean;
  counterexample?: string;
  path?: string;
  problem?: string;
  seconds: number;
  /** How the generated cases ended (shrinking included). */
  tally: Tally;
}

function option(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i < 0 ? undefined : process.argv[i + 1];
}

function trace(name: string, c: Case<unknown>): void {
  const text = fc.stringify(c);
  fs.writeSync(2, `case ${name} ${text.length > 2000 ? `${text.slice(0, 2000)}...` : text}\n`);
}

async function main(): Promise<void> {
  const [group = '', seedText = '1'] = process.argv.slice(2);
  const make = GROUPS[group];
  if (!make) throw new Error(`unknown group ${group}: one of ${Object.keys(GROUPS).join(', ')}`);
  const only = option('--only');
  const runs = option('--runs');
  const replayPath = option('--path');
  const survey = process.argv.includes('--survey');
  const outcomes: PropertyOutcome[] = [];
  const entries = make().filter((e) => only === undefined || e.model.name === only);
  for (const [i, { model, numRuns: defaultRuns }] of entries.entries()) {
    const seed = Number(seedText) + i;
    const numRuns = runs === undefined ? defaultRuns : Number(runs);
    const started = performance.now();
    Object.assign(tally, { excluded: 0, notRun: 0, threw: 0, returned: 0 });
    const arb = caseArb(model);
    if (survey) {
      const problems = new Map<string, string>();
      for (const c of fc.sample(arb, { seed, numRuns })) {
        trace(model.name, c);
        const problem = await runCase(model, c).catch((e: unknown) => `threw: ${String(e)}`);
        const key = problem?.replace(/\d+(\.\d+)?(e[+-]?\d+)?/g, '#').slice(0, 160);
        if (problem && key && !problems.has(key))
          problems.set(key, `${problem}\n    ${fc.stringify(c)}`);
      }
      for (const p of problems.values()) process.stdout.write(`${model.name}: ${p}\n`);
      process.stdout.write(`${model.name}: ${JSON.stringify(tally)}\n`);
      continue;
    }
    const property = fc.asyncProperty(arb, async (c) => {
      trace(model.name, c);
      const problem = await runCase(model, c);
      if (problem) throw new Error(problem);
    });
    const details = await fc.check(property, {
      seed,
      numRuns,
      path: replayPath,
      endOnFailure: replayPath !== undefined,
    });
    const outcome: PropertyOutcome = {
      name: model.name,
      numRuns: details.numRuns,
      seed,
      failed: details.failed,
      seconds: (performance.now() - started) / 1000,
      tally: { ...tally },
    };
    if (details.failed) {
      outcome.counterexample = fc.stringify(details.counterexample?.[0]);
      outcome.path = details.counterexamplePath ?? undefined;
      const err = details.errorInstance;
      outcome.problem = err instanceof Error ? err.message : String(err);
    }
    outcomes.push(outcome);
  }
  process.stdout.write(`${JSON.stringify(outcomes)}\n`);
  // Pending native jobs of a case that timed out must not keep the process alive.
  process.exit(0);
}

await main();
