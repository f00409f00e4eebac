// The gRPC server in-process: health service, strict reply order when a phase
// awaits, and a broken message answered with an error instead of a crash.
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfigObject } from '../../src/config/load.js';
import { type RunningProcessor, startProcessor } from '../../src/server/index.js';
import { loadProtos } from '../../src/server/protos.js';

let proc: RunningProcessor;
const hdr = (h: Record<string, string>) => ({ headers: Object.entries(h).map(([key, v]) => ({ key, raw_value: Buffer.from(v) })) });

beforeAll(async () => {
  const config = parseConfigObject({ defaultBackend: 'a', backends: { a: { provider: 'openai', endpoint: 'http://127.0.0.1:9' } } });
  proc = await startProcessor({ config, grpcListen: 0, adminPort: 0, host: '127.0.0.1' });
});
afterAll(() => proc.stop(100));

describe('gRPC server', () => {
  it('serves grpc.health.v1.Health', async () => {
    const { HealthClient } = loadProtos();
    const client = new HealthClient(`127.0.0.1:${proc.grpcPort}`, grpc.credentials.createInsecure()) as unknown as grpc.Client & { Check(req: unknown, cb: (e: unknown, r: { status: string }) => void): void };
    const res = await new Promise<{ status: string }>((ok, fail) => client.Check({ service: '' }, (e, r) => (e ? fail(e) : ok(r))));
    expect(res.status).toBe('SERVING');
    client.close();
  });

  it('answers pipelined messages in order, one reply each', async () => {
    const { ExternalProcessorClient } = loadProtos();
    const client = new ExternalProcessorClient(`127.0.0.1:${proc.grpcPort}`, grpc.credentials.createInsecure()) as unknown as grpc.Client & { Process(): grpc.ClientDuplexStream<unknown, Record<string, unknown>> };
    const call = client.Process();
    const replies: string[] = [];
    call.on('data', (r: Record<string, unknown>) => replies.push(String(r.response)));
    const body = Buffer.from(JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }));
    // Envoy may send the body before the header reply arrives; replies must keep the order.
    call.write({ request_headers: { headers: hdr({ ':method': 'POST', ':path': '/v1/chat/completions', 'content-length': String(body.length) }) } });
    call.write({ request_body: { body, end_of_stream: true } });
    call.write({ response_headers: { headers: hdr({ ':status': '200', 'content-type': 'application/json' }) } });
    call.write({ response_body: { body: Buffer.from('{"usage":{"prompt_tokens":1,"completion_tokens":2}}'), end_of_stream: true } });
    call.end();
    await new Promise((ok) => call.on('end', ok));
    expect(replies).toEqual(['request_headers', 'request_body', 'response_headers', 'response_body']);
    client.close();
  });

  it('a garbage body does not take the processor down', async () => {
    const { ExternalProcessorClient } = loadProtos();
    const client = new ExternalProcessorClient(`127.0.0.1:${proc.grpcPort}`, grpc.credentials.createInsecure()) as unknown as grpc.Client & { Process(): grpc.ClientDuplexStream<unknown, Record<string, unknown>> };
    const call = client.Process();
    const replies: Record<string, unknown>[] = [];
    call.on('data', (r: Record<string, unknown>) => replies.push(r));
    call.write({ request_headers: { headers: hdr({ ':method': 'POST', ':path': '/v1/chat/completions' }) } });
    call.write({ request_body: { body: Buffer.from([0xff, 0xfe, 0x00, 0x7b]), end_of_stream: true } });
    call.end();
    await new Promise((ok) => call.on('end', ok));
    expect(replies[1]!.immediate_response).toMatchObject({ status: { code: 'BadRequest' } });
    client.close();
  });
});

describe('HTTP/2 limits', () => {
  it('lifts rapid-reset protection on the processor server (Envoy resets every ext_proc stream)', () => {
    const options = (proc.grpc.server as unknown as { commonServerOptions: Record<string, unknown> }).commonServerOptions;
    expect(options).toMatchObject({ streamResetBurst: 1_000_000, streamResetRate: 1_000_000 });
  });
});
