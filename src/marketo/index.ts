/** The Marketo REST client: identity, User Management, errors, datetime, call budget. */
export { createMarketoClient, MarketoClient, type MarketoClientOptions } from './client';
export {
  CallBudget,
  CallBudgetLimitsSchema,
  DEFAULT_CALL_BUDGET,
  sharedCallBudget,
  type CallBudgetLimits,
  type CallBudgetOptions,
  type CallBudgetSnapshot,
} from './call-budget';
export {
  DEFAULT_TIMEOUT_MS,
  hasMarketoEnv,
  loadMarketoConfig,
  MarketoConfigError,
  MarketoConfigSchema,
  MarketoEnvSchema,
  normalizeBaseUrl,
  parseMarketoConfig,
  type MarketoConfig,
  type MarketoConfigInput,
} from './config';
export {
  formatIsoDate,
  formatIsoDateSeconds,
  formatMarketoDate,
  MarketoDateError,
  parseMarketoDate,
} from './datetime';
export {
  CLIENT_ERROR_CODES,
  classifyMarketoError,
  isMarketoApiError,
  isRetryableKind,
  MARKETO_QUOTA_TIME_ZONE,
  MarketoApiError,
  MarketoErrorKindSchema,
  nextMidnightIn,
  type ClassifyInput,
  type MarketoErrorClassification,
  type MarketoErrorItem,
  type MarketoErrorKind,
} from './errors';
export type { CallKind, FetchLike, MarketoCallEvent, MarketoCallHook } from './http';
export { TokenCache, TOKEN_REFRESH_MARGIN_MS, type TokenInfo } from './identity';
export { redactSecrets, REDACTED } from './redact';
export * from './schemas';
export { MarketoUsage, STATS_PATH } from './usage';
export { MAX_PAGE_SIZE, USERS_PATH, type RequestOptions } from './user-management';
