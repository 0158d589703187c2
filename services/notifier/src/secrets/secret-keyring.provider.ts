import type { Provider } from '@nestjs/common';
import { SecretKeyring } from '@lockstep/persistence';
import { NOTIFIER_CONFIG, type NotifierConfig } from '../notifier.config';

/** The notifier's keyring: LOCKSTEP_SECRET_KEY seals, it and LOCKSTEP_SECRET_KEY_PREVIOUS open. */
export const secretKeyringProvider: Provider = {
  provide: SecretKeyring,
  useFactory: (config: NotifierConfig) =>
    new SecretKeyring(config.LOCKSTEP_SECRET_KEY, config.LOCKSTEP_SECRET_KEY_PREVIOUS),
  inject: [NOTIFIER_CONFIG],
};
