/**
 * Three projects: fast unit specs, integration specs against real NATS/Postgres/S3, and
 * e2e runs of built processes. NestJS 12 ships as ES modules; Node runs them natively
 * (require(esm)), but Jest's CommonJS runtime cannot, so those packages are turned into
 * CommonJS by babel for tests only (see babel.jest.cjs).
 */
const esmPackages = [
  '@nestjs',
  'file-type',
  'strtok3',
  'token-types',
  'peek-readable',
  '@tokenizer',
  'uint8array-extras',
  '@opentelemetry/otlp-exporter-base',
];
const moduleNameMapper = { '^@lockstep/([a-z-]+)$': '<rootDir>/libs/$1/src' };
const transform = {
  '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json' }],
  '^.+\\.js$': ['babel-jest', { configFile: require.resolve('./babel.jest.cjs') }],
};
const base = {
  rootDir: __dirname,
  testEnvironment: 'node',
  moduleNameMapper,
  transform,
  transformIgnorePatterns: [`/node_modules/(?!(${esmPackages.join('|')})/)`],
  moduleFileExtensions: ['ts', 'js', 'json'],
};
module.exports = {
  testTimeout: 90000,
  projects: [
    { ...base, displayName: 'unit', testMatch: ['<rootDir>/{libs,services,deploy,bench}/**/*.spec.ts'] },
    { ...base, displayName: 'integration', testMatch: ['<rootDir>/{libs,services}/**/*.int-spec.ts'] },
    { ...base, displayName: 'e2e', testMatch: ['<rootDir>/test/e2e/**/*.e2e-spec.ts'] },
  ],
};
