/**
 * What one GraphQL operation may cost, enforced by graphql-armor before execution: depth,
 * aliases, cost, directives and tokens. The same limits apply over HTTP (Apollo plugins and
 * validation rules) and over graphql-ws (its parse and validate hooks).
 */
import type { ApolloServerPlugin } from '@apollo/server';
import { ApolloArmor } from '@escape.tech/graphql-armor';
import {
  GraphQLError, NoSchemaIntrospectionCustomRule, parse, specifiedRules, validate,
  type DocumentNode, type ExecutionArgs, type GraphQLSchema, type ValidationRule,
} from 'graphql';
import type { SubscribePayload } from 'graphql-ws';
import type { SystemConfig } from '../../config/config.ts';

/** The configuration entries that bound an operation. */
export type QueryLimits = Pick<SystemConfig,
  'maxQueryDepth' | 'maxAliases' | 'maxQueryCost' | 'maxDirectives' | 'maxTokens' | 'introspection' | 'maskErrors'>;

/** Apollo's part: plugins (token limit, suggestion masking) and validation rules. */
export function apolloLimits(limits: QueryLimits): { plugins: ApolloServerPlugin[]; validationRules: ValidationRule[] } {
  const { plugins, validationRules } = new ApolloArmor(armorConfig(limits)).protect();
  // armor's types come from Apollo's CommonJS build; the plugins are the same objects at run time.
  return { plugins: plugins as unknown as ApolloServerPlugin[], validationRules };
}

/**
 * graphql-ws's part, as its `onSubscribe` hook: parse with the token limit and validate with the
 * same rules as HTTP. A refused operation gets an error message; the socket stays open.
 */
export function wsLimits(limits: QueryLimits, schema: GraphQLSchema, armorRules: readonly ValidationRule[]) {
  const rules = [...specifiedRules, ...armorRules];
  if (!limits.introspection) rules.push(NoSchemaIntrospectionCustomRule);
  return (_ctx: unknown, _id: string, payload: SubscribePayload): ExecutionArgs | readonly GraphQLError[] => {
    let document: DocumentNode;
    try {
      // graphql-js counts tokens itself (the limit armor's Apollo plugin applies over HTTP).
      document = parse(payload.query, { maxTokens: limits.maxTokens });
    } catch (error) {
      return [error instanceof GraphQLError ? error : new GraphQLError(String(error))];
    }
    const errors = validate(schema, document, rules);
    if (errors.length > 0) return errors;
    return {
      schema,
      document,
      ...(payload.operationName ? { operationName: payload.operationName } : {}),
      ...(payload.variables ? { variableValues: payload.variables } : {}),
    };
  };
}

function armorConfig(limits: QueryLimits) {
  // exposeLimits: the message names the limit, so a client knows what to change.
  return {
    maxDepth: { n: limits.maxQueryDepth, exposeLimits: true, errorMessage: 'Query depth limit exceeded (MAX_QUERY_DEPTH).' },
    maxAliases: { n: limits.maxAliases, exposeLimits: true, errorMessage: 'Aliases limit exceeded (MAX_ALIASES).' },
    costLimit: { maxCost: limits.maxQueryCost, exposeLimits: true, errorMessage: 'Query cost limit exceeded (MAX_QUERY_COST).' },
    maxDirectives: { n: limits.maxDirectives, exposeLimits: true, errorMessage: 'Directives limit exceeded (MAX_DIRECTIVES).' },
    maxTokens: { n: limits.maxTokens, exposeLimits: true, errorMessage: 'Token limit exceeded (MAX_TOKENS).' },
    // "Did you mean …" reveals the schema; hide it where introspection is off.
    blockFieldSuggestion: { enabled: !limits.introspection },
  };
}
