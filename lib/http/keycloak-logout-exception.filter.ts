import { Catch, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { RefusalLog, type RefusalChannel } from '../refusals/refusal-log.service.js';
import { reasonOf, toErrorResponse, type ErrorEdge } from './error-answers.js';

/** The logout route a request was for, from the last segments of its path. */
function channelOf(url: string | undefined): RefusalChannel {
  const path = (url ?? '').split('?')[0] ?? '';
  if (path.endsWith('/backchannel-logout')) return 'backchannel-logout';
  if (/\/k_(logout|push_not_before|test_available)$/.test(path)) return 'keycloak-admin';
  if (path.endsWith('/frontchannel-logout')) return 'frontchannel-logout';
  if (/\/logout(\/return)?$/.test(path)) return 'rp-logout';
  return 'login';
}

/** The realm `name` of a `{prefix}/realms/{name}/…` logout route; undefined for the primary realm's routes. */
function realmOf(url: string | undefined): string | undefined {
  const path = (url ?? '').split('?')[0] ?? '';
  return /\/realms\/([^/]+)\/(?:backchannel-logout|k_logout|k_push_not_before|k_test_available)$/.exec(path)?.[1];
}

/** The answer table's edge for each route. */
const EDGE_BY_CHANNEL: Record<RefusalChannel, ErrorEdge> = {
  'backchannel-logout': 'backchannel-route',
  'keycloak-admin': 'admin-route',
  'frontchannel-logout': 'browser-route',
  'rp-logout': 'browser-route',
  login: 'browser-route',
  'bearer-guard': 'guard',
  'session-guard': 'guard',
};

/**
 * Answers every failure on the logout routes with a JSON `{ error, error_description }` and
 * `Cache-Control: no-store`, on Express and Fastify alike, and records it as a refusal.
 */
@Catch()
export class KeycloakLogoutExceptionFilter implements ExceptionFilter {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly refusals: RefusalLog,
  ) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const adapter = this.adapterHost.httpAdapter;
    const http = host.switchToHttp();
    const response: unknown = http.getResponse();
    const url = http.getRequest<{ url?: string }>().url;
    const channel = channelOf(url);
    const realm = realmOf(url);
    const { status, body } = toErrorResponse(exception, EDGE_BY_CHANNEL[channel]);
    this.refusals.record({
      channel,
      reason: reasonOf(exception),
      status,
      detail: exception instanceof Error ? exception.message : body.error_description,
      ...(realm === undefined ? {} : { realm }),
    });
    adapter.setHeader(response, 'Cache-Control', 'no-store');
    adapter.reply(response, body, status);
  }
}
