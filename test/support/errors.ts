/** The error an AWS SDK call rejected with, for assertions on its name, code, fault and attempts. */
export async function rejection(promise: Promise<unknown>): Promise<Error & { Code?: string; $fault?: string; $metadata: { httpStatusCode?: number; attempts?: number } }> {
  try {
    await promise;
  } catch (e) {
    return e as never;
  }
  throw new Error('expected a rejection');
}
