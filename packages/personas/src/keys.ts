import type { PanelSettings } from './options.js';

/**
 * Where personas and panels live in the store (directory names come from the `panel` config section;
 * defaults shown):
 *   personas_global/<personaId>.json
 *   users/<userId>/personas/<personaId>.json
 *   panel_sessions/<panelId>/panel.json
 *   panel_sessions/<panelId>/personas/<personaId>.json      (snapshots taken at creation)
 *   panel_sessions/<panelId>/messages                       (append-only log)
 *   panel_sessions/<panelId>/insights/<insightId>.json
 * Every id is validated before it is used here.
 */
export class PersonaKeys {
  constructor(private readonly panel: PanelSettings) {}

  globalPersonasDir(): string {
    return this.panel.globalPersonasDirectory;
  }
  globalPersona(personaId: string): string {
    return `${this.panel.globalPersonasDirectory}/${personaId}.json`;
  }
  userPersonasDir(userId: string): string {
    return `users/${userId}/${this.panel.personasSubdirectory}`;
  }
  userPersona(userId: string, personaId: string): string {
    return `${this.userPersonasDir(userId)}/${personaId}.json`;
  }
  panelsDir(): string {
    return this.panel.panelSessionsDirectory;
  }
  panelDir(panelId: string): string {
    return `${this.panel.panelSessionsDirectory}/${panelId}`;
  }
  panelMeta(panelId: string): string {
    return `${this.panelDir(panelId)}/${this.panel.panelMetadataFilename}`;
  }
  panelSnapshot(panelId: string, personaId: string): string {
    return `${this.panelDir(panelId)}/${this.panel.personasSubdirectory}/${personaId}.json`;
  }
  panelMessages(panelId: string): string {
    return `${this.panelDir(panelId)}/messages`;
  }
  insightsDir(panelId: string): string {
    return `${this.panelDir(panelId)}/${this.panel.insightsSubdirectory}`;
  }
  insight(panelId: string, insightId: string): string {
    return `${this.insightsDir(panelId)}/${insightId}.json`;
  }
  /** Lock names (not storage keys of data). */
  personaLock(userId?: string): string {
    return userId ? `locks/personas/users/${userId}` : 'locks/personas/global';
  }
  panelLock(panelId: string): string {
    return `locks/panels/${panelId}`;
  }
  panelsLock(): string {
    return 'locks/panels/_create';
  }
}

/** The json file name -> id, or undefined for anything that is not `<id>.json`. */
export function idFromJsonKey(key: string): string | undefined {
  const name = key.slice(key.lastIndexOf('/') + 1);
  return name.endsWith('.json') && name.length > 5 ? name.slice(0, -5) : undefined;
}
