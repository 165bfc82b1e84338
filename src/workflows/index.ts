// The workflows a worker registers. Workflow code only: no activity implementations, no Node built-ins.
export { lifecycleWorkflow } from './lifecycle';
export { sweepWorkflow } from './sweep';
