import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Components, release checks, outbox, subscriptions and the delivery log. */
export class InitialSchema1763800000000 implements MigrationInterface {
  name = 'InitialSchema1763800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "components" (
      "name" text PRIMARY KEY,
      "scheme" text NOT NULL DEFAULT 'semver',
      "channel" text NOT NULL DEFAULT 'stable',
      "current_version" text,
      "source_type" text NOT NULL,
      "source_config" jsonb NOT NULL DEFAULT '{}',
      "created_at" timestamptz NOT NULL DEFAULT now(),
      "updated_at" timestamptz NOT NULL DEFAULT now())`);
    await q.query(`CREATE TABLE "source_states" (
      "component" text PRIMARY KEY,
      "state" jsonb NOT NULL DEFAULT '{}',
      "last_checked_at" timestamptz,
      "last_error_code" text,
      "last_error" text)`);
    await q.query(`CREATE TABLE "announced_releases" (
      "id" uuid PRIMARY KEY,
      "component" text NOT NULL,
      "version" text NOT NULL,
      "kind" text NOT NULL,
      "channel" text NOT NULL,
      "security" boolean NOT NULL DEFAULT false,
      "breaking" boolean NOT NULL DEFAULT false,
      "hotfix" boolean NOT NULL DEFAULT false,
      "artifact_uri" text NOT NULL,
      "sha256" text NOT NULL,
      "length" bigint NOT NULL,
      "notes" text NOT NULL DEFAULT '',
      "announced_at" timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT "uq_announced_component_version" UNIQUE ("component", "version"))`);
    await q.query(`CREATE TABLE "outbox" (
      "id" BIGSERIAL PRIMARY KEY,
      "subject" text NOT NULL,
      "event_id" text NOT NULL,
      "event" jsonb NOT NULL,
      "headers" jsonb NOT NULL DEFAULT '{}',
      "created_at" timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT "UQ_outbox_event_id" UNIQUE ("event_id"))`);
    await q.query(`CREATE TABLE "subscriptions" (
      "id" uuid PRIMARY KEY,
      "name" text NOT NULL,
      "channel" text NOT NULL,
      "target" jsonb NOT NULL,
      "event_types" text[] NOT NULL DEFAULT '{*}',
      "enabled" boolean NOT NULL DEFAULT true,
      "disabled_reason" text,
      "created_at" timestamptz NOT NULL DEFAULT now(),
      "updated_at" timestamptz NOT NULL DEFAULT now())`);
    await q.query(`CREATE TABLE "deliveries" (
      "id" text PRIMARY KEY,
      "event_id" text NOT NULL,
      "subscription_id" uuid NOT NULL,
      "event_name" text NOT NULL,
      "event" jsonb NOT NULL,
      "trace" jsonb NOT NULL DEFAULT '{}',
      "status" text NOT NULL DEFAULT 'pending',
      "attempts" integer NOT NULL DEFAULT 0,
      "next_attempt_at" timestamptz NOT NULL,
      "lease_until" timestamptz,
      "last_error" text,
      "created_at" timestamptz NOT NULL DEFAULT now(),
      "finished_at" timestamptz,
      "schedule_base" integer NOT NULL DEFAULT 0,
      CONSTRAINT "uq_delivery_event_subscription" UNIQUE ("event_id", "subscription_id"))`);
    await q.query(`CREATE INDEX "ix_delivery_due" ON "deliveries" ("status", "next_attempt_at")`);
    await q.query(`CREATE TABLE "delivery_attempts" (
      "id" BIGSERIAL PRIMARY KEY,
      "delivery_id" text NOT NULL,
      "attempt" integer NOT NULL,
      "started_at" timestamptz NOT NULL,
      "duration_ms" integer NOT NULL,
      "outcome" text NOT NULL,
      "status_code" integer,
      "response_snippet" text,
      "error" text,
      CONSTRAINT "uq_attempt_delivery_number" UNIQUE ("delivery_id", "attempt"))`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of [
      'delivery_attempts',
      'deliveries',
      'subscriptions',
      'outbox',
      'announced_releases',
      'source_states',
      'components',
    ]) {
      await q.query(`DROP TABLE IF EXISTS "${t}"`);
    }
  }
}
