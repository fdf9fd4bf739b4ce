import { HubError, toHubError, type Logger } from '@hubemu/shared';
import rhea, { type Message, type Receiver } from 'rhea';
import type { SasAuthenticator } from '../auth/sas-authenticator.js';
import type { AmqpRequests } from './amqp-request.js';
import type { AmqpConnectionContext, LinkRoute } from './link-routes.js';
import { findReplyLink, requestProperty, textBody } from './message-parts.js';

export const CBS_ADDRESS = '$cbs';

/**
 * The claims-based security node (reference iothub-messaging.md §2): `put-token` requests arrive on a
 * link whose target is `$cbs` and are answered, with `status-code` as an AMQP int (200 or 401), on the
 * connection's link whose source is `$cbs` (never routed by `reply_to`: azure-iothub sends the literal
 * `cbs`). A verified token is kept on the connection and opens the links its audience covers.
 */
export function cbsRoutes(deps: { auth: SasAuthenticator; requests: AmqpRequests; logger: Logger }): LinkRoute[] {
  const { auth, requests, logger } = deps;
  const answer = (conn: AmqpConnectionContext, via: Receiver, request: Message, status: number, description: string): number => {
    const reply = findReplyLink(conn, via, CBS_ADDRESS, request.reply_to);
    const response: Message = {
      correlation_id: request.message_id,
      ...(request.reply_to ? { to: request.reply_to } : {}),
      application_properties: { 'status-code': rhea.types.wrap_int(status), 'status-description': description },
      body: undefined,
    };
    if (reply) reply.send(response);
    else logger.debug({ connection: conn.id }, 'a $cbs request came without a link to answer on');
    return description.length;
  };
  return [
    { name: 'cbs.replies', role: 'sender', pattern: /^\$cbs$/i, open: () => undefined },
    {
      name: 'cbs.requests',
      role: 'receiver',
      pattern: /^\$cbs$/i,
      open({ link, conn }) {
        link.on('message', (context) => {
          const done = requests.start();
          const request = context.message;
          const requestId = typeof request.message_id === 'string' ? request.message_id : undefined;
          const audience = requestProperty(request, 'name');
          const token = textBody(request.body);
          let status = 200;
          let description = 'OK';
          let error: HubError | undefined;
          let principal: string | undefined;
          try {
            const operation = requestProperty(request, 'operation');
            if (operation !== 'put-token') throw new HubError('ArgumentInvalid', `Unsupported $cbs operation '${operation ?? ''}': only put-token is.`);
            if (!audience) throw new HubError('IotHubUnauthorized', 'The put-token request names no audience (application property name).');
            if (!token) throw new HubError('IotHubUnauthorized', 'The put-token request carries no token.');
            const grant = auth.authenticateAudience(token, audience);
            conn.grants.add(grant);
            principal = grant.principal;
          } catch (thrown) {
            error = toHubError(thrown);
            // The IoT SDK treats anything but 200 as UnauthorizedError; the Event Hubs SDK maps 401 to unauthorized-access.
            status = error.errorCode === 'ArgumentInvalid' ? 400 : 401;
            description = error.message;
          }
          context.delivery?.accept();
          const responseBytes = answer(conn, link, request, status, description);
          done({
            operation: 'cbs.putToken',
            address: audience ?? CBS_ADDRESS,
            status,
            ...(error ? { error } : {}),
            ...(principal ? { principal } : {}),
            ...(requestId ? { requestId } : {}),
            requestBytes: token?.length ?? 0,
            responseBytes,
          });
        });
      },
    },
  ];
}

