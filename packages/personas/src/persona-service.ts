import { assertUserId, FFValidationError, type Persona } from '@ffdb/core-types';
import { readJson, writeJson } from './json-blob.js';
import { idFromJsonKey, PersonaKeys } from './keys.js';
import { type PersonaServicesOptions, type ResolvedOptions, resolveOptions } from './options.js';
import { assertPersonaId, camelizePersona, parsePersona } from './persona-record.js';

/**
 * Personas: global ones (`personas_global/`) and per-user ones that shadow a global persona of the
 * same id for that user. The config's default personas are built in: `getPersona` (and so a panel)
 * finds them without their being written, and a stored global persona with the same id replaces one.
 * Listing shows what is stored, as the reference's `list_personas` did (`defaultPersonas()` lists the
 * built-ins).
 */
export class PersonaService {
  private readonly o: ResolvedOptions;
  private readonly keys: PersonaKeys;

  constructor(options: PersonaServicesOptions | ResolvedOptions) {
    this.o =
      'panel' in options && 'maxMessageSizeBytes' in options
        ? options
        : resolveOptions(options as PersonaServicesOptions);
    this.keys = new PersonaKeys(this.o.panel);
  }

  /** The built-in personas of `panel.defaultPersonas`, as personas. */
  defaultPersonas(): Persona[] {
    return Object.entries(this.o.panel.defaultPersonas).map(([personaId, p]) =>
      parsePersona({ ...p, personaId, isGlobal: true, ownerId: null, metadata: { builtin: true } }),
    );
  }

  private defaultPersona(personaId: string): Persona | null {
    const p = this.o.panel.defaultPersonas[personaId];
    return p
      ? parsePersona({ ...p, personaId, isGlobal: true, ownerId: null, metadata: { builtin: true } })
      : null;
  }

  private keyFor(personaId: string, userId?: string): string {
    return userId === undefined
      ? this.keys.globalPersona(personaId)
      : this.keys.userPersona(userId, personaId);
  }

  private async readStored(personaId: string, userId?: string): Promise<Persona | null> {
    const raw = await readJson(this.o.storage, this.keyFor(personaId, userId));
    if (!raw) return null;
    try {
      return parsePersona({ ...raw, personaId });
    } catch {
      this.o.logger?.warn(
        { personaId, userId, code: 'PERSONA_INVALID' },
        'stored persona fails validation; ignored',
      );
      return null;
    }
  }

  private async storedIds(userId?: string): Promise<string[]> {
    const dir = userId === undefined ? this.keys.globalPersonasDir() : this.keys.userPersonasDir(userId);
    const keys = await this.o.storage.list(dir);
    return keys.map(idFromJsonKey).filter((id): id is string => id !== undefined);
  }

  private checkScope(personaId: unknown, userId: unknown): void {
    assertPersonaId(personaId);
    if (userId !== undefined) assertUserId(userId);
  }

  /** Enforces globalPersonaLimit / userPersonaLimit for a persona that does not exist yet. */
  private async checkLimit(userId?: string): Promise<void> {
    const count = (await this.storedIds(userId)).length;
    const limit = userId === undefined ? this.o.panel.globalPersonaLimit : this.o.panel.userPersonaLimit;
    if (count >= limit) {
      const field = userId === undefined ? 'panel.globalPersonaLimit' : 'panel.userPersonaLimit';
      throw new FFValidationError([
        {
          path: field,
          message: `${userId === undefined ? 'global' : `user ${userId}`} already has ${count} personas (limit ${limit})`,
          limit,
        },
      ]);
    }
  }

  /** runtime.maxPersonaNameLength, for a persona being saved (a restore keeps the name it had). */
  private checkName(persona: Persona): void {
    const max = this.o.maxPersonaNameLength;
    if (persona.name.length > max) {
      throw new FFValidationError([
        {
          path: 'name',
          message: `is ${persona.name.length} characters; runtime.maxPersonaNameLength allows at most ${max}`,
          limit: max,
        },
      ]);
    }
  }

  /**
   * `keepTimes` (restore/import): the persona's own createdAt/updatedAt are written as given (now when
   * absent); otherwise createdAt is kept from the stored persona and updatedAt becomes now.
   */
  private async store(
    persona: Persona,
    userId: string | undefined,
    mustBeNew: boolean,
    keepTimes = false,
  ): Promise<boolean> {
    return this.o.storage.withLock(
      this.keys.personaLock(userId),
      async () => {
        const key = this.keyFor(persona.personaId, userId);
        const existing = await readJson(this.o.storage, key);
        if (mustBeNew && existing) return false;
        if (!existing) await this.checkLimit(userId);
        const now = this.o.clock.now().toISOString();
        if (keepTimes) {
          const createdAt = persona.createdAt ?? persona.updatedAt ?? now;
          const updatedAt = persona.updatedAt ?? createdAt;
          await writeJson(this.o.storage, key, { ...persona, createdAt, updatedAt });
          return true;
        }
        const createdAt =
          typeof existing?.createdAt === 'string' ? existing.createdAt : (persona.createdAt ?? now);
        await writeJson(this.o.storage, key, { ...persona, createdAt, updatedAt: now });
        return true;
      },
      { timeoutMs: this.o.lockTimeoutMs },
    );
  }

