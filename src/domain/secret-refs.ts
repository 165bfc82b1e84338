/**
 * Where a lifecycle's secrets live in the secret store, derived from its workflow id alone. Shared by the
 * workflow (which must never use a ref it is handed from outside its own folder) and the secret store.
 * No Node built-ins: workflows import this.
 */

/** The secret store scheme lifecycles use (FileSecretStore). */
export const LIFECYCLE_SECRET_SCHEME = 'file';

/** One segment of a secret ref key, as the secret store accepts it (see parseSecretRef). */
const SEGMENT = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,199}$/;

/** `lifecycle/<workflowId>/`: every secret of one lifecycle, and of no other, has a key under it. */
export function lifecycleSecretFolder(workflowId: string): string {
  return `lifecycle/${workflowId}/`;
}

/** The key under which a lifecycle keeps the credentials of the custom service it created. */
export function lifecycleSecretKey(workflowId: string): string {
  return `${lifecycleSecretFolder(workflowId)}custom-service`;
}

/** `file:lifecycle/<workflowId>/custom-service`: the one ref a lifecycle stores its own service's secret under. */
export function lifecycleSecretRef(workflowId: string): string {
  return `${LIFECYCLE_SECRET_SCHEME}:${lifecycleSecretKey(workflowId)}`;
}

/** Where rotation `number` keeps its second service's secret, beside the first. */
export function rotatedSecretRef(workflowId: string, number: number): string {
  return `${lifecycleSecretRef(workflowId)}-rotation-${number}`;
}

/** `file:lifecycle/<workflowId>/`: what every ref of this lifecycle's secrets starts with. */
export function ownSecretRefPrefix(workflowId: string): string {
  return `${LIFECYCLE_SECRET_SCHEME}:${lifecycleSecretFolder(workflowId)}`;
}

/**
 * Whether `ref` lies in this lifecycle's own folder (one segment below it), as refs of operator-made services do.
 * Plain string checks and a fixed pattern: the ref comes from outside and runs in workflow code.
 */
export function isOwnSecretRef(workflowId: string, ref: string): boolean {
  const prefix = ownSecretRefPrefix(workflowId);
  if (!ref.startsWith(prefix)) return false;
  const rest = ref.slice(prefix.length);
  return SEGMENT.test(rest) && rest !== '.' && rest !== '..';
}
