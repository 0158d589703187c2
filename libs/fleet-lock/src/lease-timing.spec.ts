import { parseDuration } from '@lockstep/config';
import { MAX_LEASE_SETTING, MIN_LEASE_SETTING, resolveLeaseTiming } from './lease-timing';
import { FleetLockConfigError } from './lock-errors';

describe(resolveLeaseTiming.name, () => {
  it.each([
    [
      15_000,
      {
        leaseMs: 15_000,
        renewIntervalMs: 5000,
        safetyMarginMs: 1500,
        validForMs: 13_500,
        requestTimeoutMs: 3000,
        retryIntervalMs: 1000,
      },
    ],
    [
      1500,
      {
        leaseMs: 1500,
        renewIntervalMs: 500,
        safetyMarginMs: 150,
        validForMs: 1350,
        requestTimeoutMs: 300,
        retryIntervalMs: 125,
      },
    ],
    [
      600,
      {
        leaseMs: 600,
        renewIntervalMs: 200,
        safetyMarginMs: 100,
        validForMs: 500,
        requestTimeoutMs: 200,
        retryIntervalMs: 50,
      },
    ],
  ])('derives timings from a %ims lease', (leaseMs, expected) => {
    const sut = resolveLeaseTiming(leaseMs);

    expect(sut).toEqual(expected);
  });

  it.each([MIN_LEASE_SETTING, MAX_LEASE_SETTING])('accepts a lease setting at its bound %s', (setting) => {
    const act = () => resolveLeaseTiming(parseDuration(setting)!);

    expect(act).not.toThrow();
  });

  it.each([
    ['a lease too short', 200, {}, /at least 300/],
    ['a fractional lease', 1500.5, {}, /whole number/],
    [
      'renewals that cannot finish within the trusted time',
      1500,
      { renewIntervalMs: 1000, requestTimeoutMs: 400 },
      /do not fit/,
    ],
    ['a zero retry interval', 1500, { retryIntervalMs: 0 }, /retryIntervalMs must be positive/],
  ])('refuses %s', (_, leaseMs, options, message) => {
    expect(() => resolveLeaseTiming(leaseMs, options)).toThrow(FleetLockConfigError);
    expect(() => resolveLeaseTiming(leaseMs, options)).toThrow(message);
  });
});
