import { Injectable } from '@nestjs/common';
import {
  parseSetting,
  SETTING_KEYS,
  SettingError,
  settingDefinition,
  type AuditActor,
  type SettingDefinition,
  type SettingView,
} from '@lockstep/contracts';
import { ApiError } from '../http/api-error';
import { SettingAuditAction, SettingsRepository, type SettingRecord } from './settings.repository';

/** A setting as the API shows it: its definition, and the value in force with who set it. */
export function toSettingView(def: SettingDefinition & { key: string }, stored: SettingRecord | null): SettingView {
  return {
    key: def.key,
    category: def.category,
    type: def.type,
    value: stored ? stored.value : def.default,
    default: def.default,
    isDefault: !stored,
    bounds: def.type === 'integer' || def.type === 'duration' ? { min: def.min, max: def.max } : null,
    choices: def.type === 'enum' ? [...def.choices] : null,
    description: def.description,
    updatedAt: stored ? stored.updatedAt.toISOString() : null,
    updatedBy: stored ? stored.updatedBy : null,
  };
}

/** The definition of `key`, or the API's answer for an unknown key (404 listing the known ones). */
function definitionOf(key: string): SettingDefinition & { key: string } {
  try {
    return settingDefinition(key);
  } catch (err) {
    throw err instanceof SettingError ? ApiError.fromSettingError(err) : err;
  }
}

/**
 * Runtime settings (`/v1/settings`): the API writes them itself. A value is checked against the
 * setting's registry entry first, so a refused one changes nothing; a change writes the row,
 * its audit record and the `settings.changed` event in one transaction. Setting the default
 * value removes the row (a row exists only for a value set away from its default).
 */
@Injectable()
export class SettingsService {
  constructor(private readonly repo: SettingsRepository) {}

  /** Every setting in registry order. */
  async list(): Promise<SettingView[]> {
    const stored = new Map((await this.repo.list()).map((r) => [r.key, r]));
    return SETTING_KEYS.map((key) => toSettingView(settingDefinition(key), stored.get(key) ?? null));
  }

  /** One setting; 404 naming the known keys for an unknown one. */
  async get(key: string): Promise<SettingView> {
    const def = definitionOf(key);
    return toSettingView(def, await this.repo.find(def.key));
  }

  /** Sets a value (400 naming what is allowed when the setting does not allow it); answers the setting as it now stands. */
  async set(key: string, raw: unknown, actor: AuditActor): Promise<SettingView> {
    const def = definitionOf(key);
    let value: boolean | number | string;
    try {
      value = parseSetting(def.key, raw);
    } catch (err) {
      throw err instanceof SettingError ? ApiError.fromSettingError(err) : err;
    }
    const { record } = await this.repo.change({
      key: def.key,
      action: SettingAuditAction.Set,
      store: value === def.default ? null : value,
      default: def.default,
      actor,
      at: this.repo.now(),
    });
    return toSettingView(def, record);
  }

  /** Puts a setting back to its default (nothing to do when it holds it); answers the setting as it now stands. */
  async reset(key: string, actor: AuditActor): Promise<SettingView> {
    const def = definitionOf(key);
    await this.repo.change({
      key: def.key,
      action: SettingAuditAction.Reset,
      store: null,
      default: def.default,
      actor,
      at: this.repo.now(),
    });
    return toSettingView(def, null);
  }
}
