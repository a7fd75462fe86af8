/**
 * What one GraphQL operation may cost, checked before execution: tokens (graphql-js's parser),
 * depth, aliases, cost and directives (graphql-armor's validation rules), and introspection
 * (graphql-js's rule). The same parse options and rule list serve Apollo over HTTP and
 * graphql-ws over WebSocket, and WebSocket refusals carry Apollo's codes, so an abusive
 * operation is refused the same way on either transport (issue 12, finding 8).
 */
import { ApolloServerErrorCode } from '@apollo/server/errors';
import { ApolloArmor } from '@escape.tech/graphql-armor';
import {
  GraphQLError, NoSchemaIntrospectionCustomRule, parse, specifiedRules, validate,
  type DocumentNode, type ExecutionArgs, type GraphQLSchema, type ParseOptions, type ValidationRule,
} from 'graphql';
import type { SubscribePayload } from 'graphql-ws';
import type { SystemConfig } from '../../config/config.ts';

/** The configuration entries that bound an operation. */
export type QueryLimits = Pick<SystemConfig,
  'maxQueryDepth' | 'maxAliases' | 'maxQueryCost' | 'maxDirectives' | 'maxTokens' | 'introspection'>;

export interface OperationLimits {
  /** Apollo's `parseOptions`: the token limit. */
  readonly parseOptions: ParseOptions;
  /** Apollo's `validationRules` (added to graphql-js's specified rules). */
  readonly validationRules: readonly ValidationRule[];
  /** Parses and validates one graphql-ws operation like Apollo does: its execution arguments, or its refusal. */
  check(schema: GraphQLSchema, payload: SubscribePayload): ExecutionArgs | GraphQLError[];
}

export function operationLimits(limits: QueryLimits): OperationLimits {
  const parseOptions: ParseOptions = { maxTokens: limits.maxTokens };
  const validationRules: ValidationRule[] = [...new ApolloArmor(armorConfig(limits)).protect().validationRules];
  // Apollo's own introspection switch is left on (see server.ts): this rule refuses it on both transports.
  if (!limits.introspection) validationRules.push(NoSchemaIntrospectionCustomRule);
  const rules = [...specifiedRules, ...validationRules];
  return {
    parseOptions,
    validationRules,
    check(schema, payload) {
      let document: DocumentNode;
      try {
        document = parse(payload.query, parseOptions);
      } catch (error) {
        return [withCode(error instanceof GraphQLError ? error : new GraphQLError(String(error)), ApolloServerErrorCode.GRAPHQL_PARSE_FAILED)];
      }
      const errors = validate(schema, document, rules);
      if (errors.length > 0) return errors.map((error) => withCode(error, ApolloServerErrorCode.GRAPHQL_VALIDATION_FAILED));
      return {
        schema,
        document,
        ...(payload.operationName ? { operationName: payload.operationName } : {}),
        ...(payload.variables ? { variableValues: payload.variables } : {}),
      };
    },
  };
}

/** The error with the code Apollo gives errors of that phase (it replaces armor's BAD_USER_INPUT too). */
function withCode(error: GraphQLError, code: ApolloServerErrorCode): GraphQLError {
  return new GraphQLError(error.message, {
    ...(error.nodes ? { nodes: error.nodes } : {}),
    ...(error.source ? { source: error.source } : {}),
    ...(error.positions ? { positions: error.positions } : {}),
    extensions: { ...error.extensions, code },
  });
}

function armorConfig(limits: QueryLimits) {
  // exposeLimits: the message names the limit, so a client knows what to change.
  return {
    maxDepth: { n: limits.maxQueryDepth, exposeLimits: true, errorMessage: 'Query depth limit exceeded (MAX_QUERY_DEPTH).' },
    maxAliases: { n: limits.maxAliases, exposeLimits: true, errorMessage: 'Aliases limit exceeded (MAX_ALIASES).' },
    costLimit: { maxCost: limits.maxQueryCost, exposeLimits: true, errorMessage: 'Query cost limit exceeded (MAX_QUERY_COST).' },
    maxDirectives: { n: limits.maxDirectives, exposeLimits: true, errorMessage: 'Directives limit exceeded (MAX_DIRECTIVES).' },
    // Tokens: graphql-js's own parser limit (parseOptions), which Apollo answers with 400; armor's
    // Apollo plugin throws outside the parser and got 500. Suggestions: mask-errors.ts, on both transports.
    maxTokens: { enabled: false },
    blockFieldSuggestion: { enabled: false },
  };
}
