/**
 * Some commands use API fields that only some gateways have (queue statistics, dead letters).
 * When the server says the field does not exist, the command says so plainly and exits 2.
 */
import { GraphQLRequestError, request } from './graphql-client.ts';
import type { Connection } from './connection.ts';

/** The gateway lacks a field a command needs; printed as `error: …`, exit code 2. */
export class UnsupportedError extends Error {
  override readonly name = 'UnsupportedError';
}

/** Like request, but a missing `field` becomes UnsupportedError with `what` in its message. */
export async function requestOptional<T>(connection: Connection, field: string, what: string, query: string, variables: Record<string, unknown> = {}): Promise<T> {
  try {
    return await request<T>(connection, query, variables);
  } catch (error) {
    if (error instanceof GraphQLRequestError && error.isMissingField(field)) {
      throw new UnsupportedError(`this gateway does not expose ${what} (its API has no \`${field}\` field); upgrade the gateway at ${connection.url}`);
    }
    throw error;
  }
}

/**
 * The leaf fields (scalars and enums) of the type `field` returns on `parent`, found by
 * introspection, so the CLI shows whatever the gateway's version reports. Null when introspection
 * is disabled; undefined when the field does not exist.
 */
export async function leafFieldsOf(connection: Connection, parent: 'Query' | 'Mutation', field: string): Promise<string[] | null | undefined> {
  type TypeRef = { kind: string; name: string | null; ofType: TypeRef | null };
  const TYPE_REF = 'kind name ofType { kind name ofType { kind name ofType { kind name } } }';
  let parentType: { fields: { name: string; type: TypeRef }[] | null } | null;
  try {
    ({ parentType } = await request<{ parentType: typeof parentType }>(connection, `query { parentType: __type(name: "${parent}") { fields { name type { ${TYPE_REF} } } } }`));
  } catch {
    return null;
  }
  if (parentType?.fields === null || parentType === null) return null;
  const found = parentType.fields.find((candidate) => candidate.name === field);
  if (found === undefined) return undefined;
  let named: TypeRef | null = found.type;
  while (named !== null && named.name === null) named = named.ofType;
  if (named === null || named.kind !== 'OBJECT' || named.name === null) return [];
  const { objectType } = await request<{ objectType: { fields: { name: string; type: TypeRef }[] } | null }>(
    connection, `query($name: String!) { objectType: __type(name: $name) { fields { name type { ${TYPE_REF} } } } }`, { name: named.name },
  );
  return (objectType?.fields ?? [])
    .filter((candidate) => {
      let type: TypeRef | null = candidate.type;
      while (type !== null && type.name === null) type = type.ofType;
      return type !== null && (type.kind === 'SCALAR' || type.kind === 'ENUM');
    })
    .map((candidate) => candidate.name);
}
