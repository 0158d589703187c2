import { Test } from '@nestjs/testing';
import { commonSchema, loadConfig } from '@lockstep/config';
import { NatsClient } from '@lockstep/messaging';
import { z } from 'zod';
import { PlatformModule } from './platform.module';

/** The redelivery delays the event consumers of a service started with `env` use. */
async function redeliveryDelaysWith(env: Record<string, string>): Promise<number[]> {
  const config = loadConfig('test', z.object(commonSchema), env);
  const app = await Test.createTestingModule({
    imports: [PlatformModule.forService({ service: 'scheduler', config, database: false })],
  }).compile();
  try {
    return app.get(NatsClient).options.redeliveryBackoffMs;
  } finally {
    await app.close();
  }
}

describe(PlatformModule.name, () => {
  it('gives the event consumers the redelivery delays of EVENT_REDELIVERY_BACKOFF', async () => {
    const sut = await redeliveryDelaysWith({ EVENT_REDELIVERY_BACKOFF: '200ms,1s,3s' });

    expect(sut).toEqual([200, 1000, 3000]);
  });

  it('keeps the default delays when the setting is not given', async () => {
    const sut = await redeliveryDelaysWith({});

    expect(sut).toEqual([500, 2000, 10000, 30000, 60000]);
  });
});
