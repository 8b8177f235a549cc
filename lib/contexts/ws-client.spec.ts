import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host.js';
import { describe, expect, it } from 'vitest';
import { wsClientOf } from './ws-client.js';

describe('wsClientOf', () => {
  it("is the client Nest's own switchToWs().getClient() gives for a gateway message", () => {
    const client = { id: 'socket' };
    const context = new ExecutionContextHost([client, { some: 'data' }, 'event']);
    context.setType('ws');
    expect(wsClientOf(context)).toBe(client);
    expect(wsClientOf(context)).toBe(context.switchToWs().getClient());
  });
});