  /**
   * Creates or replaces a persona (global, or the user's when `userId` is given). The id argument wins
   * over an id inside `data`. Always resolves to true; invalid data or a full quota throws.
   */
  async savePersona(personaId: string, data: Record<string, unknown>, userId?: string): Promise<boolean> {
    this.checkScope(personaId, userId);
    if (typeof data !== 'object' || data === null || Array.isArray(data)) {
      throw new FFValidationError([{ path: 'data', message: 'must be an object' }]);
    }
    const given = camelizePersona(data);
    // The reference stores persona data unvalidated: data without a name keeps the name of the persona
    // it replaces (stored, or built in), else takes the id.
    if (given.name === undefined) {
      const current =
        (await this.readStored(personaId, userId)) ??
        (userId === undefined ? this.defaultPersona(personaId) : null);
      given.name = current?.name ?? personaId;
    }
    const persona = parsePersona({
      ...given,
      personaId,
      isGlobal: userId === undefined,
      ownerId: userId ?? null,
    });
    this.checkName(persona);
    return this.store(persona, userId, false);
  }

  /**
   * Writes a persona exactly as it was elsewhere (import, backup restore): like savePersona (same scope
   * rules, validation and quota, replaces a stored one), but `createdAt` and `updatedAt` are kept as given
   * (either spelling; an absent one falls back to the other, then to now). The id comes from the data.
   */
  async restorePersona(data: Record<string, unknown>, userId?: string): Promise<boolean> {
    if (typeof data !== 'object' || data === null || Array.isArray(data)) {
      throw new FFValidationError([{ path: 'persona', message: 'must be an object' }]);
    }
    const parsed = parsePersona(data);
    this.checkScope(parsed.personaId, userId);
    const persona = parsePersona({
      ...data,
      personaId: parsed.personaId,
      isGlobal: userId === undefined,
      ownerId: userId ?? null,
    });
    return this.store(persona, userId, false, true);
  }

  /**
   * Creates a persona; false when one with that id is already stored in its scope (a global one with a
   * built-in's id replaces the built-in). `isGlobal: false` + `ownerId` makes it a user persona.
   */
  async createPersona(input: Record<string, unknown>): Promise<boolean> {
    if (typeof input !== 'object' || input === null || Array.isArray(input)) {
      throw new FFValidationError([{ path: 'persona', message: 'must be an object' }]);
    }
    const given = camelizePersona(input);
    // An owner without `isGlobal` makes a user persona: the owner is never dropped silently.
    if (given.isGlobal === undefined && typeof given.ownerId === 'string' && given.ownerId !== '') {
      given.isGlobal = false;
    }
    const persona = parsePersona(given);
    const userId = persona.isGlobal ? undefined : (persona.ownerId ?? undefined);
    if (userId !== undefined) assertUserId(userId, 'ownerId');
    this.checkName(persona);
    return this.store({ ...persona, ownerId: userId ?? null }, userId, true);
  }

  /** The persona stored in exactly that scope (the user's, or the global one), never a built-in; else null. */
  async getStoredPersona(personaId: string, userId?: string): Promise<Persona | null> {
    this.checkScope(personaId, userId);
    return this.readStored(personaId, userId);
  }

  /** The user's persona when there is one, else the global (stored, then built-in) one, else null. */
  async getPersona(personaId: string, userId?: string): Promise<Persona | null> {
    this.checkScope(personaId, userId);
    if (userId !== undefined) {
      const own = await this.readStored(personaId, userId);
      if (own) return own;
    }
    return (await this.readStored(personaId)) ?? this.defaultPersona(personaId);
  }

  /**
   * Stored personas: global ones first (sorted by id), then the user's (sorted). Each id appears once:
   * a user persona replaces the global one it shadows. Built-in defaults not stored are not listed.
   */
  async listPersonas(userId?: string): Promise<Persona[]> {
    if (userId !== undefined) assertUserId(userId);
    const own = new Map<string, Persona>();
    if (userId !== undefined) {
      for (const id of await this.storedIds(userId)) {
        const p = await this.readStored(id, userId);
        if (p) own.set(id, p);
      }
    }
    const globals = new Map<string, Persona>();
    for (const id of await this.storedIds()) {
      const p = await this.readStored(id);
      if (p) globals.set(id, p);
    }
    const byId = (a: Persona, b: Persona) =>
      a.personaId < b.personaId ? -1 : a.personaId > b.personaId ? 1 : 0;
    const globalList = [...globals.values()].filter((p) => !own.has(p.personaId)).sort(byId);
    return [...globalList, ...[...own.values()].sort(byId)];
  }

  /** Deletes the persona of that scope only (a user's, or the stored global); false when none is stored. */
  async deletePersona(personaId: string, userId?: string): Promise<boolean> {
    this.checkScope(personaId, userId);
    return this.o.storage.withLock(
      this.keys.personaLock(userId),
      () => this.o.storage.delete(this.keyFor(personaId, userId)),
      { timeoutMs: this.o.lockTimeoutMs },
    );
  }
}
