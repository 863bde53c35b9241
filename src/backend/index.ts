/**
 * Backend selection: `MFL_BACKEND=native|js`, default native when the addon loads, js otherwise.
 */
import { MflError, outOfRange } from '../errors.js';
import { loadNative, type NativeAddonSource } from '../binding.js';
import { jsBackend } from './js/index.js';
import { createNativeBackend } from './native.js';
import type { Backend, BackendName } from './types.js';

export type * from './types.js';

let native: Backend | null | undefined;

function nativeBackend(): Backend | null {
  if (native === undefined) {
    const { addon } = loadNative();
    native = addon ? createNativeBackend(addon) : null;
  }
  return native;
}

/** Why the native backend is unavailable, or null when it loads. */
export function nativeUnavailableReason(): string | null {
  return loadNative().error;
}

/** The native addon's file and whether it is a local build, the prebuild or MFL_ADDON's. */
export function nativeAddonFile(): { file: string; source: NativeAddonSource } | null {
  const { file, source } = loadNative();
  return file !== null && source !== null ? { file, source } : null;
}

/**
 * The backend named `name`, or the one `MFL_BACKEND` names, or native when it loads and js
 * otherwise.
 * @throws MflError ERR_MFL_NATIVE_UNAVAILABLE when native is requested but cannot load.
 */
export function getBackend(name: string | undefined = process.env.MFL_BACKEND): Backend {
  if (name === undefined || name === '') return nativeBackend() ?? jsBackend;
  return named(name, 'MFL_BACKEND');
}

/**
 * The backend of a checked `backend` option (see backendOption in ./options.ts): the object
 * itself, the backend a name names, or `getBackend()` when absent.
 * @throws MflError ERR_MFL_NATIVE_UNAVAILABLE, naming options.backend, for "native" when the
 *   addon cannot load
 */
export function resolveBackend(option: Backend | BackendName | undefined): Backend {
  if (option === undefined) return getBackend();
  return typeof option === 'object' ? option : named(option, 'options.backend');
}

/** The backend `name` names; `source` is where the name came from, for messages. */
function named(name: string, source: string): Backend {
  if (name === 'js') return jsBackend;
  if (name === 'native') {
    const backend = nativeBackend();
    if (!backend) {
      throw new MflError(
        'ERR_MFL_NATIVE_UNAVAILABLE',
        `${source}: "native", but the native addon could not be loaded: ${nativeUnavailableReason()}`,
      );
    }
    return backend;
  }
  throw outOfRange(source, '"native" or "js"', name);
}

/** Every backend that can run here (js always; native when the addon loads). */
export function availableBackends(): Backend[] {
  const nb = nativeBackend();
  return nb ? [nb, jsBackend] : [jsBackend];
}

export function isBackendName(value: string): value is BackendName {
  return value === 'native' || value === 'js';
}
