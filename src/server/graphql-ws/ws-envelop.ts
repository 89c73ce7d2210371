/**
 * The standard path of a graphql-ws operation through yoga's envelop: parse,
 * validate and build the context with every plugin, exactly as yoga does for
 * HTTP and SSE, so that every plugin's hooks see graphql-ws subscribers too.
 * Errors that yoga tags with an HTTP status (`extensions.http`) lose that tag
 * here: it means nothing on a WebSocket.
 */
import { GraphQLError, getOperationAST, type ExecutionArgs } from 'graphql';
import type { Context, OperationResult, SubscribePayload } from 'graphql-ws';
import type { UpgradeRequest, WsExtra } from './ws-adapter.ts';
import type { GatewayYoga } from '../yoga.ts';
import { withoutHttpExtension } from '../result-json.ts';

/** graphql-ws's per-socket context, as the gateway's server options type it. */
export type WsContext = Context<Record<string, unknown> | undefined, WsExtra>;

/** An operation that went through envelop: its arguments (no root value) and envelop's runners. */
export interface Prepared {
  readonly args: ExecutionArgs;
  readonly execute: (args: ExecutionArgs) => OperationResult;
  readonly subscribe: (args: ExecutionArgs) => OperationResult;
}

export const isErrors = (value: readonly GraphQLError[] | Prepared): value is readonly GraphQLError[] => Array.isArray(value);

/** Parses, validates and builds the context of one graphql-ws operation through envelop. */
/** The code and message HTTP gives a document whose operation cannot be chosen (an unknown `operationName`, or none of several). */
const unresolvedOperation = () =>
  new GraphQLError('Could not determine what operation to execute.', { extensions: { code: 'OPERATION_RESOLUTION_FAILURE' } });

export async function prepareOperation(
  yoga: GatewayYoga,
  ctx: WsContext,
  payload: SubscribePayload,
): Promise<readonly GraphQLError[] | Prepared> {
  const enveloped = yoga.getEnveloped({ connectionParams: ctx.connectionParams ?? {}, request: toRequest(ctx.extra.request) });
  let document;
  try {
    document = enveloped.parse(payload.query);
  } catch (error) {
    return [withoutHttpExtension(error instanceof GraphQLError ? error : new GraphQLError(String(error)))];
  }
  const errors = enveloped.validate(enveloped.schema, document);
  if (errors.length > 0) return errors.map(withoutHttpExtension);
  // graphql-ws would say "Unable to identify operation" without a code: the same error as over HTTP (yoga's).
  if (getOperationAST(document, payload.operationName ?? undefined) === null) return [unresolvedOperation()];
  const args: ExecutionArgs = {
    schema: enveloped.schema,
    document,
    operationName: payload.operationName ?? null,
    variableValues: payload.variables ?? null,
    contextValue: await enveloped.contextFactory(),
    rootValue: undefined,
  };
  return { args, execute: enveloped.execute, subscribe: enveloped.subscribe };
}

/** A Fetch `Request` view of the upgrade request (headers only), for plugins that read it. */
function toRequest(req: UpgradeRequest): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (typeof value === 'string') headers.set(name, value);
    else if (Array.isArray(value)) for (const v of value) headers.append(name, v);
  }
  return new Request(`http://${req.headers.host ?? 'localhost'}${req.url ?? '/'}`, { headers });
}
