// Route metadata as Envoy 1.40 sends it in the `xds.route_metadata` attribute: one string
// in protobuf text format. The sample below was captured from a real Envoy 1.40.
import { describe, expect, it } from 'vitest';
import { parseRouteMetadataText, routeMetadataNamespace } from '../../src/envoy/route-metadata.js';

const CAPTURED =
  'filter_metadata { key: "llm_extproc" value { fields { key: "backend" value { string_value: "catchall" } } ' +
  'fields { key: "backendConfig" value { struct_value { fields { key: "b" value { bool_value: true } } ' +
  'fields { key: "big" value { string_value: "12345678901" } } fields { key: "empty" value { struct_value { } } } ' +
  'fields { key: "emptyList" value { list_value { } } } fields { key: "endpoint" value { string_value: "http://x:1" } } ' +
  'fields { key: "models" value { list_value { values { string_value: "a" } values { string_value: "b" } } } } ' +
  'fields { key: "n" value { string_value: "1.5" } } fields { key: "nil" value { null_value: NULL_VALUE } } ' +
  'fields { key: "provider" value { string_value: "openai" } } ' +
  'fields { key: "quote" value { string_value: "he said \\"hi\\"\\n\\ttab \\\\ back \\303\\274n\\303\\257 \\342\\202\\254" } } ' +
  'fields { key: "routes" value { struct_value { fields { key: "*" value { string_value: "passthrough" } } ' +
  'fields { key: "/v1/chat/completions" value { string_value: "completions" } } } } } } } } ' +
  'fields { key: "routeType" value { string_value: "passthrough" } } } } ' +
  'filter_metadata { key: "other_ns" value { fields { key: "x" value { number_value: 1 } } } } ';

describe('route metadata text format', () => {
  it('decodes every namespace with nested structs, lists, scalars and escapes', () => {
    expect(parseRouteMetadataText(CAPTURED)).toEqual({
      llm_extproc: {
        backend: 'catchall',
        routeType: 'passthrough',
        backendConfig: {
          b: true,
          big: '12345678901',
          empty: {},
          emptyList: [],
          endpoint: 'http://x:1',
          models: ['a', 'b'],
          n: '1.5',
          nil: null,
          provider: 'openai',
          quote: 'he said "hi"\n\ttab \\ back ünï €',
          routes: { '*': 'passthrough', '/v1/chat/completions': 'completions' },
        },
      },
      other_ns: { x: 1 },
    });
  });

  it('treats a route without metadata (empty string) as none', () => {
    expect(parseRouteMetadataText('')).toEqual({});
    expect(routeMetadataNamespace('', 'llm_extproc')).toBeUndefined();
  });

  it('picks one namespace from text or from an already-decoded object', () => {
    expect(routeMetadataNamespace(CAPTURED, 'other_ns')).toEqual({ x: 1 });
    expect(routeMetadataNamespace(CAPTURED, 'missing')).toBeUndefined();
    expect(routeMetadataNamespace({ filter_metadata: { llm_extproc: { backend: 'a' } } }, 'llm_extproc')).toEqual({ backend: 'a' });
  });

  it('reads numbers in every spelling text format uses', () => {
    const text = (n: string) => `filter_metadata { key: "ns" value { fields { key: "v" value { number_value: ${n} } } } }`;
    expect(parseRouteMetadataText(text('-2.5e+20')).ns!.v).toBe(-2.5e20);
    expect(parseRouteMetadataText(text('inf')).ns!.v).toBe(Infinity);
    expect(Number.isNaN(parseRouteMetadataText(text('nan')).ns!.v)).toBe(true);
  });

  it('throws on malformed text rather than guessing', () => {
    expect(() => parseRouteMetadataText('filter_metadata { key: "ns" value {')).toThrow();
    expect(() => parseRouteMetadataText('filter_metadata { key: "unterminated }')).toThrow();
  });
});
