/**
 * Access/secret key pairs published in documentation and default installs (MinIO's
 * `minioadmin`, AWS's documentation example). `loadConfig` refuses them unless
 * `LOCKSTEP_ALLOW_DEFAULT_CREDENTIALS=true` (the demo and tests on loopback).
 */
export const WELL_KNOWN_S3_CREDENTIALS: ReadonlyArray<{ accessKey: string; secretKey: string }> = [
  { accessKey: 'minioadmin', secretKey: 'minioadmin' },
  { accessKey: 'AKIAIOSFODNN7EXAMPLE', secretKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' },
];
