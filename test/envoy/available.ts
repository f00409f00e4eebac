// Whether these tests can run a real Envoy. On CI (CI=true) a missing Envoy is a failure,
// never a skip: the validate tests are the only proof the generated YAML is accepted.
import { ENVOY_MISSING_HINT, findEnvoy, type FoundEnvoy } from '../../src/envoy/find.js';

export const requireEnvoy = process.env.CI === 'true';
export const envoy: FoundEnvoy | undefined = await findEnvoy();
export const skipRealEnvoy = !envoy && !requireEnvoy;

if (skipRealEnvoy) console.warn(`[test/envoy] skipping real-Envoy tests: ${ENVOY_MISSING_HINT}`);

/** The Envoy to use inside a real-Envoy test; throws (fails the test) when there is none. */
export function theEnvoy(): FoundEnvoy {
  if (!envoy) throw new Error(`${ENVOY_MISSING_HINT} (CI=true: Envoy is required here)`);
  return envoy;
}
