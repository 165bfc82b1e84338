export * from './keyring';
export * from './payload-codec';
export * from './data-converter';
export * from './secret-store';
export * from './workflow-id';
export * from './private-dir';
