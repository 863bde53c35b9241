/**
 * test/native/transfer.test.ts again from the backend folder, so that the sanitizer test
 * (test/build/sanitize.test.ts), which runs this folder against an ASan build, runs it too: its
 * children inherit that build and the preloaded runtime, and a use-after-free fails it even
 * where a plain build would not crash.
 */
import '../native/transfer.test.js';
