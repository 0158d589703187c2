// Used by Jest only: turns ES-module packages in node_modules (NestJS 12) into CommonJS,
// and `import()` into `require()` (Jest's CommonJS runtime cannot run dynamic imports
// without --experimental-vm-modules; OpenTelemetry's exporter uses one for `http`).
const dynamicImportToRequire = ({ types: t }) => ({
  name: 'dynamic-import-to-require',
  visitor: {
    CallExpression(path) {
      if (path.node.callee.type !== 'Import') return;
      const resolved = t.callExpression(t.memberExpression(t.identifier('Promise'), t.identifier('resolve')), []);
      path.replaceWith(
        t.callExpression(t.memberExpression(resolved, t.identifier('then')), [
          t.arrowFunctionExpression([], t.callExpression(t.identifier('require'), path.node.arguments)),
        ]),
      );
    },
  },
});

module.exports = {
  babelrc: false,
  plugins: [
    dynamicImportToRequire,
    'babel-plugin-transform-import-meta',
    ['@babel/plugin-transform-modules-commonjs', { importInterop: 'node' }],
  ],
};
