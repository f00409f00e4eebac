// Which counters the remaining-limit metric asks the ratelimit service for: the principals,
// backends and models a rule names, before any traffic; for a `*`, the combinations served;
// never a combination the rule does not apply to, nor more than the cap.
import { describe, expect, it } from 'vitest';
import { RateLimits } from '../../src/config/schema.js';
import { descriptorsFor } from '../../src/ratelimit/remaining.js';

const limits = RateLimits.parse({
  rules: [
    { clients: ['team-a', 'team-b'], backends: ['openai'], tokens: { count: 'output', limit: 1000, per: 'hour' } },
    { clients: ['*'], requests: { limit: 60, per: 'minute' } },
    { models: ['gpt-4o'], budget: { costUsd: 10, per: 'month' } },
  ],
});

const entries = (d: { entries: { key: string; value: string }[] }) => d.entries.map((e) => `${e.key}=${e.value}`).join(',');

describe('descriptorsFor', () => {
  it('before any traffic: every combination a rule names, and nothing for a `*` rule', () => {
    const asked = descriptorsFor(limits, []);
    expect(asked.map(entries)).toEqual(['rule=r0,client=team-a,backend=openai', 'rule=r0,client=team-b,backend=openai', 'rule=r2,model=gpt-4o']);
    expect(asked[0]!.labels).toEqual({ rule: 'r0', client: 'team-a', backend: 'openai', model: '', counts: 'output_tokens' });
    expect(asked[2]).toMatchObject({ labels: { counts: 'usd' }, scale: 1e-6 });
  });

  it('served combinations fill in `*`, only where the rule applies, once each', () => {
    const asked = descriptorsFor(limits, [
      { client: 'team-c', backend: 'openai', model: 'gpt-4o' },
      { client: 'team-c', backend: 'other', model: 'gpt-4o-mini' },
      { backend: 'openai', model: 'gpt-4o' },
    ]).map(entries);
    expect(asked).toEqual([
      'rule=r0,client=team-a,backend=openai',
      'rule=r0,client=team-b,backend=openai',
      // team-c is not one of r0's clients; a request with no principal is in no client's count.
      'rule=r1,client=team-c',
      'rule=r2,model=gpt-4o',
    ]);
  });

  it('stops at its cap, whatever the traffic', () => {
    const seen = Array.from({ length: 1000 }, (_, i) => ({ client: `c${i}` }));
    expect(descriptorsFor(limits, seen)).toHaveLength(256);
  });
});
