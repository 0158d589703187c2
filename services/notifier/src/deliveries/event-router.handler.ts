import { Injectable } from '@nestjs/common';
import { Subjects, type CloudEvent } from '@lockstep/contracts';
import { EventConsumers, OnEvent } from '@lockstep/messaging';
import { EventRouter } from './event-router.service';

/** Every event the notifier announces (its row of EventConsumers, which grants its NATS rights); the JetStream message is acked once its deliveries are stored. */
export const NOTIFIER_SUBJECTS = [...EventConsumers.notifier];

/** JetStream handlers: each maps to the router. */
@Injectable()
export class EventRouterHandler {
  constructor(private readonly router: EventRouter) {}

  @OnEvent(Subjects.ReleaseAvailable)
  async onReleaseAvailable(event: CloudEvent): Promise<void> {
    await this.router.route(event);
  }

  @OnEvent(Subjects.CheckFailed)
  async onCheckFailed(event: CloudEvent): Promise<void> {
    await this.router.route(event);
  }

  @OnEvent(Subjects.ReleaseMetadataExpiring)
  async onReleaseMetadataExpiring(event: CloudEvent): Promise<void> {
    await this.router.route(event);
  }

  @OnEvent(Subjects.InstallFinished)
  async onInstallFinished(event: CloudEvent): Promise<void> {
    await this.router.route(event);
  }

  @OnEvent(Subjects.NodeLost)
  async onNodeLost(event: CloudEvent): Promise<void> {
    await this.router.route(event);
  }

  @OnEvent(Subjects.NodeRecovered)
  async onNodeRecovered(event: CloudEvent): Promise<void> {
    await this.router.route(event);
  }

  @OnEvent(Subjects.RolloutChanged)
  async onRolloutChanged(event: CloudEvent): Promise<void> {
    await this.router.route(event);
  }

  @OnEvent(Subjects.BackupChanged)
  async onBackupChanged(event: CloudEvent): Promise<void> {
    await this.router.route(event);
  }

  @OnEvent(Subjects.MessageDeadLettered)
  async onMessageDeadLettered(event: CloudEvent): Promise<void> {
    await this.router.route(event);
  }

  @OnEvent(Subjects.UpdateApprovalRequested)
  async onUpdateApprovalRequested(event: CloudEvent): Promise<void> {
    await this.router.route(event);
  }

  @OnEvent(Subjects.UpdateHeld)
  async onUpdateHeld(event: CloudEvent): Promise<void> {
    await this.router.route(event);
  }

  @OnEvent(Subjects.SettingsChanged)
  async onSettingsChanged(event: CloudEvent): Promise<void> {
    await this.router.route(event);
  }
}
