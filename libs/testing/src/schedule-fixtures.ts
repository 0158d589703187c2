import type { CreateWindowBody } from '@lockstep/contracts';

/** A window for the canary group of `shop`: Saturday and Sunday 22:00 Berlin time, for four hours. */
export const weekendWindowBody: CreateWindowBody = {
  name: 'weekend',
  start: { days: ['sat', 'sun'], time: '22:00' },
  duration: '4h',
  timezone: 'Europe/Berlin',
  components: ['shop'],
  nodeLabels: { group: 'canary' },
};
