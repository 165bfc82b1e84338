export * from './types';
export * from './log-notifier';
export * from './mask';
export * from './webhook-notifier';
export * from './fanout-notifier';
export * from './from-env';
