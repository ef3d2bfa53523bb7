import { SteppingClock } from '@ffdb/conformance';
import { FFError, type StorageBackend } from '@ffdb/core-types';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PersonaService } from '../src/index.js';
import { STORE_CASES } from './backends.js';

const code = (e: unknown) => (FFError.isInstance(e) ? (e as FFError).code : String(e));
async function errorOf(
  fn: () => Promise<unknown>,
): Promise<FFError & { issues?: { path: string; limit?: number }[] }> {
  try {
    await fn();
  } catch (e) {
    return e as FFError;
  }
  throw new Error('expected an error');
}

/** A persona file exactly as the Python original writes them. */
const ORIGINAL_PERSONA = {
  persona_id: 'maria_garcia',
  name: 'Maria Garcia',
  description: 'Small business owner',
  category: 'business',
  demographics: { age: 42, occupation: 'Bakery owner', location: 'Austin, TX' },
  behavioral_traits: {
    communication_style: 'direct',
    decision_making: 'pragmatic',
    values: ['family', 'quality'],
    strengths: ['negotiation'],
    personality: 'warm',
  },
  capabilities: ['pricing', { name: 'baking', level: 'expert' }],
  expertise_areas: ['retail', 'food safety'],
  llm_config_persona: { llm_provider: 'openai', temperature: 0.7, max_tokens: 800 },
  system_prompt: 'You are Maria, a bakery owner.',
  favourite_colour: 'teal',
};

