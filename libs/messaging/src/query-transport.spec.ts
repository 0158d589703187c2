import { Logger } from '@nestjs/common';
import type { Msg, NatsConnection } from '@nats-io/nats-core';
import { NamespacedNatsServer } from './query-transport';

describe(NamespacedNatsServer.name, () => {
  it('answers messages on the query subject and drops ones pushed there with another subject', () => {
    const sut = new NamespacedNatsServer('ns', { NATS_URL: ['nats://127.0.0.1:1'] }, { queue: 'scheduler' });
    sut.addHandler('qry.scheduler.rollout-create.v1', () => Promise.resolve('ok'));
    const handled: string[] = [];
    jest.spyOn(sut, 'getMessageHandler').mockReturnValue((_err: unknown, msg: Msg) => void handled.push(msg.subject));
    const subscribed: { subject: string; queue?: string; callback: (err: Error | null, msg: Msg) => void }[] = [];
    const client = {
      subscribe: (subject: string, opts: { queue?: string; callback: (err: Error | null, msg: Msg) => void }) => {
        subscribed.push({ subject, ...opts });
        return {};
      },
    } as unknown as NatsConnection;
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);

    sut.bindEvents(client);
    const [sub] = subscribed;
    sub.callback(null, { subject: 'ns.qry.scheduler.rollout-create.v1' } as Msg);
    sub.callback(null, { subject: 'ns.evt.release.available.v1' } as Msg);

    expect(subscribed.map((s) => [s.subject, s.queue])).toEqual([['ns.qry.scheduler.rollout-create.v1', 'scheduler']]);
    expect(handled).toEqual(['ns.qry.scheduler.rollout-create.v1']);
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('dropped a message of ns.evt.release.available.v1'));
  });
});
