/**
 * The control plane, in one module the data plane reaches only through
 * `import()`: config parsing and validation (yaml, zod, the schemas), the
 * compiler, the admin API, the config authority and the xDS client. An
 * isolate that only proxies a built snapshot never evaluates any of it
 * (test/node/bundle-graph.test.ts checks the data-plane entry's static graph).
 */
export { compileBase, compileText } from './base-config.js'
export { ConfigAuthorityCore } from '../admin/authority.js'
export { XdsPollerCore } from './xds-poller.js'
export { adminFetch } from '../admin/app.js'
