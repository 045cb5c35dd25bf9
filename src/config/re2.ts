export * from './re2/index.js'
