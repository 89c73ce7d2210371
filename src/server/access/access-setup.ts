/**
 * Builds the access check's parts from the configuration at start: the
 * authenticator of GATEWAY_AUTH (the keys file read, or the JWT key imported)
 * and the trusted documents. A problem with either stops start-up; with
 * GATEWAY_AUTH=none one log line says the gateway is open.
 */
import type { AccessConfig } from '../../auth/access-config.ts';
import { createJwtAuthenticator } from '../../auth/jwt-authenticator.ts';
import { createKeyAuthenticator } from '../../auth/key-authenticator.ts';
import type { Authenticator } from '../../auth/principal.ts';
import type { Logger } from '../../lib/logger.ts';
import type { AccessSetup } from './access-control.ts';
import { loadTrustedDocuments } from './trusted-documents.ts';

export const OPEN_GATEWAY_MESSAGE =
  'access: GATEWAY_AUTH=none: the gateway is open to anyone who reaches its port (set GATEWAY_AUTH=keys or jwt for partners; docs/deploy.md)';

export async function createAccessSetup(config: AccessConfig, logger: Logger): Promise<AccessSetup> {
  let authenticator: Authenticator | undefined;
  if (config.mode === 'keys') authenticator = createKeyAuthenticator(config.keysFile ?? '', logger);
  else if (config.mode === 'jwt') authenticator = await createJwtAuthenticator(config.jwt ?? {});
  if (authenticator === undefined) logger.warn({ auth: 'none' }, OPEN_GATEWAY_MESSAGE);
  else logger.info({ auth: config.mode }, `access: GATEWAY_AUTH=${config.mode}: every request needs a key`);
  const trustedDocuments = config.trustedDocumentsFile === undefined ? undefined : loadTrustedDocuments(config.trustedDocumentsFile);
  if (trustedDocuments !== undefined)
    logger.info({ documents: trustedDocuments.size }, 'access: only trusted documents run (TRUSTED_DOCUMENTS_FILE)');
  return {
    ...(authenticator === undefined ? {} : { authenticator }),
    ...(trustedDocuments === undefined ? {} : { trustedDocuments }),
    ...(config.graphiql === undefined ? {} : { graphiql: config.graphiql }),
    ...(config.introspection === undefined ? {} : { introspection: config.introspection }),
  };
}
