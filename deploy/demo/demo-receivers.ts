import { Webhook } from 'standardwebhooks';
import { startHttpReceiver, type HttpReceiver, type ReceivedRequest } from '@lockstep/testing';

/** What the demo's webhook receiver made of one request. */
export interface VerifiedWebhook {
  id: string;
  type: string;
  /** When the event happened (deliveries to one endpoint run concurrently, so arrival order may differ). */
  time: string;
  data: Record<string, unknown>;
  verified: boolean;
}

/** A local webhook endpoint that verifies every request with the standardwebhooks package. */
export class DemoWebhookReceiver {
  private secret?: string;
  private constructor(readonly http: HttpReceiver) {}

  static async start(): Promise<DemoWebhookReceiver> {
    return new DemoWebhookReceiver(await startHttpReceiver());
  }

  /** The secret the notifier signs with (printed once by `lockstep subscriptions add`). */
  useSecret(secret: string): void {
    this.secret = secret;
  }

  verify(req: ReceivedRequest): VerifiedWebhook {
    const headers = {
      'webhook-id': String(req.headers['webhook-id']),
      'webhook-timestamp': String(req.headers['webhook-timestamp']),
      'webhook-signature': String(req.headers['webhook-signature']),
    };
    try {
      const ev = new Webhook(this.secret!).verify(req.body, headers) as {
        id: string;
        type: string;
        time: string;
        data: Record<string, unknown>;
      };
      return { id: headers['webhook-id'], type: ev.type, time: ev.time, data: ev.data, verified: true };
    } catch {
      const ev = JSON.parse(req.body) as { type: string; time: string; data: Record<string, unknown> };
      return { id: headers['webhook-id'], type: ev.type, time: ev.time, data: ev.data, verified: false };
    }
  }
}

/** Summarises a Slack Block Kit message the way a channel member would see it. */
export function readSlackMessage(req: ReceivedRequest): { header: string; fields: string[]; valid: boolean } {
  const msg = JSON.parse(req.body) as {
    text?: string;
    blocks?: Array<{ type: string; text?: { text: string }; fields?: Array<{ text: string }> }>;
  };
  const header = msg.blocks?.find((b) => b.type === 'header')?.text?.text ?? '';
  const fields = (msg.blocks ?? []).flatMap((b) => b.fields ?? []).map((f) => f.text.replace(/\n/g, ' '));
  const valid =
    typeof msg.text === 'string' &&
    Array.isArray(msg.blocks) &&
    msg.blocks.length <= 50 &&
    header.length > 0 &&
    header.length <= 150;
  return { header, fields, valid };
}
