/** Users: profiles at users/<u>/profile.json; every other key of the profile is kept. */
import {
  FFValidationError,
  isValidUserId,
  parseOrThrow,
  type UserProfile,
  UserProfileInputSchema,
  UtcTimestampInput,
} from '@ffdb/core-types';
import { z } from 'zod';
import type { Core } from '../core.js';
import { readJson, writeJson } from '../json-blob.js';
import { keys } from '../keys.js';
import { assertLengthRule, assertPlainObject, assertUserId, parseOptions } from '../validation.js';
import { backupTree } from './trash.js';

const RESERVED = new Set(['userId', 'createdAt', 'updatedAt']);

const ListUsersOptions = z.object({
  limit: z.number().int().nonnegative().optional(),
  offset: z.number().int().nonnegative().optional(),
});

export class UserService {
  constructor(private readonly core: Core) {}

  async exists(userId: string): Promise<boolean> {
    assertUserId(userId);
    return this.core.storage.exists(keys.profile(userId));
  }

  /** runtime.min/maxUserIdLength, for a user being created (API.md §1's pattern is the outer bound). */
  private assertNewUserId(userId: string, field = 'userId'): void {
    const { runtime } = this.core.config;
    assertLengthRule(userId.length, field, {
      min: runtime.minUserIdLength,
      max: runtime.maxUserIdLength,
      minField: 'runtime.minUserIdLength',
      maxField: 'runtime.maxUserIdLength',
    });
  }

  /** `checkLength` false: an import re-creating a user another store already has (its id is kept). */
  async create(userId: string, profile?: unknown, field = 'userId', checkLength = true): Promise<boolean> {
    assertUserId(userId, field);
    const input = profile === undefined ? {} : parseOrThrow(UserProfileInputSchema, profile, 'profile');
    const key = keys.profile(userId);
    return this.core.storage.withLock(key, async () => {
      if (await this.core.storage.exists(key)) {
        this.core.logger.info({ userId }, 'user already exists');
        return false;
      }
      // Only a user being created follows the rule: one a looser configuration created still "exists".
      if (checkLength) this.assertNewUserId(userId, field);
      const now = this.core.now();
      const extra = Object.fromEntries(Object.entries(input).filter(([k]) => !RESERVED.has(k)));
      const record: UserProfile = {
        ...extra,
        userId,
        username: input.username ?? '',
        createdAt: now,
        updatedAt: now,
        preferences: input.preferences ?? {},
        metadata: input.metadata ?? {},
      };
      await writeJson(this.core, key, record);
      return true;
    });
  }

  /** Creates the user with an empty profile unless it exists (createSession does this). */
  async ensure(userId: string, checkLength = true): Promise<void> {
    if (!(await this.core.storage.exists(keys.profile(userId))))
      await this.create(userId, undefined, 'userId', checkLength);
  }

  async get(userId: string): Promise<UserProfile | null> {
    assertUserId(userId);
    return readJson<UserProfile>(this.core, keys.profile(userId));
  }

  async update(userId: string, updates: unknown): Promise<boolean> {
    assertUserId(userId);
    const u = parseOrThrow(UserProfileInputSchema, assertPlainObject(updates, 'updates'), 'updates');
    const key = keys.profile(userId);
    return this.core.storage.withLock(key, async () => {
      const current = await readJson<UserProfile>(this.core, key);
      if (!current) return false;
      const next: UserProfile = { ...current };
      for (const [k, v] of Object.entries(u)) {
        if (RESERVED.has(k)) continue;
        if (k === 'preferences' || k === 'metadata') {
          next[k] = { ...(current[k] ?? {}), ...(v as Record<string, unknown>) };
        } else {
          next[k] = v;
        }
      }
      next.updatedAt = this.core.now();
      await writeJson(this.core, key, next);
      return true;
    });
  }

  /** Upsert from a whole profile object (must carry a valid userId). */
  async store(profile: unknown): Promise<boolean> {
    const p = assertPlainObject(profile, 'profile');
    const userId = assertUserId(p.userId, 'profile.userId');
    // The store keeps its own createdAt/updatedAt; given ones are not used, but garbage is still refused.
    for (const field of ['createdAt', 'updatedAt'] as const) {
      if (p[field] !== undefined && !UtcTimestampInput.safeParse(p[field]).success) {
        throw new FFValidationError([
          { path: `profile.${field}`, message: 'must be an ISO-8601 timestamp or a Date' },
        ]);
      }
    }
    const { userId: _u, createdAt: _c, updatedAt: _up, ...rest } = p;
    if (await this.core.storage.exists(keys.profile(userId))) return this.update(userId, rest);
    // An upsert: when another call created the user between the check and the create, update it
    // (10 concurrent upserts of a new user answered true once and kept one call's preferences).
    return (await this.create(userId, rest, 'profile.userId')) || this.update(userId, rest);
  }

  async list(opts?: unknown): Promise<string[]> {
    const o = parseOptions(ListUsersOptions, opts);
    const children = await this.core.storage.list(keys.usersRoot);
    const ids = children.map((k) => k.slice(keys.usersRoot.length + 1)).filter((id) => isValidUserId(id));
    // A user is a profile: anything else left under users/ (a racing write after a delete) is not listed.
    const present = await Promise.all(ids.map((id) => this.core.storage.exists(keys.profile(id))));
    const users = ids.filter((_, i) => present[i]).sort();
    const offset = o.offset ?? 0;
    return o.limit === undefined ? users.slice(offset) : users.slice(offset, offset + o.limit);
  }

  /** Removes the user's whole tree. Callers emit the feature hooks. */
  async removeTree(userId: string): Promise<void> {
    this.core.index.discardPending(userId);
    await this.core.index.flush(userId);
    if (this.core.config.storage.backupBeforeDelete) {
      await backupTree(this.core, keys.userRoot(userId), `${userId}`);
    }
    await this.core.storage.delete(keys.userRoot(userId));
    this.core.index.drop(userId);
  }
}
