/**
 * The lifecycle's search attributes: what Temporal's visibility (the Web UI, `temporal workflow list --query`,
 * `list`) can filter on. Visibility stores them unencrypted, so none may ever hold an email or a secret: the email
 * lives in the memo, which goes through the payload codec. Workflow-safe: no I/O.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const MauPhase = defineSearchAttributeKey('MauPhase', SearchAttributeType.KEYWORD);
export const MauExpiresAt = defineSearchAttributeKey('MauExpiresAt', SearchAttributeType.DATETIME);
export const MauInstance = defineSearchAttributeKey('MauInstance', SearchAttributeType.KEYWORD);
export const MauRole = defineSearchAttributeKey('MauRole', SearchAttributeType.KEYWORD);
/** For the issues that assign lifecycles to teams; unset until then. */
export const MauOwnerTeam = defineSearchAttributeKey('MauOwnerTeam', SearchAttributeType.KEYWORD);
export const MauManagedBy = defineSearchAttributeKey('MauManagedBy', SearchAttributeType.KEYWORD);

/** Every key a namespace must have registered before a lifecycle can run on it. */
export const LIFECYCLE_SEARCH_ATTRIBUTES = [
  MauPhase,
  MauExpiresAt,
  MauInstance,
  MauRole,
  MauOwnerTeam,
  MauManagedBy,
] as const;

/** MauManagedBy of every lifecycle this product runs: tells them apart from other workflows of the namespace. */
export const MANAGED_BY = 'marketo-api-users';

/** The memo field holding the lifecycle's email (encrypted by the payload codec like any payload). */
export const EMAIL_MEMO_FIELD = 'email';
/** The memo fields of the owner's address and the ticket: an address never goes in a search attribute. */
export const OWNER_MEMO_FIELD = 'owner';
export const TICKET_MEMO_FIELD = 'ticket';

/** `--search-attribute Name=Type` flags of `temporal server start-dev` registering every key. */
export function devServerSearchAttributeFlags(): string[] {
  return LIFECYCLE_SEARCH_ATTRIBUTES.flatMap((key) => [
    '--search-attribute',
    `${key.name}=${key.type === SearchAttributeType.DATETIME ? 'Datetime' : 'Keyword'}`,
  ]);
}
