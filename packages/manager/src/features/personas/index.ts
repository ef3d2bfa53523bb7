/**
 * The personas feature folder: adapts @ffdb/personas to the manager (see ../types.ts).
 */
import type * as PersonasPkg from '@ffdb/personas';
import type { FeatureContext } from '../types.js';
import { PersonaPanelFeature } from './persona-feature.js';

export { PersonaPanelFeature } from './persona-feature.js';

function isPersonasModule(pkg: unknown): pkg is typeof PersonasPkg {
  return typeof (pkg as { createPersonaServices?: unknown } | null)?.createPersonaServices === 'function';
}

export function createPersonaFeature(ctx: FeatureContext, pkg: unknown): PersonaPanelFeature {
  if (!isPersonasModule(pkg)) throw new TypeError('@ffdb/personas does not export createPersonaServices');
  return new PersonaPanelFeature(ctx, pkg);
}
