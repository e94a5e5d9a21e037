/**
 * The settings changed in the panel (db.json `settings`, over env/options.json) and the saved
 * download speed schedule (`speed`): the only code that reads or writes those parts of the
 * store. Copies in and out; every change marks the store dirty for the one writer.
 */
import type { Store } from '../store/db.js';
import type { SettingsOverrides } from './settings-model.js';

export class SettingsRepository {
  constructor(private readonly store: Store) {}

  /** The panel's overrides as stored (unchecked: a hand-edited db.json may hold anything). */
  overrides(): SettingsOverrides {
    return structuredClone(this.store.data.settings ?? {});
  }

  saveOverrides(overrides: SettingsOverrides): void {
    this.store.data.settings = structuredClone(overrides);
    this.store.changed();
  }

  /** The speed limit and schedule as saved (unchecked), or undefined before the first change. */
  speed(): unknown {
    const saved = this.store.data.speed;
    return saved === undefined ? undefined : structuredClone(saved);
  }

  saveSpeed(settings: unknown): void {
    this.store.data.speed = structuredClone(settings);
    this.store.changed();
  }
}
