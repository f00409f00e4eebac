// Heavy dependencies that only some deployments use (tiktoken's WebAssembly encoder, AWS
// signing and event-stream framing) are loaded on first use: imported up front they would
// add tens of MiB to every processor's resident memory, used or not.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** A loader for module `id` that requires it the first time it is called. */
export function lazyModule<T>(id: string): () => T {
  let mod: T | undefined;
  return () => (mod ??= require(id) as T);
}
