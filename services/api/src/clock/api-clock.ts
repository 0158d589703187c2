/** The time the API's decisions read (next runs, whether a window is open); specs provide a fixed one. */
export interface ApiClock {
  now(): Date;
}

/** Injection token of the {@link ApiClock}. */
export const API_CLOCK = Symbol('API_CLOCK');

/** The process clock. */
export const systemClock: ApiClock = { now: () => new Date() };

/** Provides the process clock under {@link API_CLOCK}. */
export const apiClockProvider = { provide: API_CLOCK, useValue: systemClock };
