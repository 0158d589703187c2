import { Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import {
  type Audited,
  type ComponentUpsertReplyV1,
  type ComponentUpsertV1,
  formatIssues,
  QueryErrorCode,
  type QueryReply,
} from '@lockstep/contracts';
import { canonicalJson, type ComponentEntity } from '@lockstep/persistence';
import { getScheme } from '@lockstep/versioning';
import { CheckRepository } from '../checks/check.repository';
import { getSource, SourceRegistryErrorCode } from '../sources/registry';
import { refuseRequirements } from './registration-requirements';

/**
 * Registers components, refusing settings a check could never use and requirements that
 * name an unregistered component or would make components depend on each other in a cycle.
 */
@Injectable()
export class ComponentsService {
  constructor(private readonly repo: CheckRepository) {}

  /** Registers or updates a component, recorded (`component.upsert`) by the token that asked. */
  async upsert(req: Audited<ComponentUpsertV1>): Promise<QueryReply<ComponentUpsertReplyV1>> {
    let scheme;
    try {
      scheme = getScheme(req.scheme);
      if (typeof req.currentVersion === 'string') scheme.validate(req.currentVersion);
    } catch (err) {
      return {
        ok: false,
        error: { code: (err as { code?: string }).code ?? 'INVALID_VERSION', message: (err as Error).message },
      };
    }
    let plugin;
    try {
      plugin = getSource(req.sourceType);
    } catch (err) {
      return { ok: false, error: { code: SourceRegistryErrorCode.UnknownSource, message: (err as Error).message } };
    }
    const config = plugin.configSchema.safeParse(req.sourceConfig);
    if (!config.success) {
      return {
        ok: false,
        error: {
          code: QueryErrorCode.InvalidSourceConfig,
          message: `${plugin.id} source settings: ${formatIssues(config.error)}`,
        },
      };
    }
    const outcome = await this.repo.saveComponentUnlessRefused(
      {
        name: req.name,
        scheme: scheme.id,
        channel: req.channel,
        // Absent keeps what is stored (a new component starts with none).
        ...(req.currentVersion !== undefined ? { currentVersion: req.currentVersion } : {}),
        sourceType: plugin.id,
        sourceConfig: req.sourceConfig,
        // Absent keeps what is stored (a new component starts with none).
        ...(req.requires ? { requires: req.requires } : {}),
      },
      {
        actor: req.actor,
        action: 'component.upsert',
        params: {
          scheme: scheme.id,
          channel: req.channel,
          ...(req.currentVersion !== undefined ? { currentVersion: req.currentVersion } : {}),
          sourceType: plugin.id,
          // The settings (a trusted root among them) by digest: a changed root shows as a changed digest.
          sourceConfigSha256: createHash('sha256').update(canonicalJson(req.sourceConfig)).digest('hex'),
          ...(req.requires ? { requires: req.requires } : {}),
        },
      },
      (snapshot) => {
        const stored = snapshot.components.find((c) => c.name === req.name)?.requires ?? {};
        return refuseRequirements(req.name, req.requires ?? stored, snapshot);
      },
    );
    if ('refused' in outcome) return { ok: false, error: outcome.refused };
    return { ok: true, result: toUpsertReply(outcome.saved) };
  }
}

/** The stored component as the reply carries it (the fields the entity's JSON had, times as RFC 3339). */
const toUpsertReply = (c: ComponentEntity): ComponentUpsertReplyV1 => ({
  name: c.name,
  scheme: c.scheme,
  channel: c.channel,
  currentVersion: c.currentVersion,
  sourceType: c.sourceType,
  sourceConfig: c.sourceConfig,
  requires: c.requires ?? {},
  createdAt: iso(c.createdAt),
  updatedAt: iso(c.updatedAt),
});

const iso = (d: Date | string | undefined): string | undefined => (d ? new Date(d).toISOString() : undefined);
