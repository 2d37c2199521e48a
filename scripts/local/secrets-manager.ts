/**
 * A Secrets Manager stand-in for local runs and tests: the awsJson1_1 protocol the real SDK client speaks
 * (X-Amz-Target: secretsmanager.<Operation>), with GetSecretValue, CreateSecret and PutSecretValue, AWS's
 * error shapes, a call counter and an optional injected failure. It never logs secret values.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';

interface StoredSecret { name: string; arn: string; value: string; versionId: string; createdAt: number }

export class SecretsManagerStandIn {
  private readonly secrets = new Map<string, StoredSecret>();
  /** Each request, with the region its SigV4 signature was made for (the region the client called). */
  public readonly calls: { operation: string; secretId?: string; region?: string }[] = [];
  /** When set, GetSecretValue answers with this error type (e.g. InternalServiceError). */
  public failGetWith?: string;
  private readonly server: http.Server;

  private constructor() {
    this.server = http.createServer((req, res) => this.handle(req, res));
  }

  public static async start(): Promise<SecretsManagerStandIn> {
    const standIn = new SecretsManagerStandIn();
    await new Promise<void>((resolve) => standIn.server.listen(0, '127.0.0.1', resolve));
    return standIn;
  }

  public get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** `region` is the one in the secret's ARN (a secret may live in another region than its reader). */
  public put(name: string, value: string, region = 'us-east-1'): StoredSecret {
    const existing = this.secrets.get(name);
    const secret: StoredSecret = {
      name, value, versionId: randomUUID(), createdAt: Math.floor(Date.now() / 1000),
      arn: existing?.arn ?? `arn:aws:secretsmanager:${region}:123456789012:secret:${name}-${randomUUID().slice(0, 6)}`,
    };
    this.secrets.set(name, secret);
    return secret;
  }

  public getCount(secretId?: string): number {
    return this.calls.filter((c) => c.operation === 'GetSecretValue' && (secretId === undefined || c.secretId === secretId)).length;
  }

  public async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private find(id: string): StoredSecret | undefined {
    return this.secrets.get(id) ?? [...this.secrets.values()].find((s) => s.arn === id);
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const send = (status: number, body: unknown): void => {
        res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify(body));
      };
      const error = (type: string, message: string, status = 400): void => send(status, { __type: type, message });
      const operation = String(req.headers['x-amz-target'] ?? '').replace(/^secretsmanager\./, '');
      let input: { SecretId?: string; Name?: string; SecretString?: string };
      try {
        input = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as typeof input;
      } catch {
        return error('SerializationException', 'body is not JSON');
      }
      const region = /Credential=[^/]+\/\d{8}\/([^/]+)\//.exec(String(req.headers.authorization ?? ''))?.[1];
      this.calls.push({ operation, ...((input.SecretId ?? input.Name) !== undefined && { secretId: input.SecretId ?? input.Name }), ...(region && { region }) });
      if (operation === 'GetSecretValue') {
        if (this.failGetWith) return error(this.failGetWith, 'injected failure', 500);
        const secret = input.SecretId ? this.find(input.SecretId) : undefined;
        if (!secret) return error('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
        return send(200, { ARN: secret.arn, Name: secret.name, SecretString: secret.value, VersionId: secret.versionId, VersionStages: ['AWSCURRENT'], CreatedDate: secret.createdAt });
      }
      if (operation === 'CreateSecret') {
        if (!input.Name || input.SecretString === undefined) return error('InvalidParameterException', 'Name and SecretString are required');
        if (this.secrets.has(input.Name)) return error('ResourceExistsException', `The operation failed because the secret ${input.Name} already exists.`);
        const secret = this.put(input.Name, input.SecretString);
        return send(200, { ARN: secret.arn, Name: secret.name, VersionId: secret.versionId });
      }
      if (operation === 'PutSecretValue') {
        const existing = input.SecretId ? this.find(input.SecretId) : undefined;
        if (!existing || input.SecretString === undefined) return error('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
        const secret = this.put(existing.name, input.SecretString);
        return send(200, { ARN: secret.arn, Name: secret.name, VersionId: secret.versionId });
      }
      return error('UnknownOperationException', `unsupported operation ${operation}`);
    });
  }
}
