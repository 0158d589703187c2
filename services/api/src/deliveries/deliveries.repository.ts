import { Injectable } from '@nestjs/common';
import type { DeliveryAttemptView, DeliveryStatus, DeliveryView } from '@lockstep/contracts';
import { DataSource } from 'typeorm';

/** The filter the repository applies. */
export interface DeliveryFilter {
  subscription?: string;
  status?: DeliveryStatus;
  event?: string;
  limit: number;
}

/** Longest response preview returned per attempt. */
export const RESPONSE_PREVIEW_CHARS = 200;

interface DeliveryRow {
  id: string;
  event_id: string;
  subscription_id: string;
  subscription_name: string | null;
  event_name: string;
  event_subject: string | null;
  status: DeliveryStatus;
  attempts: number;
  next_attempt_at: Date | null;
  last_error: string | null;
  created_at: Date;
  finished_at: Date | null;
}

interface AttemptRow {
  delivery_id: string;
  attempt: number;
  started_at: Date;
  duration_ms: number;
  outcome: string;
  status_code: number | null;
  response: string | null;
  error: string | null;
}

const iso = (d: Date | null | undefined): string | null => (d ? new Date(d).toISOString() : null);
const escapeLike = (s: string): string => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/** Reads the notifier's delivery log: deliveries joined with their attempts. */
@Injectable()
export class DeliveriesRepository {
  constructor(private readonly ds: DataSource) {}

  /** Deliveries matching the filter, newest first, each with its attempts. */
  async list(filter: DeliveryFilter): Promise<DeliveryView[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const param = (v: unknown): string => `$${params.push(v)}`;
    if (filter.subscription) where.push(`d.subscription_id = ${param(filter.subscription)}::uuid`);
    if (filter.status) where.push(`d.status = ${param(filter.status)}`);
    if (filter.event?.endsWith('.*'))
      where.push(`d.event_name LIKE ${param(`${escapeLike(filter.event.slice(0, -1))}%`)}`);
    else if (filter.event && filter.event !== '*')
      where.push(`(d.event_name = ${param(filter.event)} OR d.event_id = $${params.length})`);
    const rows: DeliveryRow[] = await this.ds.query(
      `SELECT d.id, d.event_id, d.subscription_id, s.name AS subscription_name, d.event_name, d.event->>'subject' AS event_subject,
              d.status, d.attempts, d.next_attempt_at, d.last_error, d.created_at, d.finished_at
       FROM deliveries d LEFT JOIN subscriptions s ON s.id = d.subscription_id
       ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY d.created_at DESC, d.id DESC
       LIMIT ${param(filter.limit)}`,
      params,
    );
    const attempts = await this.attemptsOf(rows.map((r) => r.id));
    return rows.map((r) => ({
      id: r.id,
      subscriptionId: r.subscription_id,
      subscriptionName: r.subscription_name,
      eventId: r.event_id,
      eventName: r.event_name,
      eventSubject: r.event_subject,
      status: r.status,
      attemptCount: r.attempts,
      nextAttemptAt: r.status === 'pending' ? iso(r.next_attempt_at) : null,
      lastError: r.last_error,
      createdAt: iso(r.created_at)!,
      finishedAt: iso(r.finished_at),
      attempts: attempts.get(r.id) ?? [],
    }));
  }

  private async attemptsOf(ids: string[]): Promise<Map<string, DeliveryAttemptView[]>> {
    const byDelivery = new Map<string, DeliveryAttemptView[]>();
    if (ids.length === 0) return byDelivery;
    const rows: AttemptRow[] = await this.ds.query(
      `SELECT delivery_id, attempt, started_at, duration_ms, outcome, status_code, left(response_snippet, $2) AS response, error
       FROM delivery_attempts WHERE delivery_id = ANY($1::text[]) ORDER BY delivery_id, attempt`,
      [ids, RESPONSE_PREVIEW_CHARS],
    );
    for (const r of rows) {
      const list = byDelivery.get(r.delivery_id) ?? [];
      list.push({
        attempt: r.attempt,
        startedAt: iso(r.started_at)!,
        durationMs: r.duration_ms,
        outcome: r.outcome,
        statusCode: r.status_code,
        response: r.response,
        error: r.error,
      });
      byDelivery.set(r.delivery_id, list);
    }
    return byDelivery;
  }
}
