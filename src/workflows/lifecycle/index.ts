// The lifecycle workflow and what its neighbours (the sweep, the worker) share with it.
export { lifecycleWorkflow } from './workflow';
export { AUDIT, MARKETO_QUEUE_SUFFIX, notificationOptions } from './activities';
