#!/usr/bin/env node
// The `mfl` command: runs the compiled CLI (npm run build writes dist/).
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
