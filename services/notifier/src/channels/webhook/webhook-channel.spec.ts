import { Webhook } from 'standardwebhooks';
import { releaseEvent } from '@lockstep/testing';
import { InvalidTargetError } from '../notification-channel';
import { generateWebhookSecret, serializeEvent, webhookChannel, WebhookContentTypes } from '.';

describe('webhookChannel', () => {
  const sut = webhookChannel;
  const secret = generateWebhookSecret();
  const target = sut.validateTarget({ url: 'https://receiver.example.com/hooks/lockstep', secrets: [secret] });

  it('sends the CloudEvent as structured JSON that standardwebhooks verifies', () => {
    const event = releaseEvent();

    const request = sut.buildRequest(event, target, { attempt: 1 });

    expect(request.url).toBe('https://receiver.example.com/hooks/lockstep');
    expect(request.headers).toMatchObject({
      'content-type': 'application/json',
      'webhook-id': event.id,
      'user-agent': expect.stringMatching(/^Lockstep-Notifier/),
    });
    expect(request.headers['content-length']).toBe(String(Buffer.byteLength(request.body)));
    expect(new Webhook(secret).verify(request.body.toString(), request.headers)).toEqual(event);
  });

  it('keeps webhook-id across attempts and re-signs with the attempt time', () => {
    const event = releaseEvent();

    const first = sut.buildRequest(event, target, { attempt: 1, now: new Date('2025-03-01T12:00:00Z') });
    const second = sut.buildRequest(event, target, { attempt: 2, now: new Date('2025-03-01T12:00:05Z') });
    const custom = sut.buildRequest(event, target, { attempt: 1, messageId: 'msg_delivery_7' });

    expect(second.headers['webhook-id']).toBe(first.headers['webhook-id']);
    expect([first.headers['webhook-timestamp'], second.headers['webhook-timestamp']]).toEqual([
      '1740830400',
      '1740830405',
    ]);
    expect(second.headers['webhook-signature']).not.toBe(first.headers['webhook-signature']);
    expect(custom.headers['webhook-id']).toBe('msg_delivery_7');
  });

  it('serialises an event once however many requests it feeds', () => {
    const event = releaseEvent();

    const a = sut.buildRequest(event, target, { attempt: 1 });
    const b = sut.buildRequest(event, target, { attempt: 2 });

    expect(a.body).toBe(b.body);
    expect(serializeEvent(event)).toBe(a.body);
  });

  it('uses application/cloudevents+json when the target asks for it', () => {
    const ce = sut.validateTarget({
      url: 'https://r.example.com/',
      secrets: [secret],
      contentType: WebhookContentTypes.CloudEvents,
    });

    expect(sut.buildRequest(releaseEvent(), ce, { attempt: 1 }).headers['content-type']).toBe(
      'application/cloudevents+json',
    );
  });

  it('signs with both secrets during rotation', () => {
    const next = generateWebhookSecret();
    const rotating = sut.validateTarget({ url: 'https://r.example.com/', secrets: [next, secret] });

    const request = sut.buildRequest(releaseEvent(), rotating, { attempt: 1 });

    expect(request.headers['webhook-signature'].split(' ')).toHaveLength(2);
    expect(() => new Webhook(secret).verify(request.body.toString(), request.headers)).not.toThrow();
    expect(() => new Webhook(next).verify(request.body.toString(), request.headers)).not.toThrow();
  });

  it.each([
    [{ url: 'https://r.example.com/', secrets: [] }, /secrets: needs at least one/],
    [{ url: 'ftp://r.example.com/', secrets: ['x'] }, /url: must be an absolute https/],
    [{ url: 'https://r.example.com/', secrets: ['whsec_c2VjcmV0LXZhbHVlLXNob3J0'] }, /secrets\.0: must be whsec_/],
    [{ url: 'https://r.example.com/', secrets: [generateWebhookSecret()], contentType: 'text/plain' }, /contentType/],
  ])('rejects %j with a message that never repeats a secret', (config, problem) => {
    const act = () => sut.validateTarget(config);

    expect(act).toThrow(InvalidTargetError);
    expect(act).toThrow(problem);
    expect(act).toThrow(expect.objectContaining({ message: expect.not.stringMatching(/whsec_[A-Za-z0-9+/]/) }));
  });
});
