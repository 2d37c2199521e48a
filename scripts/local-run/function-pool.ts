/**
 * A function's execution environments: `size` local Lambda environments (child processes, frozen between
 * invocations), each running one invocation at a time, as Lambda scales a function out. Logs go to a file per
 * function and are kept in memory for the summary.
 */
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';
import { LocalLambda, type InvocationOutcome, type LocalLambdaOptions } from '../local/local-lambda.js';

export class FunctionPool {
  private readonly idle: LocalLambda[] = [];
  private readonly waiting: ((lambda: LocalLambda) => void)[] = [];

  private constructor(
    public readonly name: string, private readonly lambdas: LocalLambda[], private readonly logFile: WriteStream, public readonly logs: readonly string[],
  ) {
    this.idle.push(...lambdas);
  }

  /** Starts `size` environments; a failure stops those already started. */
  public static async start(name: string, size: number, options: Omit<LocalLambdaOptions, 'functionName' | 'onLog'>, logPath: string): Promise<FunctionPool> {
    mkdirSync(dirname(logPath), { recursive: true });
    const logFile = createWriteStream(logPath);
    const lines: string[] = [];
    const onLog = (line: string): void => {
      lines.push(line);
      logFile.write(`${line}\n`);
    };
    const started = await Promise.allSettled(Array.from({ length: size }, () => LocalLambda.start({ ...options, functionName: name, onLog })));
    const lambdas = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) {
      await Promise.all(lambdas.map((l) => l.stop()));
      logFile.end();
      throw new Error(`${name}: an execution environment did not start: ${(failed.reason as Error).message}`, { cause: failed.reason });
    }
    return new FunctionPool(name, lambdas, logFile, lines);
  }

  /** Runs the event on the next free environment (waiting for one when all are busy). */
  public async invoke(event: unknown): Promise<InvocationOutcome> {
    const lambda = this.idle.pop() ?? await new Promise<LocalLambda>((resolve) => this.waiting.push(resolve));
    try {
      return await lambda.invoke(event);
    } finally {
      const next = this.waiting.shift();
      if (next) next(lambda);
      else this.idle.push(lambda);
    }
  }

  /** Process ids of the environments (for the run's own bookkeeping and tests). */
  public get pids(): number[] {
    return this.lambdas.flatMap((l) => (l.pid === undefined ? [] : [l.pid]));
  }

  public async stop(): Promise<void> {
    await Promise.allSettled(this.lambdas.map((l) => l.stop()));
    await new Promise((resolve) => this.logFile.end(resolve));
  }
}
