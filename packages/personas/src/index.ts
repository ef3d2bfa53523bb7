import { type PersonaServicesOptions, resolveOptions } from './options.js';
import { PanelService } from './panel-service.js';
import { PersonaService } from './persona-service.js';

export { PersonaKeys } from './keys.js';
export { type PanelSettings, PersonaServicesOptionsSchema, type PersonaServicesOptions } from './options.js';
export {
  type AddPanelMessageInput,
  AddPanelMessageSchema,
  ListPanelsQuerySchema,
  PanelCreateConfigSchema,
  PanelMessagesQuerySchema,
  PanelService,
  type PanelStatsResult,
  type StoredPanelMessage,
} from './panel-service.js';
export { camelizePersona, parsePersona } from './persona-record.js';
export { PersonaService } from './persona-service.js';

export interface PersonaServices {
  personas: PersonaService;
  panels: PanelService;
}

/** Both services over the same ports (options are validated once). */
export function createPersonaServices(options: PersonaServicesOptions): PersonaServices {
  const resolved = resolveOptions(options);
  const personas = new PersonaService(resolved);
  return { personas, panels: new PanelService(resolved, personas) };
}
