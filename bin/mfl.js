#!/usr/bin/env node
// The `mfl` command: runs the compiled CLI (npm run build writes dist/).

// One BLAS thread unless the user asks for more: mfl's kernels multiply in cache-sized blocks,
// where OpenBLAS threads cost more than they give (the README's SGLD example took 61 s with two
// threads on a busy 2-core machine and 14.6 s with one, with identical numbers); parallelism
// comes from chains and sweep jobs instead. OpenBLAS reads this when the addon loads, below.
process.env.OPENBLAS_NUM_THREADS ??= '1';

let main;
try {
  ({ main } = await import('../dist/src/cli/main.js'));
} catch (err) {
  const missing =
    err && err.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('dist');
  process.stderr.write(
    missing ? 'mfl: not built yet; run `npm run build` first\n' : `mfl: ${err && err.message}\n`,
  );
  process.exitCode = 1;
}
if (main) process.exitCode = await main(process.argv.slice(2));
