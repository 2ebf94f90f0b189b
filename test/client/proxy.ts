/**
 * A TCP relay on 127.0.0.1 in front of a real server, to break connections the way a network does:
 * `cut()` destroys every open connection at once. It also keeps the head of each HTTP request that
 * went through, so a test can see what the client sent (Last-Event-ID, say).
 */
import net from 'node:net';
import type { AddressInfo } from 'node:net';

export interface Relay {
  url: string;
  /** The request heads seen (request line and headers), in order. */
  heads: string[];
  cut(): void;
  close(): Promise<void>;
}

export async function startRelay(target: string): Promise<Relay> {
  const { hostname, port } = new URL(target);
  const sockets = new Set<net.Socket>();
  const heads: string[] = [];
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(port), hostname);
    sockets.add(client).add(upstream);
    let head = '';
    client.on('data', (chunk) => {
      if (head.includes('\r\n\r\n')) return;
      head += chunk.toString('latin1');
      if (head.includes('\r\n\r\n')) heads.push(head.slice(0, head.indexOf('\r\n\r\n')));
    });
    client.pipe(upstream).pipe(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    heads,
    cut: () => {
      for (const s of sockets) s.destroy();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
