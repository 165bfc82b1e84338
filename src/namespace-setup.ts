/**
 * Registers the lifecycle's search attributes on a namespace through the operator API, for a real cluster
 * (`up`, `demo` and the tests pass them to the dev server instead). Idempotent: what is there with the right type
 * is reported as found, and only what is missing is added.
 */
import type { Connection } from '@temporalio/client';
import { SearchAttributeType } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { LIFECYCLE_SEARCH_ATTRIBUTES } from './domain/search-attributes';
import { SearchAttributeConflictError } from './errors';

const IndexedValueType = temporal.api.enums.v1.IndexedValueType;

export interface NamespaceSetupReport {
  namespace: string;
  /** Registered by this call. */
  added: string[];
  /** Already registered with the right type. */
  found: string[];
}

function indexedType(type: SearchAttributeType): temporal.api.enums.v1.IndexedValueType {
  return type === SearchAttributeType.DATETIME
    ? IndexedValueType.INDEXED_VALUE_TYPE_DATETIME
    : IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD;
}

function typeName(type: temporal.api.enums.v1.IndexedValueType | null | undefined): string {
  return IndexedValueType[type ?? 0]?.replace('INDEXED_VALUE_TYPE_', '') ?? String(type);
}

/** The operator API's form of `keys`: name to indexed type. */
export function searchAttributesToAdd(
  keys: readonly { name: string; type: SearchAttributeType }[],
): Record<string, temporal.api.enums.v1.IndexedValueType> {
  return Object.fromEntries(keys.map((key) => [key.name, indexedType(key.type)]));
}

export async function setupNamespace(
  connection: Pick<Connection, 'operatorService'>,
  namespace: string,
): Promise<NamespaceSetupReport> {
  const listed = await connection.operatorService.listSearchAttributes({ namespace });
  const existing = new Map<string, temporal.api.enums.v1.IndexedValueType>(
    Object.entries(listed.customAttributes ?? {}),
  );
  const added: string[] = [];
  const found: string[] = [];
  const missing: Record<string, temporal.api.enums.v1.IndexedValueType> = {};
  for (const key of LIFECYCLE_SEARCH_ATTRIBUTES) {
    const wanted = indexedType(key.type);
    const present = existing.get(key.name);
    if (present === undefined) {
      missing[key.name] = wanted;
      added.push(key.name);
    } else if (present === wanted) {
      found.push(key.name);
    } else {
      throw new SearchAttributeConflictError(
        `Search attribute ${key.name} is registered on namespace ${namespace} as ${typeName(present)}, not ${typeName(wanted)}.`,
        'Remove it (temporal operator search-attribute remove) or use another namespace, then run setup-namespace again.',
      );
    }
  }
  if (added.length > 0) {
    await connection.operatorService.addSearchAttributes({ namespace, searchAttributes: missing });
  }
  return { namespace, added, found };
}
