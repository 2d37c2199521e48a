/**
 * A TCP proxy that behaves like a NAT gateway or load balancer that forgot an idle flow: the first bytes a
 * client sends on a connection idle for longer than `idleMs` are answered with a TCP reset. This is how a
 * pooled keep-alive socket goes stale across a long Lambda freeze in production (AWS NAT gateways drop flows
 * idle for 350 s), and what the exporter's one-shot retry on a reused socket exists for.
 */
import net from 'node:net';

export class IdleResetProxy {
  public resets = 0;
  private readonly sockets = new Set<net.Socket>();
  private constructor(private readonly server: net.Server) {}

  public static async start(targetPort: number, idleMs: number): Promise<IdleResetProxy> {
    let proxy: IdleResetProxy | undefined;
    const server = net.createServer((client) => {
      const upstream = net.connect(targetPort, '127.0.0.1');
      proxy!.sockets.add(client).add(upstream);
      let lastActivity = Date.now();
      client.on('data', (chunk) => {
        if (Date.now() - lastActivity > idleMs) {
          proxy!.resets++;
          client.resetAndDestroy();
          upstream.destroy();
          return;
        }
        lastActivity = Date.now();
        upstream.write(chunk);
      });
      upstream.on('data', (chunk) => {
        lastActivity = Date.now();
        client.write(chunk);
      });
      const close = (): void => {
        client.destroy();
        upstream.destroy();
      };
      client.on('error', close).on('close', close);
      upstream.on('error', close).on('close', close);
    });
    proxy = new IdleResetProxy(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  public get url(): string {
    return `http://127.0.0.1:${(this.server.address() as net.AddressInfo).port}`;
  }

  public async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }
}