for (const store of STORE_CASES) {
  describe(`PersonaService on ${store.name}`, () => {
    let env: Awaited<ReturnType<typeof store.create>>;
    let storage: StorageBackend;
    const service = (panel: Record<string, unknown> = {}) =>
      new PersonaService({
        storage,
        config: { panel },
        clock: new SteppingClock('2025-05-01T00:00:00Z', 1000),
      });

    beforeEach(async () => {
      env = await store.create();
      storage = env.storage;
    });
    afterEach(async () => {
      await env.cleanup();
    });

    it('offers the three default personas of the config out of the box, listing only stored ones', async () => {
      const s = service();
      // As the reference's list_personas: what is stored (nothing yet); the built-ins resolve by id.
      expect(await s.listPersonas()).toEqual([]);
      expect(s.defaultPersonas().map((p) => p.personaId)).toEqual(['analyst', 'creative', 'pragmatist']);
      const analyst = await s.getPersona('analyst');
      expect(analyst).toMatchObject({
        name: 'Analytical Thinker',
        isGlobal: true,
        traits: ['logical', 'data-driven', 'systematic'],
      });
      expect(await storage.list('personas_global')).toEqual([]);
    });

    it('saves, gets, creates (false when it exists) and deletes (false when missing)', async () => {
      const s = service();
      expect(await s.savePersona('critic', { name: 'Critic', traits: ['sceptical'] })).toBe(true);
      expect(await s.getPersona('critic')).toMatchObject({
        personaId: 'critic',
        name: 'Critic',
        traits: ['sceptical'],
        isGlobal: true,
        ownerId: null,
      });
      expect(await s.createPersona({ personaId: 'critic', name: 'Other' })).toBe(false);
      // A stored global persona replaces a built-in of that id: nothing of that id was stored before.
      expect(await s.createPersona({ personaId: 'analyst', name: 'Shadow of a default' })).toBe(true);
      expect((await s.getPersona('analyst'))?.name).toBe('Shadow of a default');
      expect(await s.createPersona({ personaId: 'analyst', name: 'Again' })).toBe(false);
      expect(await s.createPersona({ personaId: 'poet', name: 'Poet', expertise: ['verse'] })).toBe(true);
      expect((await s.getPersona('critic'))?.name).toBe('Critic');
      expect(await s.deletePersona('critic')).toBe(true);
      expect(await s.deletePersona('critic')).toBe(false);
      expect(await s.getPersona('critic')).toBeNull();
      expect(await s.deletePersona('never')).toBe(false);
      expect(await s.deletePersona('analyst')).toBe(true); // the stored one; the built-in is back
      expect((await s.getPersona('analyst'))?.name).toBe('Analytical Thinker');
      expect(await s.deletePersona('analyst')).toBe(false);
      expect((await s.listPersonas()).map((p) => p.personaId)).toEqual(['poet']);
    });

    it('keeps createdAt and bumps updatedAt on save', async () => {
      const s = service();
      await s.savePersona('critic', { name: 'Critic' });
      const first = await s.getPersona('critic');
      await s.savePersona('critic', { name: 'Critic 2' });
      const second = await s.getPersona('critic');
      expect(second?.createdAt).toBe(first?.createdAt);
      expect(second?.updatedAt).not.toBe(first?.updatedAt);
      expect(second?.name).toBe('Critic 2');
    });

    it('restorePersona keeps the given createdAt/updatedAt (either spelling), in its scope', async () => {
      const s = service();
      expect(
        await s.restorePersona({
          ...ORIGINAL_PERSONA,
          created_at: '2024-01-02T03:04:05.000Z',
          updated_at: '2024-02-03T04:05:06.000Z',
        }),
      ).toBe(true);
      expect(await s.getPersona('maria_garcia')).toMatchObject({
        personaId: 'maria_garcia',
        isGlobal: true,
        favourite_colour: 'teal',
        createdAt: '2024-01-02T03:04:05.000Z',
        updatedAt: '2024-02-03T04:05:06.000Z',
      });
      // Only createdAt given: updatedAt follows it (not "now").
      await s.restorePersona({ personaId: 'p1', name: 'P', createdAt: '2023-05-05T00:00:00.000Z' }, 'u1');
      expect(await s.getPersona('p1', 'u1')).toMatchObject({
        ownerId: 'u1',
        isGlobal: false,
        createdAt: '2023-05-05T00:00:00.000Z',
        updatedAt: '2023-05-05T00:00:00.000Z',
      });
      // No times at all: now.
      await s.restorePersona({ personaId: 'p2', name: 'P' });
      const p2 = await s.getPersona('p2');
      expect(p2?.createdAt).toMatch(/^2025-05-01T00:00/);
      expect(p2?.updatedAt).toBe(p2?.createdAt);
      expect(code(await errorOf(() => s.restorePersona({ personaId: '../x', name: 'X' })))).toBe(
        'FF_VALIDATION',
      );
      expect(code(await errorOf(() => s.restorePersona({ name: 'no id' })))).toBe('FF_VALIDATION');
    });

    it('lets a user persona shadow a global one for that user only', async () => {
      const s = service();
      await s.savePersona('analyst', { name: 'My Own Analyst' }, 'alice');
      await s.savePersona('coach', { name: 'Coach' }, 'alice');
      expect((await s.getPersona('analyst', 'alice'))?.name).toBe('My Own Analyst');
      expect((await s.getPersona('analyst', 'alice'))?.ownerId).toBe('alice');
      expect((await s.getPersona('analyst', 'alice'))?.isGlobal).toBe(false);
      expect((await s.getPersona('analyst', 'bob'))?.name).toBe('Analytical Thinker');
      expect((await s.getPersona('analyst'))?.name).toBe('Analytical Thinker');
      expect(await s.getPersona('coach')).toBeNull();
      const list = await s.listPersonas('alice');
      expect(list.map((p) => [p.personaId, p.isGlobal])).toEqual([
        ['analyst', false],
        ['coach', false],
      ]);
      await s.savePersona('zeta', { name: 'Zeta' });
      await s.savePersona('analyst', { name: 'Global Analyst' });
      // Global first, then the user's; a user persona replaces the global it shadows.
      expect((await s.listPersonas('alice')).map((p) => [p.personaId, p.name])).toEqual([
        ['zeta', 'Zeta'],
        ['analyst', 'My Own Analyst'],
        ['coach', 'Coach'],
      ]);
      await s.deletePersona('analyst');
      expect(await s.deletePersona('analyst', 'alice')).toBe(true);
      expect((await s.getPersona('analyst', 'alice'))?.name).toBe('Analytical Thinker');
    });

    it('creates a user persona from isGlobal false + ownerId', async () => {
      const s = service();
      expect(
        await s.createPersona({ personaId: 'mine', name: 'Mine', isGlobal: false, ownerId: 'alice' }),
      ).toBe(true);
      expect((await s.getPersona('mine', 'alice'))?.ownerId).toBe('alice');
      expect(await s.getPersona('mine')).toBeNull();
      expect(code(await errorOf(() => s.createPersona({ personaId: 'x', name: 'X', isGlobal: false })))).toBe(
        'FF_VALIDATION',
      );
      // An owner without isGlobal is a user persona too (either spelling); the owner is never dropped.
      expect(await s.createPersona({ personaId: 'owned', name: 'Owned', ownerId: 'alice' })).toBe(true);
      expect(await s.createPersona({ persona_id: 'owned2', name: 'Owned 2', owner_id: 'bob' })).toBe(true);
      expect(await s.getPersona('owned', 'alice')).toMatchObject({ isGlobal: false, ownerId: 'alice' });
      expect(await s.getPersona('owned2', 'bob')).toMatchObject({ isGlobal: false, ownerId: 'bob' });
      expect(await s.getPersona('owned')).toBeNull();
    });

    it("savePersona without a name keeps the replaced persona's name, else takes the id", async () => {
      const s = service();
      expect(await s.savePersona('noname', { traits: ['quiet'] })).toBe(true);
      expect(await s.getPersona('noname')).toMatchObject({ name: 'noname', traits: ['quiet'] });
      expect(await s.savePersona('named', { name: 'The Named' })).toBe(true);
      expect(await s.savePersona('named', { traits: ['loud'] })).toBe(true);
      expect(await s.getPersona('named')).toMatchObject({ name: 'The Named', traits: ['loud'] });
      // A built-in default replaced without a name keeps the built-in's name.
      const builtIn = s.defaultPersonas()[0]!;
      expect(await s.savePersona(builtIn.personaId, { traits: ['new'] })).toBe(true);
      expect((await s.getPersona(builtIn.personaId))?.name).toBe(builtIn.name);
    });

    it("accepts the original's rich persona files without dropping a field", async () => {
      const s = service();
      expect(await s.createPersona(ORIGINAL_PERSONA)).toBe(true);
      const p = (await s.getPersona('maria_garcia')) as Record<string, unknown>;
      expect(p).toMatchObject({
        personaId: 'maria_garcia',
        name: 'Maria Garcia',
        category: 'business',
        demographics: ORIGINAL_PERSONA.demographics,
        behavioralTraits: ORIGINAL_PERSONA.behavioral_traits,
        capabilities: ORIGINAL_PERSONA.capabilities,
        expertiseAreas: ORIGINAL_PERSONA.expertise_areas,
        llmConfigPersona: ORIGINAL_PERSONA.llm_config_persona,
        systemPrompt: ORIGINAL_PERSONA.system_prompt,
        favourite_colour: 'teal',
      });
    });

    it('reads persona files written by the original directly (snake_case, old id key)', async () => {
      const { persona_id: _drop, ...rest } = ORIGINAL_PERSONA;
      await storage.write(
        'personas_global/maria_garcia.json',
        new TextEncoder().encode(JSON.stringify({ id: 'maria_garcia', ...rest, is_global: true })),
      );
      const s = service();
      expect(await s.getPersona('maria_garcia')).toMatchObject({
        personaId: 'maria_garcia',
        systemPrompt: ORIGINAL_PERSONA.system_prompt,
      });
      expect((await s.listPersonas()).map((p) => p.personaId)).toContain('maria_garcia');
    });

    it('rejects invalid personas and hostile ids, writing nothing', async () => {
      const s = service();
      for (const bad of [
        () => s.savePersona('../x', { name: 'X' }),
        () => s.savePersona('a/b', { name: 'X' }),
        () => s.savePersona('ok', { name: '' }),
        () => s.savePersona('ok', { name: 'X', traits: 'not a list' }),
        () => s.savePersona('ok', { name: 'X' }, '../u'),
        () => s.createPersona({ name: 'no id' }),
        () => s.getPersona('..'),
        () => s.deletePersona('x\0y'),
        () => s.listPersonas('bad/user'),
      ]) {
        expect(code(await errorOf(bad))).toBe('FF_VALIDATION');
      }
      expect(await storage.list('', { recursive: true })).toEqual([]);
    });

    it('enforces globalPersonaLimit and userPersonaLimit with clear errors (defaults do not count)', async () => {
      const s = service({ globalPersonaLimit: 2, userPersonaLimit: 1 });
      await s.savePersona('g1', { name: 'G1' });
      await s.savePersona('g2', { name: 'G2' });
      const err = await errorOf(() => s.savePersona('g3', { name: 'G3' }));
      expect(code(err)).toBe('FF_VALIDATION');
      expect(err.issues?.[0]).toMatchObject({ path: 'panel.globalPersonaLimit', limit: 2 });
      expect(err.message).toContain('limit 2');
      expect(await s.getPersona('g3')).toBeNull();
      expect(await s.savePersona('g2', { name: 'G2 updated' })).toBe(true);
      await s.savePersona('u1', { name: 'U1' }, 'alice');
      const userErr = await errorOf(() =>
        s.createPersona({ personaId: 'u2', name: 'U2', isGlobal: false, ownerId: 'alice' }),
      );
      expect(userErr.issues?.[0]).toMatchObject({ path: 'panel.userPersonaLimit', limit: 1 });
      expect(await s.savePersona('u1', { name: 'U1' }, 'bob')).toBe(true);
    });

    it('holds the limit under concurrent creation', async () => {
      const s = service({ globalPersonaLimit: 3 });
      const results = await Promise.allSettled(
        Array.from({ length: 8 }, (_, i) => s.savePersona(`p${i}`, { name: `P${i}` })),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(3);
      expect(await storage.list('personas_global')).toHaveLength(3);
    });

    it('keeps personas across a restart', async () => {
      await service().savePersona('critic', { name: 'Critic' });
      await service().savePersona('analyst', { name: 'Mine' }, 'alice');
      storage = await env.reopen();
      const s = service();
      expect((await s.getPersona('critic'))?.name).toBe('Critic');
      expect((await s.getPersona('analyst', 'alice'))?.name).toBe('Mine');
    });
  });
}
