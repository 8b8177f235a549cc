import { io, type Socket as IoSocket } from 'socket.io-client';
import WebSocket from 'ws';
import { percentile } from './stats.js';

export type SocketAdapterName = 'ws' | 'socket.io';

/**
 * One open WebSocket connection of the load generator: sends an event (no payload) and hears
 * every event the server sends back, and its close.
 */
export interface BenchSocket {
  send(event: string): void;
  onEvent: (event: string, data: unknown) => void;
  onClose: (reason: string) => void;
  close(): void;
}

/**
 * Opens a connection to a gateway (`ws`: the path `/<name>`, the token in `Authorization`;
 * socket.io: the namespace `/<name>`, the token in `auth`), resolved once it is open.
 */
export function openSocket(adapter: SocketAdapterName, url: string, name: string, token: string): Promise<BenchSocket> {
  return new Promise((resolve, reject) => {
    const bench: BenchSocket = {
      send: () => undefined,
      onEvent: () => undefined,
      onClose: () => undefined,
      close: () => undefined,
    };
    if (adapter === 'ws') {
      const socket = new WebSocket(`${url.replace(/^http/, 'ws')}/${name}`, { headers: { authorization: `Bearer ${token}` } });
      socket.on('message', (raw: Buffer) => {
        const message = JSON.parse(raw.toString()) as { event: string; data: unknown };
        bench.onEvent(message.event, message.data);
      });
      socket.on('close', (code, reason) => bench.onClose(`closed (${code} ${reason.toString()})`));
      socket.on('error', (error) => reject(error));
      socket.once('open', () => resolve(bench));
      bench.send = (event) => socket.send(JSON.stringify({ event }));
      bench.close = () => socket.close();
    } else {
      const socket: IoSocket = io(`${url}/${name}`, { transports: ['websocket'], forceNew: true, reconnection: false, auth: { token } });
      socket.onAny((event: string, data: unknown) => bench.onEvent(event, data));
      socket.on('disconnect', (reason) => bench.onClose(`disconnected (${reason})`));
      socket.on('connect_error', (error) => reject(error));
      socket.once('connect', () => resolve(bench));
      bench.send = (event) => void socket.emit(event);
      bench.close = () => void socket.disconnect();
    }
  });
}

export interface SocketLoadResult {
  /** Answered messages per second, all connections together. */
  mps: number;
  ok: number;
  /** Round-trip percentiles, ms. */
  p50: number;
  p99: number;
  seconds: number;
  /** CPU the load generator (this process) used meanwhile, in cores. */
  generatorCores: number;
}

/**
 * A closed loop on every connection for `seconds`: send `event`, wait for the answer of the same
 * name, send the next. Anything else (an `exception` event: a refusal; a close; no answer within
 * 10 s) rejects: a benchmark of admitted traffic must see none.
 */
export function socketLoad(sockets: BenchSocket[], event: string, seconds: number): Promise<SocketLoadResult> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const cpuBefore = process.cpuUsage();
    const deadline = started + seconds * 1000;
    const latencies: number[] = [];
    let running = sockets.length;
    let failed = false;
    const fail = (reason: string) => {
      if (failed) return;
      failed = true;
      clearTimeout(watchdog);
      reject(new Error(`${event}: ${reason}`));
    };
    const watchdog = setTimeout(() => fail('no answer within 10 s of the end'), seconds * 1000 + 10_000);
    const finish = () => {
      if (failed) return;
      clearTimeout(watchdog);
      const ended = performance.now();
      const cpu = process.cpuUsage(cpuBefore);
      const elapsed = (ended - started) / 1000;
      resolve({
        mps: latencies.length / elapsed,
        ok: latencies.length,
        p50: percentile(latencies, 50),
        p99: percentile(latencies, 99),
        seconds: elapsed,
        generatorCores: (cpu.user + cpu.system) / 1000 / (ended - started),
      });
    };
    for (const socket of sockets) {
      let sentAt = 0;
      const next = () => {
        sentAt = performance.now();
        socket.send(event);
      };
      socket.onEvent = (answer, data) => {
        if (answer !== event) return fail(`answered "${answer}" ${JSON.stringify(data)}`);
        const now = performance.now();
        latencies.push(now - sentAt);
        if (now < deadline) return next();
        running -= 1;
        if (running === 0) finish();
      };
      socket.onClose = (reason) => fail(`a connection ${reason}`);
      next();
    }
  });
}
