// Whether the processor traces, and where to: the config key, the standard OTEL_* variables,
// and the switches that turn them off.
import { afterEach, describe, expect, it } from 'vitest';
import { tracesUrl } from '../../src/envoy/tracing.js';
import { configureTracing, RequestSpan, shutdownTracing } from '../../src/telemetry/tracing.js';

const base = { serviceName: 'llm-extproc', sampleRatio: 1, captureContent: false };
const ENV = ['OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', 'OTEL_SDK_DISABLED', 'OTEL_TRACES_EXPORTER'];

afterEach(async () => {
  for (const k of ENV) delete process.env[k];
  await shutdownTracing();
});

describe('tracing settings', () => {
  it('is off without an endpoint: spans are no-ops', async () => {
    await configureTracing(base);
    expect(RequestSpan.start([new Map()]).recording).toBe(false);
  });

  it('follows telemetry.otlp.endpoint, and OTEL_EXPORTER_OTLP_[TRACES_]ENDPOINT without it', async () => {
    await configureTracing({ ...base, endpoint: 'http://127.0.0.1:4318' });
    expect(RequestSpan.start([new Map()]).recording).toBe(true);
    await configureTracing(base);
    expect(RequestSpan.start([new Map()]).recording).toBe(false);
    process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT = 'http://127.0.0.1:4318/v1/traces';
    await configureTracing(base);
    expect(RequestSpan.start([new Map()]).recording).toBe(true);
  });

  it('OTEL_SDK_DISABLED and OTEL_TRACES_EXPORTER=none turn the variables off', async () => {
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = 'http://127.0.0.1:4318';
    process.env.OTEL_TRACES_EXPORTER = 'none';
    await configureTracing(base);
    expect(RequestSpan.start([new Map()]).recording).toBe(false);
    delete process.env.OTEL_TRACES_EXPORTER;
    process.env.OTEL_SDK_DISABLED = 'true';
    await configureTracing(base);
    expect(RequestSpan.start([new Map()]).recording).toBe(false);
  });

  it('a sampled parent is followed, an unsampled one is not, whatever the ratio', async () => {
    await configureTracing({ ...base, endpoint: 'http://127.0.0.1:4318', sampleRatio: 0 });
    const parent = (flags: string) => new Map([['traceparent', `00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-${flags}`]]);
    expect(RequestSpan.start([parent('01')]).recording).toBe(true);
    expect(RequestSpan.start([parent('00')]).recording).toBe(false);
    expect(RequestSpan.start([new Map()]).recording).toBe(false);
  });

  it('an endpoint without a path gets /v1/traces; one with a path is taken as given', () => {
    expect(tracesUrl('http://collector:4318')).toBe('http://collector:4318/v1/traces');
    expect(tracesUrl('https://otel.example.com/custom/traces')).toBe('https://otel.example.com/custom/traces');
  });
});
