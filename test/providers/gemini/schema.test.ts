import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../../src/errors.js';
import { forResponseJsonSchema, hasNoProperties, toGeminiSchema } from '../../../src/providers/gemini/schema.js';

describe('toGeminiSchema', () => {
  it('keeps what Gemini knows, drops what it rejects, upper-cases types', () => {
    expect(
      toGeminiSchema({ $schema: 'x', type: 'object', additionalProperties: false, title: 'T', properties: { n: { type: 'integer', minimum: 0, format: 'int32', examples: [1] }, s: { type: 'string', format: 'email', maxLength: 5 } }, required: ['n', 'missing'] }, 'p'),
    ).toEqual({ type: 'OBJECT', title: 'T', properties: { n: { type: 'INTEGER', minimum: 0, format: 'int32' }, s: { type: 'STRING', maxLength: 5 } }, required: ['n'] });
  });

  it('turns nullable unions into nullable, and other unions into anyOf', () => {
    expect(toGeminiSchema({ type: ['string', 'null'] }, 'p')).toEqual({ type: 'STRING', nullable: true });
    expect(toGeminiSchema({ anyOf: [{ type: 'number' }, { type: 'null' }] }, 'p')).toEqual({ type: 'NUMBER', nullable: true });
    expect(toGeminiSchema({ oneOf: [{ type: 'number' }, { type: 'string', const: 'x' }] }, 'p')).toEqual({ anyOf: [{ type: 'NUMBER' }, { type: 'STRING', enum: ['x'], format: 'enum' }] });
    expect(toGeminiSchema({ type: ['string', 'integer'] }, 'p')).toEqual({ anyOf: [{ type: 'STRING' }, { type: 'INTEGER' }] });
  });

  it('inlines local $refs and merges allOf', () => {
    const s = {
      type: 'object',
      properties: { home: { $ref: '#/$defs/Addr', description: 'Home' }, work: { allOf: [{ $ref: '#/definitions/Named' }, { properties: { floor: { type: 'integer' } } }] } },
      $defs: { Addr: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
      definitions: { Named: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] } },
    };
    expect(toGeminiSchema(s, 'p')).toEqual({
      type: 'OBJECT',
      properties: {
        home: { type: 'OBJECT', description: 'Home', properties: { city: { type: 'STRING' } }, required: ['city'] },
        work: { type: 'OBJECT', properties: { name: { type: 'STRING' }, floor: { type: 'INTEGER' } }, required: ['name'] },
      },
    });
  });

  it('refuses recursive and remote references with the field path', () => {
    const recursive = { type: 'object', properties: { child: { $ref: '#/$defs/Node' } }, $defs: { Node: { type: 'object', properties: { child: { $ref: '#/$defs/Node' } } } } };
    expect(() => toGeminiSchema(recursive, 'tools[0].function.parameters')).toThrow(GatewayError);
    expect(() => toGeminiSchema({ $ref: 'https://example.com/s.json' }, 'p')).toThrow(/not a local definition/);
    expect(() => toGeminiSchema('string', 'p')).toThrow(/JSON Schema object/);
  });

  it('infers missing types and spots empty objects', () => {
    expect(toGeminiSchema({ properties: { a: { enum: ['x', 'y'] } } }, 'p')).toEqual({ type: 'OBJECT', properties: { a: { type: 'STRING', enum: ['x', 'y'], format: 'enum' } } });
    expect(toGeminiSchema({ items: { type: 'boolean' } }, 'p')).toEqual({ type: 'ARRAY', items: { type: 'BOOLEAN' } });
    expect(hasNoProperties(toGeminiSchema({ type: 'object', properties: {} }, 'p'))).toBe(true);
    expect(hasNoProperties(toGeminiSchema({ type: 'object', properties: { a: {} } }, 'p'))).toBe(false);
  });

  it('for responseJsonSchema only the meta keys go', () => {
    expect(forResponseJsonSchema({ $schema: 'x', $id: 'y', type: 'object', additionalProperties: false }, 'p')).toEqual({ type: 'object', additionalProperties: false });
  });
});
