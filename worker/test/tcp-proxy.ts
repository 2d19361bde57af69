/**
 * A TCP proxy for fault injection in front of a real server: it forwards bytes both ways and,
 * once armed, swallows the next answer from the server and cuts both sockets, so the server has
 * run a command whose answer the client never gets.
 */
import net from 'node:net';

export interface AnswerDroppingProxy {
  readonly port: number;
  arm(): void;
  close(): void;
}

export function answerDroppingProxy(target: number): Promise<AnswerDroppingProxy> {
  let armed = false;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(target, '127.0.0.1');
    sockets.add(client).add(upstream);
    client.on('data', (b) => upstream.write(b));
    upstream.on('data', (b) => {
      if (!armed) {
        client.write(b);
        return;
      }
      armed = false;
      client.destroy();
      upstream.destroy();
    });
    const end = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        port: (server.address() as net.AddressInfo).port,
        arm: () => (armed = true),
        close: () => {
          for (const s of sockets) s.destroy();
          server.close();
        },
      }),
    ),
  );
}
