// The hand-written Struct encoder against protobufjs's decoder: whatever metadata a reply
// carries, Envoy must read back exactly what the processor meant.
import { join } from 'node:path';
import fc from 'fast-check';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { fromStruct, toStruct } from '../../src/extproc/struct.js';
import { appendStructField } from '../../src/extproc/struct-wire.js';
import { loadProtos, PROTO_DIR } from '../../src/server/protos.js';
import type { ProcessingResponse } from '../../src/extproc/types.js';

const root = new protobuf.Root();
root.resolvePath = (_o, t) => (t.startsWith('google/protobuf/') ? t : join(PROTO_DIR, t));
root.loadSync('envoy/service/ext_proc/v3/external_processor.proto', { keepCase: true });
root.resolveAll();
const Response = root.lookupType('envoy.service.ext_proc.v3.ProcessingResponse');
const Struct = root.lookupType('google.protobuf.Struct');

/** What a decoder reads from bytes, as plain values. */
function readBack(bytes: Uint8Array): { reply: Record<string, unknown>; metadata: Record<string, unknown> } {
  const reply = Response.toObject(Response.decode(bytes), { defaults: false, oneofs: false }) as Record<string, unknown>;
  const md = reply.dynamic_metadata as Parameters<typeof fromStruct>[0];
  delete reply.dynamic_metadata;
  return { reply, metadata: fromStruct(md) };
}

const metadataValue = fc.jsonValue({ maxDepth: 4 }).filter((v) => !JSON.stringify(v).includes('"__proto__"')) as fc.Arbitrary<unknown>;
// `__proto__` is left out: a plain JS object cannot hold it as a key (protobufjs's reader neither).
const key = fc.string({ unit: 'grapheme', maxLength: 12 }).filter((k) => k !== '__proto__');
const metadata = fc.dictionary(key, metadataValue, { maxKeys: 12 });

describe('the Struct wire encoder', () => {
  it('writes what protobufjs reads back, for any JSON-shaped metadata', () => {
    fc.assert(
      fc.property(metadata, (md) => {
        const struct = toStruct({ llm_extproc: md });
        const bytes = appendStructField(new Uint8Array(0), 8, struct);
        expect(readBack(bytes).metadata).toEqual(fromStruct(Struct.toObject(Struct.fromObject(struct)) as Parameters<typeof fromStruct>[0]));
        expect(Buffer.compare(bytes, Buffer.from(Response.encode({ dynamic_metadata: struct } as unknown as protobuf.Message).finish()))).toBe(0);
      }),
      { numRuns: 300 },
    );
  });

  it('leaves the rest of the reply as protobufjs encodes it, and the reply object as it was', () => {
    const serialize = loadProtos().externalProcessor.Process!.responseSerialize as (m: unknown) => Buffer;
    const dynamic = toStruct({ llm_extproc: { input_tokens: 231, response_model: 'gpt-4o-mini', tokens_estimated: false, cost_usd: 0.0261, stream_end: 'complete', note: 'naïve ✓' } });
    const reply: ProcessingResponse = {
      request_body: { response: { header_mutation: { set_headers: [{ header: { key: 'x-llm-backend', raw_value: Buffer.from('bench') } }], remove_headers: ['x-api-key'] } } },
      dynamic_metadata: dynamic,
    };
    const bytes = serialize(reply);
    expect(reply.dynamic_metadata).toBe(dynamic);
    const { reply: rest, metadata: md } = readBack(bytes);
    expect(md).toEqual({ llm_extproc: { input_tokens: 231, response_model: 'gpt-4o-mini', tokens_estimated: false, cost_usd: 0.0261, stream_end: 'complete', note: 'naïve ✓' } });
    expect(rest).toEqual(Response.toObject(Response.decode(Response.encode({ request_body: reply.request_body } as unknown as protobuf.Message).finish()), { defaults: false, oneofs: false }));
    expect(readBack(serialize({ response_headers: {} })).reply).toEqual({ response_headers: {} });
  });
});
